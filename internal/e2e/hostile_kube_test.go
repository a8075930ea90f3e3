package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/testenv"
)

// Hostile inputs of the Kubernetes commands (config, k8s, graph), run through the real rampart
// binary and the rampart-kube companion it hands them to. They need the binaries only.

// kubeTestdata holds the kubecmd package's fixtures: the hostile charts among them.
const kubeTestdata = "../cli/kubecmd/testdata"

// kubeRunLimit bounds one run: every input here is refused or read at once; a run that takes
// longer is the hang under test.
const kubeRunLimit = 60 * time.Second

// kubeRun is one run of the binary and how long it ran (after the signal, when one was sent).
type kubeRun struct {
	testenv.Result
	elapsed time.Duration
}

// runKube runs bin with args, fails the test when it outlives kubeRunLimit, and sends sig to it
// after delay when sig is not nil.
func runKube(t *testing.T, bin string, sig os.Signal, delay time.Duration, args ...string) kubeRun {
	t.Helper()
	res := runBounded(t, bin, kubeRunLimit, nil, sig, delay, args...)
	if sig != nil {
		return kubeRun{res.Result, res.afterSignal}
	}
	return kubeRun{res.Result, res.took}
}

// TestHostileCharts: a chart whose tpl recurses without end and one that doubles a string 40
// times are stopped by the rendering limits. Helm's own engine dies of a stack overflow after
// some 35 s and 4.7 GB on the first, and runs out of memory on the second. In a directory each
// is a warning and its controls are not assessed; given by name, exit 7 with one line. The
// memory bound is measured: the whole run, both binaries, under 1 GiB resident.
func TestHostileCharts(t *testing.T) {
	bin := testenv.Rampart(t)
	const maxRSS = 1 << 30
	res := runKube(t, bin, nil, 0, "config", "-q", "--format", "json", filepath.Join(kubeTestdata, "hostile"))
	if res.Code != 0 {
		t.Fatalf("%v", res.Result)
	}
	var rep struct {
		Warnings   []string `json:"warnings"`
		Compliance struct {
			Controls []struct{ Status, Reason string } `json:"controls"`
		} `json:"compliance"`
	}
	if err := json.Unmarshal(res.Stdout, &rep); err != nil {
		t.Fatalf("not a JSON report: %v", err)
	}
	if n := strings.Count(strings.Join(rep.Warnings, "\n"), "exceeds the rendering limits"); n != 2 {
		t.Errorf("warnings %q: want one per hostile chart", rep.Warnings)
	}
	for _, c := range rep.Compliance.Controls {
		if c.Status == "pass" {
			t.Errorf("a control passes with two charts not read: %+v", c)
		}
	}
	if res.MaxRSS > maxRSS {
		t.Errorf("config of the hostile charts: %d MiB resident, want under %d MiB", res.MaxRSS>>20, maxRSS>>20)
	}

	for _, chart := range []string{"tpl-recursion", "doubling"} {
		res := runKube(t, bin, nil, 0, "config", "-q", filepath.Join(kubeTestdata, "hostile", chart, "Chart.yaml"))
		if res.Code != cli.ExitInvalid || !strings.Contains(errorLine(t, res.Result), "exceeds the rendering limits") {
			t.Errorf("%v\nwant exit %d naming the limit", res.Result, cli.ExitInvalid)
		}
		if res.MaxRSS > maxRSS {
			t.Errorf("%s: %d MiB resident, want under %d MiB", chart, res.MaxRSS>>20, maxRSS>>20)
		}
	}
}

// TestKubeNamedPipes: a named pipe given to config, or as --manifests, is refused at once (exit
// 2, one line) instead of blocking in open forever; one inside a directory config walks is a
// warning.
func TestKubeNamedPipes(t *testing.T) {
	bin := testenv.Rampart(t)
	dir := t.TempDir()
	for _, name := range []string{"Dockerfile", "deploy.yaml"} {
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"config", filepath.Join(dir, "Dockerfile")},
		{"config", filepath.Join(dir, "deploy.yaml")},
		{"config", "/dev/zero"},
		{"k8s", "posture", "--manifests", filepath.Join(dir, "deploy.yaml")},
		{"k8s", "rbac", "--manifests", dir},
		{"graph", "--no-images", "--manifests", dir},
	} {
		res := runKube(t, bin, nil, 0, append([]string{"-q"}, args...)...)
		if res.Code != cli.ExitUsage || !strings.Contains(errorLine(t, res.Result), "not a regular file") {
			t.Errorf("%v\nwant exit %d", res.Result, cli.ExitUsage)
		}
	}
	res := runKube(t, bin, nil, 0, "config", "-q", "-f", "json", dir)
	if res.Code != 0 || strings.Count(string(res.Stdout), "not a regular file: it is a named pipe") != 2 {
		t.Errorf("%v\nwant exit 0 and a warning per pipe:\n%s", res.Result, res.Stdout)
	}
}

// TestKubeStopsOnSignal: a command blocked where cancellation does not reach (a values file
// that is a named pipe nothing writes to) ends within seconds of SIGINT or SIGTERM, whether the
// signal goes to rampart or to the companion doing the work.
func TestKubeStopsOnSignal(t *testing.T) {
	bin := testenv.Rampart(t)
	companion := filepath.Join(filepath.Dir(bin), "rampart-kube")
	fifo := filepath.Join(t.TempDir(), "values.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	chart := "../manifest/testdata/chart"
	for _, c := range []struct {
		bin string
		sig syscall.Signal
	}{{bin, syscall.SIGINT}, {bin, syscall.SIGTERM}, {companion, syscall.SIGINT}, {companion, syscall.SIGTERM}} {
		res := runKube(t, c.bin, c.sig, time.Second, "config", chart, "--values", fifo)
		if res.Code == 0 || res.elapsed > 5*time.Second {
			t.Errorf("%s after %v: exit %d %v after the signal, want an error within seconds\nstderr: %s",
				filepath.Base(c.bin), c.sig, res.Code, res.elapsed, res.Stderr)
		}
	}
}

// TestKubeExitCodeContract: the same failure gives the same code in every Kubernetes command
// (docs/exit-codes.md): missing path 4, input that does not parse 7; nothing assessed 9; JSON
// that is not a manifest is no error.
func TestKubeExitCodeContract(t *testing.T) {
	bin := testenv.Rampart(t)
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"graph", "--no-images", "--manifests", "../kube/testdata/bad"}, cli.ExitInvalid},
		{[]string{"graph", "--no-images", "--manifests", "no-such-dir"}, cli.ExitNotFound},
		{[]string{"k8s", "posture", "--manifests", "../kube/testdata/bad"}, cli.ExitInvalid},
		{[]string{"k8s", "posture", "--manifests", "no-such-dir"}, cli.ExitNotFound},
		{[]string{"config", "../kube/testdata/bad/broken.yaml"}, cli.ExitInvalid},
		{[]string{"config", "no-such-dir"}, cli.ExitNotFound},
		{[]string{"k8s", "posture", "--fail-on", "LOW", "--manifests", filepath.Join(kubeTestdata, "notassessed")}, cli.ExitNotAssessed},
		{[]string{"config", "--fail-on", "CRITICAL", filepath.Join(kubeTestdata, "json")}, cli.ExitGate},
	} {
		res := runKube(t, bin, nil, 0, append([]string{"-q"}, tt.args...)...)
		if res.Code != tt.code {
			t.Errorf("%v\nwant exit %d", res.Result, tt.code)
		}
		if tt.code != cli.ExitGate {
			errorLine(t, res.Result)
		}
	}
}
