package kubecmd

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/finding"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var updateConfigGolden = flag.Bool("update-config", false, "rewrite testdata/config.golden.json")

// runCLI runs rampart with args and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"--quiet", "--no-cache"}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// TestConfigDirectory checks the walk, the findings and the golden JSON report of a small tree.
func TestConfigDirectory(t *testing.T) {
	out, stderr, code := runCLI(t, "config", "testdata/config", "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	rep := decodeReport(t, runResult{stdout: out, stderr: stderr})
	var got []string
	for _, f := range rep.Findings {
		got = append(got, fmt.Sprintf("%s:%d %s", f.Location.Path, f.Location.Line, f.ID))
	}
	slices.Sort(got)
	// Written from the files, not from the output: node_modules is skipped, the broken file is a
	// warning, the .dockerignore next to api.Dockerfile keeps COPY . quiet.
	want := []string{
		"Dockerfile.dev:2 DF009",
		"Dockerfile.dev:3 DF006",
		"Dockerfile.dev:3 DF007",
		"Dockerfile.dev:5 DF002",
		"Dockerfile:10 DF010",
		"Dockerfile:7 DF001",
		"Dockerfile:7 DF002",
		"Dockerfile:8 DF014",
		"services/api/api.Dockerfile:1 DF005",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "broken/Containerfile:3: unknown instruction INSTALL") {
		t.Errorf("warnings = %q, want the broken Containerfile named with its line", rep.Warnings)
	}
	if strings.Contains(out, "tok_9f8e7d6c5b4a") {
		t.Error("report leaks the ENV secret")
	}

	// The golden file pins the whole JSON shape; time and version vary.
	norm := regexp.MustCompile(`"created_at": "[^"]*"`).ReplaceAllString(out, `"created_at": "TIME"`)
	norm = regexp.MustCompile(`("tool": \{\s*"name": "rampart",\s*"version": )"[^"]*"`).ReplaceAllString(norm, `$1"VERSION"`)
	golden := filepath.Join("testdata", "config.golden.json")
	if *updateConfigGolden {
		if err := os.WriteFile(golden, []byte(norm), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want2, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run TestConfigDirectory -update-config)", err)
	}
	if diff := cmp.Diff(string(want2), norm); diff != "" {
		t.Errorf("JSON report differs from %s (-want +got):\n%s", golden, diff)
	}
}

func TestConfigExitCodes(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(bad, []byte("FROM debian:12\nRUN true\nINSTALL curl\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"findings, no gate", []string{"config", "testdata/config/Dockerfile"}, cli.ExitOK, ""},
		{"gate HIGH trips on DF001 and DF010", []string{"config", "testdata/config/Dockerfile", "--fail-on", "high"}, cli.ExitGate, ""},
		{"gate CRITICAL does not", []string{"config", "testdata/config/Dockerfile", "--fail-on", "CRITICAL"}, cli.ExitOK, ""},
		{"gate after severity filter", []string{"config", "testdata/config/Dockerfile", "--severity", "LOW", "--fail-on", "medium"}, cli.ExitOK, ""},
		{"missing path", []string{"config", "testdata/config/nope"}, cli.ExitNotFound, "no such file"},
		{"malformed file", []string{"config", bad}, cli.ExitInvalid, "Dockerfile:3: unknown instruction INSTALL"},
		{"bad format", []string{"config", "testdata/config", "--format", "cyclonedx-json"}, cli.ExitUsage, "--format"},
		{"bad severity", []string{"config", "testdata/config", "--fail-on", "urgent"}, cli.ExitUsage, "--fail-on"},
		{"no path", []string{"config"}, cli.ExitUsage, "PATH"},
		{"nothing to check, gate", []string{"config", empty, "--fail-on", "LOW"}, cli.ExitNotAssessed, "nothing assessed"},
		{"nothing to check, no gate", []string{"config", empty}, cli.ExitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
		})
	}
}

func TestConfigSeverityFilter(t *testing.T) {
	out, _, code := runCLI(t, "config", "testdata/config", "--format", "json", "--severity", "HIGH,MEDIUM")
	if code != cli.ExitOK {
		t.Fatalf("exit %d", code)
	}
	var ids []string
	for _, f := range decodeReport(t, runResult{stdout: out}).Findings {
		if f.Severity != "HIGH" && f.Severity != "MEDIUM" {
			t.Errorf("%s %s passed the filter", f.ID, f.Severity)
		}
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	if want := []string{"DF001", "DF005", "DF006", "DF010"}; !cmp.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
}

func TestConfigSARIFAndOutputFile(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "out.sarif")
	stdout, stderr, code := runCLI(t, "config", "testdata/config", "--format", "sarif", "-o", dst)
	if code != cli.ExitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range log.Runs[0].Results {
		l := r.Locations[0].PhysicalLocation
		got = append(got, fmt.Sprintf("%s:%d %s", l.ArtifactLocation.URI, l.Region.StartLine, r.RuleID))
	}
	slices.Sort(got)
	if len(got) != 9 || !slices.Contains(got, "services/api/api.Dockerfile:1 DF005") || !slices.Contains(got, "Dockerfile:10 DF010") {
		t.Errorf("SARIF results = %q", got)
	}
}

func TestConfigEmptyDirectory(t *testing.T) {
	out, _, code := runCLI(t, "config", "testdata/config/docs", "--format", "json")
	rep := decodeReport(t, runResult{stdout: out})
	if code != cli.ExitOK || len(rep.Findings) != 0 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "no configuration file found") {
		t.Errorf("exit %d, report %+v; want no findings and a warning", code, rep)
	}
}

