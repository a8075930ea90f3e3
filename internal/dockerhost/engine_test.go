package dockerhost

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

// docker runs the docker CLI and returns its trimmed output; an error fails the test.
func docker(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// realEngine returns the test environment's image after checking the engine answers.
func realEngine(t *testing.T) string {
	t.Helper()
	env := testenv.Load(t)
	if _, err := exec.LookPath("docker"); err != nil {
		testenv.Missing(t, "no docker CLI")
	}
	if _, err := NewEngine(DefaultSocket).Info(context.Background()); err != nil {
		testenv.Missing(t, "docker engine: "+err.Error())
	}
	return env.Fixtures.Base.Tag
}

// TestRealEngine starts containers with known settings on the real engine (scripts/test-setup.sh
// runs it with --bridge=none, so every container has --network none) and checks the audit
// against them, and against `docker inspect` as the independent truth.
func TestRealEngine(t *testing.T) {
	img := realEngine(t)
	b := make([]byte, 4)
	rand.Read(b)
	run := hex.EncodeToString(b)
	label := "rampart-test.dockerhost=" + run
	t.Cleanup(func() {
		ids, _ := exec.Command("docker", "ps", "-aq", "--filter", "label="+label).Output()
		if f := strings.Fields(string(ids)); len(f) > 0 {
			exec.Command("docker", append([]string{"rm", "-f"}, f...)...).Run()
		}
	})
	name := func(n string) string { return "rampart-dh-" + run + "-" + n }
	common := []string{"--label", label, "--network", "none"}
	create := func(verb, n string, args ...string) {
		a := append([]string{verb}, common...)
		a = append(a, "--name", name(n))
		if verb == "run" {
			a = append(a, "-d")
		}
		docker(t, append(append(a, args...), img, "sleep", "300")...)
	}
	// `docker run --privileged` fails on this machine; a created container is inspectable.
	create("create", "priv", "--privileged")
	create("create", "sock", "-v", "/var/run/docker.sock:/var/run/docker.sock", "--pid", "host", "--cap-add", "SYS_ADMIN")
	create("run", "bare")
	create("run", "good", "--read-only", "--memory", "64m", "--pids-limit", "50", "--cpu-shares", "512",
		"--security-opt", "no-new-privileges", "--restart", "on-failure:5")
	docker(t, append(append([]string{"run", "-d"}, common...), "--name", name("exited"), img, "true")...)
	docker(t, "wait", name("exited"))

	rep, err := Audit(context.Background(), Config{All: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	checkControls(t, rep)
	got := map[string]result.Status{}
	for _, r := range rep.Results {
		if r.Container != nil && strings.HasPrefix(r.Container.Name, "rampart-dh-"+run+"-") {
			got[strings.TrimPrefix(r.Container.Name, "rampart-dh-"+run+"-")+" "+r.Control] = r.Status
		}
	}
	want := map[string]result.Status{
		"priv 5.5": result.StatusFail, "priv 5.4": result.StatusPass, "priv 5.7": result.StatusNotAssessed,
		"sock 5.32": result.StatusFail, "sock 5.16": result.StatusFail, "sock 5.4": result.StatusFail, "sock 5.5": result.StatusPass,
		"bare 5.11": result.StatusFail, "bare 5.12": result.StatusFail, "bare 5.13": result.StatusFail, "bare 5.29": result.StatusFail,
		"bare 5.26": result.StatusFail, "bare 5.7": result.StatusPass, "bare 5.30": result.StatusPass,
		"good 5.4": result.StatusPass, "good 5.5": result.StatusPass, "good 5.11": result.StatusPass, "good 5.12": result.StatusPass,
		"good 5.13": result.StatusPass, "good 5.15": result.StatusPass, "good 5.16": result.StatusPass, "good 5.26": result.StatusPass,
		"good 5.29": result.StatusPass, "good 5.32": result.StatusPass, "good 5.7": result.StatusPass,
		"exited 5.7": result.StatusNotAssessed, "exited 5.5": result.StatusPass,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}

	// The independent truth: docker inspect's own view of each flag.
	truth := map[string]string{"5.5": "{{.HostConfig.Privileged}}", "5.16": `{{eq .HostConfig.PidMode "host"}}`,
		"5.13": "{{not .HostConfig.ReadonlyRootfs}}", "5.11": "{{eq .HostConfig.Memory 0}}"}
	for _, n := range []string{"priv", "sock", "bare", "good", "exited"} {
		for control, format := range truth {
			fails := docker(t, "inspect", "--format", format, name(n)) == "true"
			if g := got[n+" "+control]; (g == result.StatusFail) != fails {
				t.Errorf("%s %s: audit says %q, docker inspect says failing=%v", n, control, g, fails)
			}
		}
	}

	// Without --all only running containers are audited.
	rep, err = Audit(context.Background(), Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if r.Container != nil && strings.HasPrefix(r.Container.Name, "rampart-dh-"+run+"-") {
			seen[strings.TrimPrefix(r.Container.Name, "rampart-dh-"+run+"-")] = true
		}
	}
	if len(seen) != 2 || !seen["bare"] || !seen["good"] {
		t.Errorf("running-only audit covered %v, want bare and good", seen)
	}
}

// TestRealDaemonFlags checks that the test daemon's own flags (--bridge=none --iptables=false,
// see scripts/test-setup.sh) show in section 2, reading the truth from ps.
func TestRealDaemonFlags(t *testing.T) {
	realEngine(t)
	out, err := exec.Command("ps", "-C", "dockerd", "-o", "args=").Output()
	if err != nil {
		t.Fatalf("ps: %v", err)
	}
	args := strings.Fields(string(out))
	has := func(flag string) bool {
		for _, a := range args {
			if a == flag {
				return true
			}
		}
		return false
	}
	rep, err := Audit(context.Background(), Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	res := map[string]Result{}
	for _, r := range rep.Results {
		if r.Resource == "daemon" {
			res[r.Control] = r
		}
	}
	if rep.Host.DaemonPID == 0 || rep.Host.DaemonArgs != strings.Join(args[1:], " ") {
		t.Errorf("daemon pid %d args %q, ps says %q", rep.Host.DaemonPID, rep.Host.DaemonArgs, args)
	}
	if has("--iptables=false") != (res["2.4"].Status == result.StatusFail) {
		t.Errorf("ps args %q; 2.4 %s (%s)", args, res["2.4"].Status, res["2.4"].Evidence)
	}
	if has("--bridge=none") && (res["2.2"].Status != result.StatusPass || !strings.Contains(res["2.2"].Evidence, "bridge=none (command line)")) {
		t.Errorf("--bridge=none: 2.2 %s (%s)", res["2.2"].Status, res["2.2"].Evidence)
	}
	if _, err := os.Stat("/etc/docker/daemon.json"); err != nil && res["2.16"].Status == result.StatusNotAssessed {
		t.Errorf("2.16 not assessed although the command line and daemon.json are known: %s", res["2.16"].Reason)
	}
}

// TestRealEngineFifty audits a real engine holding 50 of our containers (10 running) and checks
// the 5 s budget. Creating them takes a while, so -short skips it.
func TestRealEngineFifty(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 50 containers")
	}
	img := realEngine(t)
	b := make([]byte, 4)
	rand.Read(b)
	run := hex.EncodeToString(b)
	label := "rampart-test.dockerhost=" + run
	t.Cleanup(func() {
		ids, _ := exec.Command("docker", "ps", "-aq", "--filter", "label="+label).Output()
		if f := strings.Fields(string(ids)); len(f) > 0 {
			exec.Command("docker", append([]string{"rm", "-f"}, f...)...).Run()
		}
	})
	var running []string
	for i := range 50 {
		id := docker(t, "create", "--label", label, "--network", "none", "--name", fmt.Sprintf("rampart-dh50-%s-%02d", run, i), img, "sleep", "300")
		if i < 10 {
			running = append(running, id)
		}
	}
	docker(t, append([]string{"start"}, running...)...)
	start := time.Now()
	rep, err := Audit(context.Background(), Config{All: true, Logger: quiet})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	ours, sshdPass := 0, 0
	for _, r := range rep.Results {
		if r.Container != nil && strings.HasPrefix(r.Container.Name, "rampart-dh50-"+run) && r.Control == "5.5" {
			ours++
		}
		if r.Container != nil && strings.HasPrefix(r.Container.Name, "rampart-dh50-"+run) && r.Control == "5.7" && r.Status == result.StatusPass {
			sshdPass++
		}
	}
	if ours != 50 || sshdPass != 10 {
		t.Errorf("audited %d of our 50 containers, %d running ones with a process list; want 50 and 10", ours, sshdPass)
	}
	if took > 5*time.Second {
		t.Errorf("audit of %d containers took %v, budget 5s", rep.Host.Containers, took)
	}
	t.Logf("real engine, %d containers: %v", rep.Host.Containers, took)
}
