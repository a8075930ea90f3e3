package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/regaudit"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

func runRegistryAudit(t *testing.T, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	args = append([]string{"registry", "audit", "-q"}, args...)
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return runResult{code, out.String(), errb.String()}
}

func decodeAudit(t *testing.T, s string) RegistryAuditReport {
	t.Helper()
	var doc RegistryAuditReport
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("decode audit report: %v\n%.500s", err, s)
	}
	if doc.Report == nil {
		t.Fatalf("no report in %.500s", s)
	}
	return doc
}

func auditStatus(doc RegistryAuditReport, id string) result.Status {
	for _, r := range doc.Results {
		if r.Control == id {
			return r.Status
		}
	}
	return ""
}

// checkAuditControls holds the JSON document to the control model: every check is a valid
// result.Control of Rampart's registry checks about the registry, and the summary counts one
// failure per finding (internal/regaudit's tests match them one for one).
func checkAuditControls(t *testing.T, doc RegistryAuditReport) {
	t.Helper()
	for _, c := range doc.Results {
		if err := c.Valid(); err != nil {
			t.Error(err)
		}
		if c.Standard != regaudit.Standard || c.Profile != regaudit.Profile || c.Resource != doc.Registry {
			t.Errorf("%s: standard %q profile %q resource %q", c.Control, c.Standard, c.Profile, c.Resource)
		}
	}
	if len(doc.Summary) != 1 || doc.Summary[0].Fail != len(doc.Findings) || result.Count(doc.Results)[result.StatusFail] != len(doc.Findings) {
		t.Errorf("summary %+v, %d findings", doc.Summary, len(doc.Findings))
	}
}

// TestRegistryAuditOpen audits an open loopback registry: anonymous push is CRITICAL and trips
// --fail-on, in the JSON and the table.
func TestRegistryAuditOpen(t *testing.T) {
	r := startRegistry(t)
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	r.push(t, "team/app:1", img)
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials

	out := filepath.Join(t.TempDir(), "audit.json")
	res := runRegistryAudit(t, "-f", "json", "-o", out, "--fail-on", "CRITICAL", r.host)
	if res.code != ExitGate {
		t.Fatalf("exit %d, want %d; stderr: %s", res.code, ExitGate, res.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeAudit(t, string(b))
	checkAuditControls(t, doc)
	if doc.Registry != r.host || doc.Tool.Name != "rampart" || doc.Repository != "team/app" || doc.Summary[0].Fail != 4 {
		t.Errorf("registry %s tool %s repository %s summary %+v", doc.Registry, doc.Tool.Name, doc.Repository, doc.Summary)
	}
	var ids []string
	for _, f := range doc.Findings {
		ids = append(ids, f.ID)
		if f.ID == "RG013" && (f.Severity != finding.SeverityCritical || f.Kind != finding.KindExposure) {
			t.Errorf("RG013 finding %+v", f)
		}
	}
	if want := "RG010 RG011 RG012 RG013"; strings.Join(ids, " ") != want {
		t.Errorf("findings %v, want %s", ids, want)
	}
	for id, want := range map[string]result.Status{"RG001": result.StatusInfo, "RG002": result.StatusNotAssessed, "RG021": result.StatusNotAssessed} {
		if got := auditStatus(doc, id); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}

	res = runRegistryAudit(t, "--no-push", "--fail-on", "CRITICAL", r.host)
	if res.code != ExitOK {
		t.Errorf("--no-push: exit %d, want 0 (no critical left); stderr: %s", res.code, res.stderr)
	}
	for _, want := range []string{"registry " + r.host + " (http://" + r.host + "), probes on team/app:1", "RG013  not_assessed", "RG012  fail", "push probes skipped", "3 failed (0 critical, 0 high, 3 medium, 0 low), 0 passed, 1 info, 7 not assessed\n"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, res.stdout)
		}
	}
}

// TestRegistryAuditSuiteTLS reads the suite's TLS registry with its credentials (no push probe).
func TestRegistryAuditSuiteTLS(t *testing.T) {
	env := testenv.Load(t)
	r := env.Registry
	t.Setenv("DOCKER_CONFIG", dockerConfig(t, r.TLS, r.Username, r.Password))
	res := runRegistryAudit(t, "-f", "json", "--no-push", "--ca-cert", r.CACert, "--fail-on", "LOW", r.TLS)
	if res.code != ExitOK {
		t.Fatalf("exit %d; stderr: %s\n%s", res.code, res.stderr, res.stdout)
	}
	doc := decodeAudit(t, res.stdout)
	checkAuditControls(t, doc)
	for id, want := range map[string]result.Status{"RG001": result.StatusPass, "RG002": result.StatusPass, "RG010": result.StatusPass,
		"RG011": result.StatusPass, "RG012": result.StatusPass, "RG020": result.StatusInfo, "RG021": result.StatusNotAssessed} {
		if got := auditStatus(doc, id); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
	if len(doc.Findings) != 0 {
		t.Errorf("findings %+v", doc.Findings)
	}

	// Without the CA, the certificate does not verify: a MEDIUM finding (untrusted).
	res = runRegistryAudit(t, "--no-push", "--fail-on", "MEDIUM", r.TLS)
	if res.code != ExitGate || !strings.Contains(res.stdout, "RG002  fail") {
		t.Errorf("without --ca-cert: exit %d; %s\n%s", res.code, res.stderr, res.stdout)
	}
}

func TestRegistryAuditUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("network test")
	}
	host := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	start := time.Now()
	res := runRegistryAudit(t, host)
	if res.code != ExitUnreachable || !strings.Contains(res.stderr, host) || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Errorf("exit %d, want %d; stderr %q", res.code, ExitUnreachable, res.stderr)
	}
	if res.stdout != "" {
		t.Errorf("stdout %q, want nothing", res.stdout)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestRegistryAuditUsage(t *testing.T) {
	for _, args := range [][]string{
		{"127.0.0.1:5000/team"},
		{"-f", "sarif", "127.0.0.1:5000"},
		{"--fail-on", "SEVERE", "127.0.0.1:5000"},
		{"--repo", "a@sha256:x", "127.0.0.1:5000"},
		{},
	} {
		if res := runRegistryAudit(t, args...); res.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %s", args, res.code, ExitUsage, res.stderr)
		}
	}
}
