package dockerhost

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rampartsec/rampart/internal/result"
)

// auditHost runs the audit of a fake engine without containers on a fake root.
func auditHost(t *testing.T, files map[string]string) *Report {
	t.Helper()
	f := newFakeEngine(t)
	f.start(t)
	root := fakeRoot(t, files)
	rep, err := Audit(context.Background(), Config{Host: f.socket, Root: root, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func statusOf(rep *Report, ids ...string) map[string]result.Status {
	got := map[string]result.Status{}
	for _, r := range rep.Results {
		for _, id := range ids {
			if r.Control == id {
				got[id] = r.Status
			}
		}
	}
	return got
}

func TestDaemonSettings(t *testing.T) {
	ids := []string{"2.2", "2.3", "2.4", "2.7", "2.10", "2.11", "2.14", "2.16"}
	tests := []struct {
		name     string
		args     []string // nil: no dockerd process
		json     string   // "": no daemon.json
		extra    map[string]string
		want     map[string]result.Status
		evidence string // a warning or evidence that must appear
	}{
		{
			name: "test daemon: no bridge, no iptables",
			args: []string{"--bridge=none", "--iptables=false"},
			want: map[string]result.Status{"2.2": result.StatusPass, "2.3": result.StatusPass, "2.4": result.StatusFail, "2.7": result.StatusPass,
				"2.10": result.StatusPass, "2.11": result.StatusPass, "2.14": result.StatusFail, "2.16": result.StatusFail},
			evidence: "iptables=false (command line)",
		},
		{
			name: "daemon.json hardening, TCP without TLS",
			args: []string{},
			json: `{"icc": false, "log-level": "debug", "no-new-privileges": true, "userland-proxy": false,
				"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"], "cgroup-parent": "/docker",
				"storage-opts": ["dm.basesize=20G"]}`,
			want: map[string]result.Status{"2.2": result.StatusPass, "2.3": result.StatusFail, "2.4": result.StatusPass, "2.7": result.StatusFail,
				"2.10": result.StatusManual, "2.11": result.StatusManual, "2.14": result.StatusPass, "2.16": result.StatusPass},
			evidence: "TCP socket tcp://0.0.0.0:2375",
		},
		{
			name: "flags with separate values and TLS",
			args: []string{"-H", "tcp://0.0.0.0:2376", "--tlsverify", "--tlscacert", "/etc/docker/ca.pem",
				"--tlscert=/etc/docker/cert.pem", "--tlskey", "/etc/docker/key.pem", "--icc=false", "-l", "warn"},
			want: map[string]result.Status{"2.2": result.StatusPass, "2.3": result.StatusFail, "2.4": result.StatusPass, "2.7": result.StatusPass,
				"2.10": result.StatusPass, "2.11": result.StatusPass, "2.14": result.StatusFail, "2.16": result.StatusFail},
			evidence: "log-level=warn (command line)",
		},
		{
			name: "malformed daemon.json",
			args: []string{"--iptables=false"},
			json: `{"icc": false,`,
			want: map[string]result.Status{"2.2": result.StatusNotAssessed, "2.3": result.StatusNotAssessed, "2.4": result.StatusFail, "2.7": result.StatusNotAssessed,
				"2.10": result.StatusNotAssessed, "2.11": result.StatusNotAssessed, "2.14": result.StatusNotAssessed, "2.16": result.StatusNotAssessed},
			evidence: "parse daemon.json: unexpected end of JSON input",
		},
		{
			name: "daemon.json not an object",
			args: []string{},
			json: `[1, 2]`,
			want: map[string]result.Status{"2.2": result.StatusNotAssessed, "2.3": result.StatusNotAssessed, "2.4": result.StatusNotAssessed, "2.7": result.StatusNotAssessed,
				"2.10": result.StatusNotAssessed, "2.11": result.StatusNotAssessed, "2.14": result.StatusNotAssessed, "2.16": result.StatusNotAssessed},
			evidence: "parse daemon.json",
		},
		{
			name: "no dockerd process: daemon.json alone",
			json: `{"icc": false}`,
			want: map[string]result.Status{"2.2": result.StatusPass, "2.3": result.StatusNotAssessed, "2.4": result.StatusNotAssessed, "2.7": result.StatusNotAssessed,
				"2.10": result.StatusNotAssessed, "2.11": result.StatusNotAssessed, "2.14": result.StatusNotAssessed, "2.16": result.StatusNotAssessed},
			evidence: "dockerd command line not read",
		},
		{
			name:  "--config-file elsewhere",
			args:  []string{"--config-file=/srv/docker.json"},
			extra: map[string]string{"/srv/docker.json": `{"userland-proxy": false, "debug": true}`},
			json:  `{"userland-proxy": true}`,
			want: map[string]result.Status{"2.2": result.StatusFail, "2.3": result.StatusFail, "2.4": result.StatusPass, "2.7": result.StatusPass,
				"2.10": result.StatusPass, "2.11": result.StatusPass, "2.14": result.StatusFail, "2.16": result.StatusPass},
			evidence: "userland-proxy=false (/srv/docker.json)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.args != nil {
				files = dockerdFiles(tt.args...)
			}
			if tt.json != "" {
				files["/etc/docker/daemon.json"] = tt.json
			}
			maps.Copy(files, tt.extra)
			rep := auditHost(t, files)
			if diff := cmp.Diff(tt.want, statusOf(rep, ids...)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			var all []string
			for _, r := range rep.Results {
				all = append(all, r.Evidence, r.Reason)
			}
			all = append(all, rep.Warnings...)
			if !strings.Contains(strings.Join(all, "\n"), tt.evidence) {
				t.Errorf("no evidence or warning mentions %q", tt.evidence)
			}
		})
	}
}

func TestFileControls(t *testing.T) {
	files := dockerdFiles("--tlscacert=/etc/docker/ca.pem", "--tlskey=/etc/docker/key.pem")
	files["/etc/docker/daemon.json"] = `{}`
	files["/etc/docker/ca.pem"] = "ca"
	files["/etc/docker/key.pem"] = "key"
	files["/etc/docker/certs.d/reg:5000/ca.crt"] = "ca"
	files["/lib/systemd/system/docker.service"] = "[Unit]"
	files["/etc/group"] = "root:x:0:\ndocker:x:999:\n"
	f := newFakeEngine(t)
	f.start(t)
	os.Chmod(f.socket, 0o660)
	root := fakeRoot(t, files)
	os.Chmod(filepath.Join(root, "etc/docker/daemon.json"), 0o666)
	os.Chmod(filepath.Join(root, "etc/docker/ca.pem"), 0o444)
	os.Chmod(filepath.Join(root, "etc/docker/key.pem"), 0o400)
	os.Chmod(filepath.Join(root, "etc/docker/certs.d/reg:5000/ca.crt"), 0o444)
	os.Chmod(filepath.Join(root, "etc/docker"), 0o755)
	asRoot := os.Geteuid() == 0
	if asRoot {
		os.Chown(filepath.Join(root, "etc/docker/key.pem"), 65534, 65534)
		os.Chown(f.socket, 0, 999)
	}
	rep, err := Audit(context.Background(), Config{Host: f.socket, Root: root, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]result.Status{
		"3.1 /lib/systemd/system/docker.service": result.StatusPass, "3.2 /lib/systemd/system/docker.service": result.StatusPass,
		"3.3 /etc/systemd/system/docker.socket": result.StatusNotAssessed, "3.4 /etc/systemd/system/docker.socket": result.StatusNotAssessed,
		"3.6 /etc/docker":                         result.StatusPass,
		"3.8 /etc/docker/certs.d/reg:5000/ca.crt": result.StatusPass,
		"3.10 /etc/docker/ca.pem":                 result.StatusPass,
		"3.11 daemon":                             result.StatusNotAssessed, // no --tlscert
		"3.12 daemon":                             result.StatusNotAssessed,
		"3.14 /etc/docker/key.pem":                result.StatusPass,
		"3.16 " + f.socket:                        result.StatusPass,
		"3.18 /etc/docker/daemon.json":            result.StatusFail, // 0666
		"3.19 /etc/default/docker":                result.StatusNotAssessed,
		"3.21 /etc/sysconfig/docker":              result.StatusNotAssessed,
		"3.22 /etc/sysconfig/docker":              result.StatusNotAssessed,
		"3.24 /run/containerd/containerd.sock":    result.StatusNotAssessed,
	}
	if asRoot {
		want["3.13 /etc/docker/key.pem"] = result.StatusFail // nobody:nogroup
		want["3.15 "+f.socket] = result.StatusPass           // root:docker
		want["3.17 /etc/docker/daemon.json"] = result.StatusPass
	}
	got := byKey(rep.Results)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}
	for _, r := range rep.Results {
		if r.Status == result.StatusPass && strings.Contains(r.Evidence+r.Reason, "does not exist") {
			t.Errorf("%s %s passes on a missing file", r.Control, r.Resource)
		}
	}
}

func TestHostControls(t *testing.T) {
	base := dockerdFiles()
	withAudit := maps.Clone(base)
	maps.Copy(withAudit, map[string]string{
		"/proc/mounts":                      "/dev/vda1 / ext4 rw 0 0\n/dev/vdb /var/lib/docker ext4 rw 0 0\n",
		"/etc/group":                        "root:x:0:\ndocker:x:999:alice,bob\n",
		"/etc/audit/rules.d/docker.rules":   "# docker\n-w /usr/bin/dockerd -p rwxa -k docker\n-a exit,always -F path=/etc/docker -k docker\n",
		"/usr/bin/dockerd":                  "",
		"/etc/docker/x":                     "",
		"/var/lib/docker/x":                 "",
		"/lib/systemd/system/docker.socket": "",
	})
	tests := []struct {
		name  string
		files map[string]string
		want  map[string]result.Status
	}{
		{"audit rules and a docker partition", withAudit, map[string]result.Status{
			"1.1.1": result.StatusPass, "1.1.2": result.StatusManual, "1.1.3": result.StatusPass, "1.1.5": result.StatusFail, "1.1.6": result.StatusPass,
			"1.1.9": result.StatusFail, "1.1.13": result.StatusNotAssessed, "1.2.1": result.StatusManual, "1.2.2": result.StatusManual,
		}},
		{"no auditd, no partition, empty docker group", func() map[string]string {
			m := maps.Clone(base)
			m["/proc/mounts"] = "/dev/vda1 / ext4 rw 0 0\n"
			m["/etc/group"] = "docker:x:999:\n"
			m["/usr/bin/dockerd"] = ""
			return m
		}(), map[string]result.Status{
			"1.1.1": result.StatusFail, "1.1.2": result.StatusPass, "1.1.3": result.StatusNotAssessed, "1.1.5": result.StatusNotAssessed, "1.1.6": result.StatusNotAssessed,
			"1.1.9": result.StatusNotAssessed, "1.1.13": result.StatusNotAssessed, "1.2.1": result.StatusManual, "1.2.2": result.StatusManual,
		}},
	}
	primary := maps.Clone(base)
	primary["/etc/group"] = "docker:x:999:\n"
	primary["/etc/passwd"] = "root:x:0:0::/root:/bin/sh\ncarol:x:1001:999::/home/carol:/bin/sh\n"
	tests = append(tests, struct {
		name  string
		files map[string]string
		want  map[string]result.Status
	}{"docker as a primary group", primary, map[string]result.Status{"1.1.2": result.StatusManual}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := auditHost(t, tt.files)
			var ids []string
			for id := range tt.want {
				ids = append(ids, id)
			}
			if diff := cmp.Diff(tt.want, statusOf(rep, ids...)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummaryCountsEveryResult(t *testing.T) {
	rep := auditHost(t, dockerdFiles("--bridge=none"))
	n := 0
	for _, s := range rep.Summary {
		n += s.Pass + s.Fail + s.Manual + s.NotAssessed + s.Info
	}
	if n != len(rep.Results) {
		t.Errorf("summary counts %d results, report has %d", n, len(rep.Results))
	}
	// Every automated or manual control of sections 1-3 gets a result without containers.
	seen := map[string]bool{}
	for _, r := range rep.Results {
		seen[r.Control] = true
	}
	for _, c := range Controls {
		if strings.HasPrefix(c.ID, "1.") || strings.HasPrefix(c.ID, "2.") || strings.HasPrefix(c.ID, "3.") {
			if !seen[c.ID] {
				t.Errorf("control %s has no result", c.ID)
			}
		}
	}
}
