package dockerhost

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/result"
)

// FuzzDaemonConfig feeds arbitrary daemon.json and dockerd command lines through the section 2
// and 3 checks: no panic, and every control still gets a result.
func FuzzDaemonConfig(f *testing.F) {
	f.Add([]byte(`{"icc": false, "hosts": ["tcp://0.0.0.0:2376"], "tlsverify": true, "storage-opts": ["dm.basesize=20G"]}`),
		[]byte("dockerd\x00--bridge=none\x00--iptables=false\x00"))
	f.Add([]byte(`{"icc": false,`), []byte("dockerd\x00-H\x00"))
	f.Add([]byte(`[]`), []byte("dockerd\x00--config-file\x00/etc/x.json\x00-l"))
	f.Add([]byte(`{"log-opts": {"max-size": "10m"}, "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 1}}}`), []byte(""))
	info := &Info{}
	if err := json.Unmarshal(readTestdata(f, "info.json"), info); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, daemonJSON, cmdline []byte) {
		root := t.TempDir()
		for p, b := range map[string][]byte{"etc/docker/daemon.json": daemonJSON, "proc/7/comm": []byte("dockerd"), "proc/7/cmdline": cmdline} {
			os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
			os.WriteFile(filepath.Join(root, p), b, 0o644)
		}
		a := &auditor{root: root, socket: filepath.Join(root, "docker.sock"), log: quiet, info: info}
		a.d = readDaemon(root, info)
		a.daemonChecks()
		a.fileChecks()
		seen := map[string]bool{}
		for _, r := range a.results {
			seen[r.Control] = true
		}
		for _, c := range Controls {
			if (strings.HasPrefix(c.ID, "2.") || strings.HasPrefix(c.ID, "3.")) && !seen[c.ID] {
				t.Fatalf("control %s has no result", c.ID)
			}
		}
	})
}

type stoppedTopper struct{}

func (stoppedTopper) Top(context.Context, string) (*Top, error) { return nil, ErrNotRunning }

// FuzzInspect feeds arbitrary inspect answers through the section 5 checks: no panic, and one
// result per container control.
func FuzzInspect(f *testing.F) {
	for _, n := range []string{"good", "sock", "priv"} {
		f.Add([]byte(readTestdata(f, "inspect-"+n+".json")))
	}
	f.Add([]byte(`{"HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": "abc"}]}, "PidsLimit": -1}, "Mounts": [{"Source": "/"}]}`))
	info := &Info{SecurityOptions: []string{"name=apparmor", "name=selinux", "name=seccomp,profile=default"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Container
		if json.Unmarshal(b, &c) != nil || c.HostConfig == nil {
			return
		}
		a := &auditor{root: t.TempDir(), socket: "/var/run/docker.sock", log: quiet, info: info, d: &daemonConfig{}}
		seen := map[string]int{}
		a.assess(context.Background(), stoppedTopper{}, &c, func(id string, _ result.Status, _ string, _ ...any) { seen[id]++ })
		for _, id := range containerControls {
			if seen[id] != 1 {
				t.Fatalf("control %s: %d results, want 1", id, seen[id])
			}
		}
	})
}
