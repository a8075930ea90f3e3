package dockerhost

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
)

// containerCase builds a fake engine holding the three recorded containers (see
// testdata/engine: created with `docker create --privileged`, `docker create -v
// /var/run/docker.sock:… --pid host --cap-add SYS_ADMIN -v /etc:/host-etc:ro -p 127.0.0.1:80:80`,
// and `docker run --read-only --memory 64m --pids-limit 50 --cpu-shares 512 --security-opt
// no-new-privileges --restart on-failure:5`), one that vanishes after the list and one that
// stops between inspect and top.
func containerCase(t *testing.T) *fakeEngine {
	rec := recordedContainers(t)
	f := newFakeEngine(t)
	f.add(t, rec["good"], "good0000000000000001", "good", true)
	f.add(t, rec["sock"], "sock0000000000000002", "sock", false)
	f.add(t, rec["priv"], "priv0000000000000003", "priv", false)
	f.add(t, rec["good"], "gone0000000000000004", "gone", true)
	delete(f.inspect, "gone0000000000000004")
	f.add(t, rec["good"], "stop0000000000000005", "stopping", true)
	delete(f.top, "stop0000000000000005")
	f.start(t)
	return f
}

func TestContainerControls(t *testing.T) {
	f := containerCase(t)
	root := fakeRoot(t, dockerdFiles("--bridge=none", "--iptables=false"))
	rep, err := Audit(context.Background(), Config{Host: "unix://" + f.socket, Root: root, All: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	checkControls(t, rep)
	got := byKey(rep.Results)
	const (
		good = "good (good00000000)"
		sock = "sock (sock00000000)"
		priv = "priv (priv00000000)"
		gone = "gone (gone00000000)"
		stop = "stopping (stop00000000)"
	)
	want := map[string]result.Status{
		"5.5 " + priv: result.StatusFail, "5.5 " + sock: result.StatusPass, "5.5 " + good: result.StatusPass,
		"5.4 " + sock: result.StatusFail, "5.4 " + priv: result.StatusPass, "5.4 " + good: result.StatusPass,
		"5.6 " + sock: result.StatusFail, "5.6 " + good: result.StatusPass,
		"5.7 " + good: result.StatusPass, "5.7 " + sock: result.StatusNotAssessed, "5.7 " + stop: result.StatusNotAssessed,
		"5.8 " + sock: result.StatusFail, "5.8 " + good: result.StatusPass,
		"5.9 " + sock: result.StatusManual, "5.9 " + good: result.StatusPass,
		"5.10 " + good: result.StatusPass,
		"5.11 " + good: result.StatusPass, "5.11 " + priv: result.StatusFail, "5.11 " + sock: result.StatusFail,
		"5.12 " + good: result.StatusPass, "5.12 " + priv: result.StatusFail,
		"5.13 " + good: result.StatusPass, "5.13 " + priv: result.StatusFail,
		"5.14 " + sock: result.StatusPass, // published on 127.0.0.1 only
		"5.15 " + good: result.StatusPass, "5.15 " + priv: result.StatusPass,
		"5.16 " + sock: result.StatusFail, "5.16 " + good: result.StatusPass, "5.16 " + priv: result.StatusPass,
		"5.2 " + good:  result.StatusNotAssessed, // the recorded daemon has no AppArmor
		"5.26 " + good: result.StatusPass, "5.26 " + priv: result.StatusFail,
		"5.27 " + good: result.StatusFail,
		"5.29 " + good: result.StatusPass, "5.29 " + priv: result.StatusFail,
		"5.30 " + good: result.StatusPass, // --network none
		"5.32 " + sock: result.StatusFail, "5.32 " + good: result.StatusPass, "5.32 " + priv: result.StatusPass,
		"5.1 daemon": result.StatusPass,
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s: got %q, want %q", k, g, w)
		}
	}
	for _, id := range containerControls {
		if g := got[id+" "+gone]; g != result.StatusNotAssessed {
			t.Errorf("%s of a vanished container: %q, want not_assessed", id, g)
		}
	}
	for _, r := range rep.Results {
		if r.Control == "5.7" && r.Resource == stop && !strings.Contains(r.Reason, "stopped during the audit") {
			t.Errorf("5.7 of the stopping container: reason %q", r.Reason)
		}
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "gone00000000: container removed during the audit") {
		t.Errorf("no warning about the vanished container: %q", rep.Warnings)
	}

	// One list, one inspect per container, one top per running container.
	if n := f.count("/containers/json"); n != 1 {
		t.Errorf("listed containers %d times, want 1", n)
	}
	for _, c := range f.list {
		if n := f.count("/containers/" + c.ID + "/json"); n != 1 {
			t.Errorf("inspected %s %d times, want 1", c.ID, n)
		}
		wantTop := 0
		if c.State == "running" && c.ID != "gone0000000000000004" {
			wantTop = 1
		}
		if n := f.count("/containers/" + c.ID + "/top"); n != wantTop {
			t.Errorf("top of %s %d times, want %d", c.ID, n, wantTop)
		}
	}

	// Failures are findings of the common model, and only failures.
	fails := 0
	for _, r := range rep.Results {
		if r.Status == result.StatusFail {
			fails++
		}
	}
	if len(rep.Findings) != fails {
		t.Errorf("%d findings for %d failures", len(rep.Findings), fails)
	}
	for _, fd := range rep.Findings {
		if fd.ID == "DH505" {
			want := finding.Finding{
				Kind: finding.KindMisconfig, ID: "DH505", Title: "Ensure that privileged containers are not used",
				Severity: finding.SeverityCritical, Resource: &finding.Resource{Kind: "container", Name: "priv", Container: "priv0000000000000003"},
				Evidence: "HostConfig.Privileged true", Remediation: "run without --privileged",
				References: []string{DocsURL + "#dh505"},
				Compliance: []finding.Compliance{{Standard: "CIS-Docker", Control: "5.5"}},
			}
			if diff := cmp.Diff(want, fd); diff != "" {
				t.Errorf("privileged finding (-want +got):\n%s", diff)
			}
		}
	}
}

func TestRunningOnlyByDefault(t *testing.T) {
	f := containerCase(t)
	root := fakeRoot(t, dockerdFiles())
	rep, err := Audit(context.Background(), Config{Host: f.socket, Root: root, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if r.Container != nil {
			seen[r.Container.Name] = true
		}
	}
	if diff := cmp.Diff(map[string]bool{"good": true, "gone": true, "stopping": true}, seen); diff != "" {
		t.Errorf("containers audited without --all (-want +got):\n%s", diff)
	}
}

func TestEngineErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nothing.sock")
	_, err := Audit(context.Background(), Config{Host: "unix://" + missing, Root: t.TempDir(), Logger: quiet})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing socket: %v, want ErrUnreachable naming %s", err, missing)
	}
	// A plain file where the socket should be: connection refused.
	notSock := filepath.Join(dir, "file.sock")
	os.WriteFile(notSock, nil, 0o600)
	if _, err := Audit(context.Background(), Config{Host: notSock, Logger: quiet}); !errors.Is(err, ErrUnreachable) {
		t.Errorf("not a socket: %v, want ErrUnreachable", err)
	}
	f := newFakeEngine(t)
	f.status = 403
	f.start(t)
	if _, err := Audit(context.Background(), Config{Host: f.socket, Logger: quiet}); !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), f.socket) {
		t.Errorf("403: %v, want ErrUnauthorized naming the socket", err)
	}
	if _, err := Audit(context.Background(), Config{Host: "tcp://127.0.0.1:2375", Logger: quiet}); !errors.Is(err, ErrBadHost) || !strings.Contains(err.Error(), "only unix") {
		t.Errorf("tcp host: %v, want a refusal", err)
	}
}

