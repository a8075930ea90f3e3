package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/dockerhost"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

// dockerReport is the part of `rampart docker -f json` the tests read.
type dockerReport struct {
	SchemaVersion int                     `json:"schema_version"`
	Benchmark     string                  `json:"benchmark"`
	Host          dockerhost.HostInfo     `json:"host"`
	Summary       []result.ControlSummary `json:"summary"`
	Results       []dockerhost.Result     `json:"results"`
	Findings      []finding.Finding       `json:"findings"`
	Warnings      []string                `json:"warnings"`
}

// needEngine skips (or fails under RAMPART_REQUIRE_FIXTURES=1) without a reachable engine.
func needEngine(t *testing.T) {
	t.Helper()
	testenv.Load(t)
	if _, err := dockerhost.NewEngine(dockerhost.DefaultSocket).Info(context.Background()); err != nil {
		testenv.Missing(t, "docker engine: "+err.Error())
	}
}

func decodeDocker(t *testing.T, res testenv.Result) *dockerReport {
	t.Helper()
	var rep dockerReport
	if err := json.Unmarshal(res.Stdout, &rep); err != nil {
		t.Fatalf("%v\ndecode: %v", res, err)
	}
	return &rep
}

func TestDockerAuditJSON(t *testing.T) {
	needEngine(t)
	res := testenv.Run(t, nil, "docker", "--format", "json", "--all")
	if res.Code != 0 {
		t.Fatalf("%v", res)
	}
	rep := decodeDocker(t, res)
	if rep.Benchmark != "CIS Docker Benchmark v1.6.0" || rep.Host.Socket != dockerhost.DefaultSocket {
		t.Errorf("benchmark %q socket %q", rep.Benchmark, rep.Host.Socket)
	}
	counts := map[string]*result.ControlSummary{}
	fails := 0
	for _, r := range rep.Results {
		switch r.Status {
		case result.StatusPass, result.StatusFail, result.StatusManual, result.StatusNotAssessed:
		default:
			t.Errorf("%s %s: status %q", r.Control, r.Resource, r.Status)
		}
		// Every result says what was seen, or why nothing could be.
		if r.Standard != "CIS-Docker" || r.Control == "" || r.Title == "" || r.Resource == "" || r.Evidence == "" && r.Reason == "" {
			t.Errorf("incomplete result %+v", r)
		}
		if r.Status == result.StatusFail {
			fails++
			if r.Remediation == "" {
				t.Errorf("%s %s fails without remediation", r.Control, r.Resource)
			}
		}
		sec, _, _ := strings.Cut(r.Control, ".")
		if counts[sec] == nil {
			counts[sec] = &result.ControlSummary{}
		}
		c := counts[sec]
		switch r.Status {
		case result.StatusPass:
			c.Pass++
		case result.StatusFail:
			c.Fail++
		case result.StatusManual:
			c.Manual++
		case result.StatusNotAssessed:
			c.NotAssessed++
		}
	}
	for _, s := range rep.Summary {
		c := counts[s.Section]
		if c == nil || c.Pass != s.Pass || c.Fail != s.Fail || c.Manual != s.Manual || c.NotAssessed != s.NotAssessed || s.Info != 0 {
			t.Errorf("summary of section %s %+v does not count the results (%+v)", s.Section, s, c)
		}
	}
	if len(rep.Summary) < 4 {
		t.Errorf("summary has %d sections, want 1, 2, 3, 5 and 6", len(rep.Summary))
	}
	if len(rep.Findings) != fails {
		t.Errorf("%d findings for %d failed results", len(rep.Findings), fails)
	}
	for _, f := range rep.Findings {
		if f.Kind != finding.KindMisconfig || len(f.Compliance) != 1 || f.Compliance[0].Standard != "CIS-Docker" || f.Severity == "" {
			t.Errorf("finding %+v is not a CIS-Docker misconfig", f)
		}
	}

	// The table names the same totals.
	table := testenv.Run(t, nil, "docker", "--all")
	if table.Code != 0 || !bytes.Contains(table.Stdout, []byte("SECTION")) || !bytes.Contains(table.Stdout, []byte("3 Docker daemon configuration files")) {
		t.Errorf("table output:\n%s\n%v", table.Stdout, table)
	}

	sarif := testenv.Run(t, nil, "docker", "-f", "sarif")
	var log struct {
		Runs []struct{ Results []json.RawMessage } `json:"runs"`
	}
	if sarif.Code != 0 || json.Unmarshal(sarif.Stdout, &log) != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Errorf("sarif: %v\n%.500s", sarif, sarif.Stdout)
	}
}