func TestIsDockerfileName(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "dockerfile": true, "Containerfile": true, "api.Dockerfile": true,
		"Dockerfile.dev": true, "Dockerfile.dockerignore": false, ".dockerignore": false,
		"Dockerfile-old": false, "README.md": false, "docker-compose.yml": false,
		"dockerfile.go": false, "Dockerfile.md": false, "Dockerfile.alpine": true, "build.containerfile": true,
	} {
		if got := isDockerfileName(name); got != want {
			t.Errorf("isDockerfileName(%q) = %v, want %v", name, got, want)
		}
	}
}

// tarLayer is a layer holding regular files with the given modes.
func tarLayer(t *testing.T, modes map[string]int64) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := slices.Sorted(maps.Keys(modes))
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: modes[n], Typeflag: tar.TypeReg, Size: 1}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte("x"))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestImageMisconfigScanner runs `rampart image --scanners misconfig` on an image built in code:
// a setuid file in the base layer (not reported), one in the second layer, root user, port 22.
func TestImageMisconfigScanner(t *testing.T) {
	img, err := mutate.AppendLayers(empty.Image,
		tarLayer(t, map[string]int64{"usr/bin/su": 04755}),
		tarLayer(t, map[string]int64{"usr/local/bin/tool": 04755, "app/run": 0o755}))
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{ExposedPorts: map[string]struct{}{"22/tcp": {}}, Env: []string{"API_TOKEN=ghp_4f8Qz2LmN7vX1cR9tY6wK3pB0sD5hJ8aE2uI"}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "img.tar")
	tag, _ := name.NewTag("test/misconfig:1")
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	res := runImage(t, "--scanners", "misconfig", "-f", "json", "docker-archive:"+p)
	if res.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var got []string
	for _, f := range decodeReport(t, res).Findings {
		got = append(got, f.ID+" "+f.Location.Path+f.Location.Field)
	}
	slices.Sort(got)
	want := []string{"IC001 config.User", "IC002 config.ExposedPorts", "IC003 config.Healthcheck", "IC004 env:API_TOKEN", "IC005 usr/local/bin/tool"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}
	if res := runImage(t, "--scanners", "misconfig", "--fail-on", "HIGH", "docker-archive:"+p); res.code != cli.ExitGate {
		t.Errorf("--fail-on HIGH: exit %d, want %d", res.code, cli.ExitGate)
	}
}

// withTimeout runs f, failing the test if it has not returned within d (a named pipe opened
// blocks until a writer comes: the test must not hang with it).
func withTimeout(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %v: blocked on a named pipe?", d)
	}
}

