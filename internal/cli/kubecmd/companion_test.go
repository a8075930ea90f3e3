package kubecmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

// runResult is one in-process run of rampart-kube.
type runResult struct {
	code           int
	stdout, stderr string
}

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.Cleanup()
	os.Exit(code)
}

// TestHandOverNames checks that rampart hands over exactly the commands rampart-kube adds, with
// the same one-line help, and that the two trees do not both define a command.
func TestHandOverNames(t *testing.T) {
	real := map[string]string{}
	for _, c := range Commands(&cli.Globals{}) {
		real[c.Name()] = c.Short
	}
	handed := map[string]string{}
	for _, c := range cli.CompanionCommands {
		handed[c.Name] = c.Short
	}
	if diff := cmp.Diff(real, handed); diff != "" {
		t.Errorf("cli.CompanionCommands differ from kubecmd.Commands (-real +handed):\n%s", diff)
	}
	core := cli.NewRoot(&cli.Globals{}, nil)
	full := cli.NewRoot(&cli.Globals{}, Commands)
	seen := map[string]int{}
	for _, c := range full.Commands() {
		seen[c.Name()]++
	}
	for name, n := range seen {
		if n > 1 {
			t.Errorf("rampart-kube defines %q %d times", name, n)
		}
	}
	for _, c := range core.Commands() {
		if _, ok := seen[c.Name()]; !ok {
			t.Errorf("rampart has %q but rampart-kube does not", c.Name())
		}
	}
}

// TestHandOverBinary runs the real binaries: rampart must give the same output, stderr and exit
// code for a handed-over command as rampart-kube itself, and say what is missing when the
// companion is not there.
func TestHandOverBinary(t *testing.T) {
	bin := testenv.Rampart(t)
	cases := [][]string{
		{"k8s", "rbac", "--manifests", k8sFixture, "-f", "json"},
		{"-q", "k8s", "who-can", "get", "secrets", "--manifests", k8sFixture, "-f", "json"},
		{"config", "testdata/config", "--format", "json", "--fail-on", "high"},
		{"k8s", "--help"},
		{"k8s", "rbac", "--manifests", "testdata/does-not-exist"},
		{"graph", "--no-such-flag"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			viaRampart := testenv.Run(t, nil, args...)
			var out, errb bytes.Buffer
			code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
			if viaRampart.Code != code {
				t.Errorf("exit code via rampart %d, rampart-kube in-process %d\n%s", viaRampart.Code, code, viaRampart)
			}
			if diff := cmp.Diff(out.String(), string(viaRampart.Stdout)); diff != "" {
				t.Errorf("stdout differs (-kube +rampart):\n%s", diff)
			}
			// Log lines carry their time; the rest must be equal.
			stamp := regexp.MustCompile(`time=\S+ `)
			if diff := cmp.Diff(stamp.ReplaceAllString(errb.String(), ""), stamp.ReplaceAllString(string(viaRampart.Stderr), "")); diff != "" {
				t.Errorf("stderr differs (-kube +rampart):\n%s", diff)
			}
		})
	}

	// Without the companion: a clear error, not a crash or an empty report. A copy of rampart
	// alone in a directory, with an empty PATH.
	lone := filepath.Join(t.TempDir(), "rampart")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	res := testenv.RunBinary(t, lone, []string{"PATH=" + t.TempDir(), "RAMPART_KUBE="}, "k8s", "rbac", "--manifests", k8sFixture)
	if res.Code != cli.ExitError || !strings.Contains(string(res.Stderr), cli.CompanionName) {
		t.Errorf("without the companion: %s", res)
	}
	// The core commands still work there.
	if res := testenv.RunBinary(t, lone, []string{"PATH=" + t.TempDir()}, "version"); res.Code != 0 {
		t.Errorf("version without the companion: %s", res)
	}
}

func runImage(t *testing.T, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	args = append([]string{"image", "-q", "--cache-dir", t.TempDir()}, args...)
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return runResult{code, out.String(), errb.String()}
}

func decodeReport(t *testing.T, res runResult) result.Report {
	t.Helper()
	var r result.Report
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatalf("decode report: %v\nstderr: %s", err, res.stderr)
	}
	return r
}

// TestVersionSkewWarning: a command handed over by a rampart of another build says so.
func TestVersionSkewWarning(t *testing.T) {
	for _, tt := range []struct {
		by   string
		warn bool
	}{{"", false}, {cli.Version(), false}, {"v0.0.0-other", true}} {
		t.Setenv("RAMPART_HANDED_OVER_BY", tt.by)
		var out, errb bytes.Buffer
		code := Main(context.Background(), []string{"k8s", "rbac", "--manifests", k8sFixture, "-f", "json"}, strings.NewReader(""), &out, &errb)
		if code != cli.ExitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		if got := strings.Contains(errb.String(), "different builds"); got != tt.warn {
			t.Errorf("handed over by %q: warning %v, want %v; stderr:\n%s", tt.by, got, tt.warn, errb.String())
		}
	}
}
