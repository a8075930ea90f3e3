package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/vulndb"
)

// bundledDB imports the repository's data/vulndb into a temporary database.
func bundledDB(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("imports the bundled vulnerability data")
	}
	paths, _ := filepath.Glob("../../data/vulndb/*")
	paths = slices.DeleteFunc(paths, func(p string) bool { return strings.HasSuffix(p, ".md") })
	dir := t.TempDir()
	if _, err := vulndb.Import(context.Background(), dir, paths, vulndb.ImportOptions{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatalf("import bundled data: %v", err)
	}
	return dir
}

// vulnRootfs lays out a small Debian 12 file tree with packages at real, vulnerable versions.
func vulnRootfs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n",
		"var/lib/dpkg/status": `Package: libexpat1
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Multi-Arch: same
Source: expat
Version: 2.5.0-1
Description: XML parsing C library - runtime library

Package: perl-base
Status: install ok installed
Priority: required
Section: perl
Architecture: amd64
Source: perl
Version: 5.36.0-7+deb12u1
Description: minimal Perl system

`,
		"app/node_modules/lodash/package.json":   `{"name": "lodash", "version": "4.17.15", "license": "MIT"}`,
		"app/node_modules/marked/package.json":   `{"name": "marked", "version": "0.3.0", "license": "MIT"}`,
		"app/node_modules/left-pad/package.json": `{"name": "left-pad", "version": "1.3.0", "license": "WTFPL"}`,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type runResult struct {
	code           int
	stdout, stderr string
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

// findingKeys lists "package id" per finding.
func findingKeys(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Package.Name+" "+f.ID)
	}
	return out
}

func TestImageVulnMissingDatabase(t *testing.T) {
	root := vulnRootfs(t)
	empty := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"vuln asked for", []string{"--scanners", "vuln"}, ExitDatabase},
		{"vuln asked for, offline", []string{"--scanners", "vuln", "--offline"}, ExitDatabase},
		{"default scanners with a gate", []string{"--fail-on", "LOW"}, ExitDatabase},
		{"default scanners, no gate: packages still listed", nil, ExitOK},
		{"pkg only needs no database", []string{"--scanners", "pkg", "--fail-on", "LOW"}, ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-f", "json", "--db-dir", empty}, tt.args...)
			res := runImage(t, append(args, "dir:"+root)...)
			if res.code != tt.wantCode {
				t.Fatalf("exit code = %d, want %d\nstderr: %s", res.code, tt.wantCode, res.stderr)
			}
			if tt.wantCode == ExitDatabase {
				if !strings.Contains(res.stderr, "rampart db import data/vulndb") || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
					t.Errorf("stderr = %q, want one line with the import hint", res.stderr)
				}
				if offline := slices.Contains(tt.args, "--offline"); offline == strings.Contains(res.stderr, "db update") {
					t.Errorf("stderr = %q: an offline scan must not suggest a download, others should", res.stderr)
				}
				return
			}
			r := decodeReport(t, res)
			if len(r.Packages) == 0 {
				t.Error("no packages listed")
			}
			if skipped := slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "vulnerability scan skipped") }); skipped != (tt.args == nil) {
				t.Errorf("warnings = %q; want a skipped-scan warning only for the default scanners", r.Warnings)
			}
		})
	}
}