// TestConfigNotRegularFiles: a named pipe or a device given to config is refused at once with
// one line (exit 2) instead of blocking in open forever; in a directory, one with the name of a
// Dockerfile or a manifest is a warning and the rest is checked.
func TestConfigNotRegularFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"Dockerfile", "deploy.yaml", "other.fifo"} {
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "pod.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: x, securityContext: {privileged: true}}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	withTimeout(t, 30*time.Second, func() {
		for _, p := range []string{filepath.Join(dir, "Dockerfile"), filepath.Join(dir, "deploy.yaml"), "/dev/null"} {
			_, stderr, code := runCLI(t, "config", p)
			if code != cli.ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "not a regular file") {
				t.Errorf("%s: exit %d, stderr %q; want %d and one line", p, code, stderr, cli.ExitUsage)
			}
		}
		out, stderr, code := runCLI(t, "config", dir, "--format", "json")
		if code != cli.ExitOK {
			t.Fatalf("directory: exit %d, stderr %s", code, stderr)
		}
		var got configKubeOut
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		want := []string{"Dockerfile: not a regular file: it is a named pipe", "deploy.yaml: not a regular file: it is a named pipe"}
		if diff := cmp.Diff(want, got.Warnings); diff != "" {
			t.Errorf("warnings (-want +got):\n%s", diff)
		}
		if !slices.ContainsFunc(got.Findings, func(f finding.Finding) bool { return f.ID == "PS003" }) {
			t.Error("pod.yaml beside the pipes was not checked")
		}
	})
}

// TestConfigJSONByContent: .json files are manifests when they hold apiVersion and kind, and
// are read as JSON: a \/ escape or a surrogate pair is no parse error; package.json, a
// tsconfig.json with comments and a values file are skipped without a word.
func TestConfigJSONByContent(t *testing.T) {
	out, stderr, code := runCLI(t, "config", "testdata/json", "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var got configKubeOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Warnings) != 0 {
		t.Errorf("warnings %q, want none", got.Warnings)
	}
	i := slices.IndexFunc(got.Findings, func(f finding.Finding) bool { return f.ID == "PS003" })
	// Line 11 holds "privileged": true (JSON is read line for line, so field lines are the file's).
	if i < 0 || got.Findings[i].Location.Path != "pod.json" || got.Findings[i].Location.Line != 11 {
		t.Errorf("%d findings, PS003 at %d; want PS003 at pod.json:11, the privileged field's line", len(got.Findings), i)
	}
	// By name: the pod is checked, package.json says it holds nothing to check.
	if _, stderr, code := runCLI(t, "config", "testdata/json/pod.json", "--fail-on", "CRITICAL"); code != cli.ExitGate {
		t.Errorf("pod.json: exit %d, stderr %s", code, stderr)
	}
	out, stderr, code = runCLI(t, "config", "testdata/json/package.json", "--format", "json")
	if code != cli.ExitOK || !strings.Contains(out, "package.json: not a Kubernetes manifest") {
		t.Errorf("package.json: exit %d, stderr %s, report:\n%s", code, stderr, out)
	}
}

// TestStopOnSignal: a command stuck where cancellation does not reach (reading a named pipe
// given as a values file, which nothing writes to) still returns soon after SIGINT or SIGTERM
// cancel its context.
func TestStopOnSignal(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "values.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var errb bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- Main(ctx, []string{"-q", "config", "../../manifest/testdata/chart", "--values", fifo}, strings.NewReader(""), io.Discard, &errb)
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case c := <-code:
		t.Fatalf("returned %d before the signal: %s", c, errb.String())
	default:
	}
	cancel(errors.New("interrupt signal received"))
	select {
	case c := <-code:
		if c != cli.ExitError || !strings.Contains(errb.String(), "rampart: interrupt signal received: stopped") {
			t.Errorf("exit %d, stderr %q", c, errb.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5 s after cancellation")
	}
	// Let the abandoned read end.
	if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
		f.Close()
	}
}