func TestDockerFailOn(t *testing.T) {
	needEngine(t)
	// The test daemon runs with --iptables=false: 2.4 fails at MEDIUM.
	res := testenv.Run(t, nil, "docker", "-f", "json", "--fail-on", "MEDIUM")
	if res.Code != 3 || len(decodeDocker(t, res).Findings) == 0 {
		t.Errorf("--fail-on MEDIUM: %v", res)
	}
	if res := testenv.Run(t, nil, "docker", "--fail-on", "bad"); res.Code != 2 {
		t.Errorf("--fail-on bad: %v, want exit 2", res)
	}
}

func TestDockerEngineMissing(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "missing", "docker.sock")
	for _, args := range [][]string{{"docker", "--host", "unix://" + sock}, {"docker", "-f", "json"}} {
		env := []string{"DOCKER_HOST=unix://" + sock}
		res := testenv.Run(t, env, args...)
		lines := strings.Split(strings.TrimSpace(string(res.Stderr)), "\n")
		if res.Code != 6 || len(lines) != 1 || !strings.Contains(lines[0], sock) || len(res.Stdout) != 0 {
			t.Errorf("%v\nwant exit 6 and one line naming %s", res, sock)
		}
	}
}

// TestDockerPermissionDenied runs rampart as nobody against the engine's socket (root:docker 0660).
func TestDockerPermissionDenied(t *testing.T) {
	needEngine(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to run rampart as another user")
	}
	// nobody must be able to execute the binary: copy it out of the 0700 build directory.
	dir, err := os.MkdirTemp("/tmp", "rampart-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "rampart")
	src, err := os.Open(testenv.Rampart(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "docker", "--host", dockerhost.DefaultSocket)
	cmd.Env = []string{"HOME=/tmp", "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	code := cmd.ProcessState.ExitCode()
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if code != 5 || len(lines) != 1 || !strings.Contains(lines[0], dockerhost.DefaultSocket) {
		t.Errorf("as nobody: exit %d (%v), stderr %q; want exit 5 and one line naming the socket", code, err, stderr.String())
	}
}

// TestDockerMalformedDaemonJSON audits the real engine with a host root whose daemon.json is
// broken: the daemon controls it feeds are not assessed, with the parse error, and nothing crashes.
func TestDockerMalformedDaemonJSON(t *testing.T) {
	needEngine(t)
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc/docker"), 0o755)
	// The real processes, so that the dockerd command line is known.
	if err := os.Symlink("/proc", filepath.Join(root, "proc")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "etc/docker/daemon.json"), []byte(`{"icc": false, "log-level": `), 0o644)
	res := testenv.Run(t, nil, "docker", "-f", "json", "--root", root)
	if res.Code != 0 {
		t.Fatalf("%v", res)
	}
	rep := decodeDocker(t, res)
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "parse daemon.json") {
		t.Errorf("warnings %q lack the parse error", rep.Warnings)
	}
	for _, r := range rep.Results {
		if r.Control == "2.3" && (r.Status != result.StatusNotAssessed || !strings.Contains(r.Reason, "parse daemon.json")) {
			t.Errorf("2.3 with a broken daemon.json: %s (%s)", r.Status, r.Reason)
		}
		if r.Control == "3.18" && r.Status != result.StatusPass {
			t.Errorf("3.18 on the broken daemon.json (0644): %s (%s)", r.Status, r.Evidence)
		}
	}
}