func TestImageVuln(t *testing.T) {
	db := bundledDB(t)
	root := vulnRootfs(t)
	base := []string{"-f", "json", "--db-dir", db, "--scanners", "vuln,pkg"}
	all := decodeReport(t, runImage(t, append(base, "dir:"+root)...))

	// The expected advisories come from the data (see internal/match's real-data tests for the
	// oracle); here: each vulnerable package has findings, the current one none.
	byPkg := map[string]int{}
	for _, f := range all.Findings {
		byPkg[f.Package.Name]++
		if f.Kind != finding.KindVulnerability || f.Location.Path == "" {
			t.Errorf("finding %s: kind %q, path %q", f.ID, f.Kind, f.Location.Path)
		}
	}
	for _, name := range []string{"lodash", "marked", "libexpat1", "perl-base"} {
		if byPkg[name] == 0 {
			t.Errorf("no findings for %s; got %v", name, findingKeys(all.Findings))
		}
	}
	if byPkg["left-pad"] != 0 {
		t.Errorf("left-pad has findings: %v", findingKeys(all.Findings))
	}
	sorted := slices.IsSortedFunc(all.Findings, func(a, b finding.Finding) int { return b.Severity.Rank() - a.Severity.Rank() })
	if !sorted {
		t.Errorf("findings not sorted by severity: %v", all.Findings)
	}
	lodash := all.Findings[slices.IndexFunc(all.Findings, func(f finding.Finding) bool { return f.Package.Name == "lodash" })]

	t.Run("fail-on", func(t *testing.T) {
		top := all.Findings[0].Severity // the most severe reported
		if res := runImage(t, append(base, "--fail-on", string(top), "dir:"+root)...); res.code != ExitGate || res.stderr != "" {
			t.Errorf("--fail-on %s: exit %d, stderr %q; want %d and a quiet stderr", top, res.code, res.stderr, ExitGate)
		}
		if top != finding.SeverityCritical {
			above := []finding.Severity{finding.SeverityLow, finding.SeverityMedium, finding.SeverityHigh, finding.SeverityCritical}[top.Rank()]
			if res := runImage(t, append(base, "--fail-on", string(above), "dir:"+root)...); res.code != ExitOK {
				t.Errorf("--fail-on %s above every finding: exit %d, want 0; stderr %s", above, res.code, res.stderr)
			}
		}
		if res := runImage(t, append(base, "--fail-on", "severe", "dir:"+root)...); res.code != ExitUsage {
			t.Errorf("--fail-on severe: exit %d, want %d", res.code, ExitUsage)
		}
	})

	t.Run("severity and ignore-unfixed", func(t *testing.T) {
		sev := lodash.Severity
		r := decodeReport(t, runImage(t, append(base, "--severity", string(sev), "--ignore-unfixed", "dir:"+root)...))
		want := 0
		for _, f := range all.Findings {
			if f.Severity == sev && f.FixedVersion != nil {
				want++
			}
		}
		if len(r.Findings) != want || want == 0 {
			t.Errorf("got %d findings, want the %d %s fixed ones", len(r.Findings), want, sev)
		}
		for _, f := range r.Findings {
			if f.Severity != sev || f.FixedVersion == nil {
				t.Errorf("finding %s %s fixed %v kept", f.ID, f.Severity, f.FixedVersion)
			}
		}
	})

	t.Run("ignorefile", func(t *testing.T) {
		dir := t.TempDir()
		live := filepath.Join(dir, "live.yaml")
		os.WriteFile(live, []byte("ignore:\n  - id: "+lodash.ID+"\n    package: lodash\n    reason: not reachable\n"), 0o644)
		r := decodeReport(t, runImage(t, append(base, "--ignorefile", live, "dir:"+root)...))
		if slices.Contains(findingKeys(r.Findings), "lodash "+lodash.ID) || len(r.Findings) != len(all.Findings)-1 {
			t.Errorf("ignore rule for %s: findings %v", lodash.ID, findingKeys(r.Findings))
		}
		expired := filepath.Join(dir, "expired.yaml")
		os.WriteFile(expired, []byte("ignore:\n  - id: "+lodash.ID+"\n    reason: was not reachable\n    expires: 2020-01-01\n"), 0o644)
		r = decodeReport(t, runImage(t, append(base, "--ignorefile", expired, "dir:"+root)...))
		if len(r.Findings) != len(all.Findings) || !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "expired") }) {
			t.Errorf("expired rule: %d findings (want %d), warnings %q", len(r.Findings), len(all.Findings), r.Warnings)
		}
		bad := filepath.Join(dir, "bad.yaml")
		os.WriteFile(bad, []byte("ignore:\n  - id: "+lodash.ID+"\n"), 0o644)
		if res := runImage(t, append(base, "--ignorefile", bad, "dir:"+root)...); res.code != ExitUsage || !strings.Contains(res.stderr, "no reason") {
			t.Errorf("rule without reason: exit %d, stderr %q", res.code, res.stderr)
		}
	})

	t.Run("vex", func(t *testing.T) {
		if lodash.Package.PURL == "" {
			t.Fatal("lodash finding has no package URL")
		}
		vex := filepath.Join(t.TempDir(), "app.openvex.json")
		doc := map[string]any{
			"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.org/vex/1", "author": "test", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
			"statements": []any{
				map[string]any{"vulnerability": map[string]any{"name": lodash.ID}, "products": []any{map[string]any{"@id": lodash.Package.PURL}},
					"status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
			},
		}
		b, _ := json.Marshal(doc)
		os.WriteFile(vex, b, 0o644)
		r := decodeReport(t, runImage(t, append(base, "--vex", vex, "dir:"+root)...))
		if slices.Contains(findingKeys(r.Findings), "lodash "+lodash.ID) || len(r.Findings) != len(all.Findings)-1 {
			t.Errorf("VEX not_affected for %s: findings %v", lodash.ID, findingKeys(r.Findings))
		}
	})

	t.Run("sarif", func(t *testing.T) {
		res := runImage(t, "-f", "sarif", "--db-dir", db, "dir:"+root)
		if res.code != ExitOK {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		schema := compileSchema(t, "../report/testdata/sarif-schema-2.1.0.json")
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(res.stdout))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("SARIF output invalid: %v", err)
		}
		var log struct {
			Runs []struct {
				Results []struct{} `json:"results"`
			} `json:"runs"`
		}
		json.Unmarshal([]byte(res.stdout), &log)
		if len(log.Runs) != 1 || len(log.Runs[0].Results) != len(all.Findings) {
			t.Errorf("SARIF has %v, want one run with %d results", log.Runs, len(all.Findings))
		}
	})

	t.Run("table", func(t *testing.T) {
		res := runImage(t, "--db-dir", db, "--scanners", "vuln", "dir:"+root)
		if res.code != ExitOK {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		for _, want := range []string{"NOTES", lodash.ID, "lodash 4.17.15"} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("table lacks %q:\n%s", want, res.stdout)
			}
		}
		if lodash.FixedVersion != nil && !strings.Contains(res.stdout, *lodash.FixedVersion) {
			t.Errorf("table lacks lodash's fixed version %s", *lodash.FixedVersion)
		}
		if strings.Contains(res.stdout, "TYPE\tNAME") || strings.Contains(res.stdout, "left-pad") {
			t.Errorf("--scanners vuln listed packages:\n%s", res.stdout)
		}
	})
}

// compileSchema compiles the JSON Schema in the file at path.
func compileSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AddResource("schema.json", doc)
	schema, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return schema
}