func TestSocketPath(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///run/user/1000/docker.sock")
	for in, want := range map[string]string{
		"":                           "/run/user/1000/docker.sock",
		"/var/run/docker.sock":       "/var/run/docker.sock",
		"unix:///var/run/other.sock": "/var/run/other.sock",
	} {
		got, err := SocketPath(in)
		if err != nil || got != want {
			t.Errorf("SocketPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// checkControls holds a report to the control model: every result is a valid [result.Control]
// of CIS-Docker with a rule, the summary counts every result per section, and the failed
// results and the findings match one for one (rule, control, evidence).
func checkControls(t *testing.T, rep *Report) {
	t.Helper()
	type key struct{ rule, control, evidence string }
	failed := map[key]int{}
	for _, c := range rep.Controls() {
		if err := c.Valid(); err != nil {
			t.Error(err)
		}
		if c.Standard != StandardCISDocker || c.Rule == "" || ControlByID(c.Control) == nil {
			t.Errorf("control %s: standard %q rule %q", c.Control, c.Standard, c.Rule)
		}
		if c.Status == result.StatusFail {
			failed[key{c.Rule, c.Control, c.Evidence}]++
		}
	}
	for _, f := range rep.Findings {
		k := key{f.ID, "", f.Evidence}
		if len(f.Compliance) == 1 {
			k.control = f.Compliance[0].Control
		}
		if failed[k] == 0 {
			t.Errorf("finding %s (%s) has no failed control", f.ID, f.Evidence)
			continue
		}
		failed[k]--
	}
	for k, n := range failed {
		if n > 0 {
			t.Errorf("failed control %s (%s) has no finding", k.control, k.evidence)
		}
	}
	tot := result.TotalControls(rep.Summary)
	if n := tot.Pass + tot.Fail + tot.Manual + tot.NotAssessed + tot.Info; n != len(rep.Results) {
		t.Errorf("summary counts %d results, report has %d", n, len(rep.Results))
	}
	for _, s := range rep.Summary {
		if s.Standard != StandardCISDocker || s.Section == "" || s.Title == "" {
			t.Errorf("summary %+v", s)
		}
	}
	if result.NothingAssessed(rep.Controls()) {
		t.Error("nothing assessed")
	}
}
