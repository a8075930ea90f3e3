package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/result"
)

var update = flag.Bool("update", false, "rewrite golden files")

func ptr[T any](v T) *T { return &v }

// sarifReport covers what the writer must handle: shared rules, every severity, no fix, no
// package, a line number, no path at all, a path that needs escaping.
func sarifReport() *result.Report {
	return &result.Report{
		SchemaVersion: result.SchemaVersion,
		Tool:          result.Tool{Name: "rampart", Version: "1.2.3"},
		CreatedAt:     time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC),
		Artifact:      result.Artifact{Name: "registry.example/app:1", Digest: "sha256:0123", OS: inventory.OS{Family: "debian", Version: "12"}},
		Findings: []finding.Finding{
			{
				Kind: finding.KindVulnerability, ID: "CVE-2021-38561", Aliases: []string{"GHSA-ppp9-7jff-5vj2", "GO-2021-0113"},
				Title: "Out-of-bounds read in golang.org/x/text/language", Severity: finding.SeverityCritical,
				Package:  &finding.Package{Ecosystem: "Go", Name: "golang.org/x/text", Version: "v0.3.5", PURL: "pkg:golang/golang.org/x/text@v0.3.5"},
				Location: finding.Location{Layer: "sha256:aaa", Path: "usr/bin/app"}, FixedVersion: ptr("0.3.7"),
				CVSS: []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}},
				EPSS: ptr(0.25), References: []string{"https://go.dev/cl/340830"}, Extra: map[string]string{"symbol": "present"},
			},
			{
				Kind: finding.KindVulnerability, ID: "CVE-2021-38561", Severity: finding.SeverityHigh,
				Package:  &finding.Package{Ecosystem: "Go", Name: "golang.org/x/text", Version: "v0.3.6"},
				Location: finding.Location{Path: "opt/tools/bin with space/tool"}, FixedVersion: ptr("0.3.7"),
			},
			{
				Kind: finding.KindVulnerability, ID: "CVE-2024-0001", Aliases: []string{"DEBIAN-CVE-2024-0001"}, Severity: finding.SeverityMedium, KEV: true,
				Package:  &finding.Package{Ecosystem: "Debian:12", Name: "libssl3", Version: "3.0.11-1~deb12u2", Source: "openssl"},
				Location: finding.Location{Path: "var/lib/dpkg/status"},
			},
			{
				Kind: finding.KindVulnerability, ID: "NSWG-ECO-9002", Severity: finding.SeverityLow,
				Package:  &finding.Package{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"},
				Location: finding.Location{Path: "app/node_modules/lodash/package.json"}, FixedVersion: ptr("4.17.16"),
			},
			{
				Kind: finding.KindVulnerability, ID: "PYSEC-2099-1", Severity: finding.SeverityUnknown,
				Package: &finding.Package{Ecosystem: "PyPI", Name: "pyyaml", Version: "5.3.1"},
			},
			{
				Kind: finding.KindSecret, ID: "aws-access-key", Title: "AWS access key", Severity: finding.SeverityHigh,
				Location: finding.Location{Path: "app/.env", Line: 3},
			},
		},
	}
}

func compileSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatalf("compile SARIF schema: %v", err)
	}
	return s
}

func TestWriteSARIFSchema(t *testing.T) {
	schema := compileSARIFSchema(t)
	tests := []struct {
		name string
		rep  *result.Report
	}{
		{"findings", sarifReport()},
		{"no findings", &result.Report{Tool: result.Tool{Name: "rampart", Version: "dev"}, Artifact: result.Artifact{Name: "alpine:3.20"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSARIF(&buf, tt.rep); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("SARIF output is not valid against the 2.1.0 schema: %v\n%s", err, buf.String())
			}
		})
	}
}

// TestSARIFSchemaRejects shows the validator is really checking: documents that break the
// schema in ways a writer could get wrong must fail.
func TestSARIFSchemaRejects(t *testing.T) {
	schema := compileSARIFSchema(t)
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, sarifReport()); err != nil {
		t.Fatal(err)
	}
	breakers := map[string]func(m map[string]any){
		"wrong version": func(m map[string]any) { m["version"] = "2.0.0" },
		"bad level": func(m map[string]any) {
			m["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)["level"] = "critical"
		},
		"no message": func(m map[string]any) {
			delete(m["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any), "message")
		},
		"unknown top-level property": func(m map[string]any) { m["findings"] = []any{} },
	}
	for name, brk := range breakers {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			brk(m)
			b, _ := json.Marshal(m)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err == nil {
				t.Errorf("schema accepted a document with %s", name)
			}
		})
	}
}

func TestWriteSARIFContent(t *testing.T) {
	rep := sarifReport()
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	var ruleIDs []string
	for _, r := range run.Tool.Driver.Rules {
		ruleIDs = append(ruleIDs, r.ID)
	}
	// One rule per distinct ID, in first-seen order.
	if diff := cmp.Diff([]string{"CVE-2021-38561", "CVE-2024-0001", "NSWG-ECO-9002", "PYSEC-2099-1", "aws-access-key"}, ruleIDs); diff != "" {
		t.Errorf("rules mismatch (-want +got):\n%s", diff)
	}
	if len(run.Results) != len(rep.Findings) {
		t.Fatalf("%d results, want %d", len(run.Results), len(rep.Findings))
	}
	type got struct{ Rule, Level, URI, Fingerprint string }
	var gotRes []got
	seenFP := map[string]bool{}
	for i, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID || r.RuleID != rep.Findings[i].ID {
			t.Errorf("result %d: ruleId %s, ruleIndex %d point to different rules", i, r.RuleID, r.RuleIndex)
		}
		fp := r.PartialFingerprints[finding.FingerprintVersion]
		if len(fp) != 32 || seenFP[fp] {
			t.Errorf("result %d: fingerprint %q missing or repeated", i, fp)
		}
		seenFP[fp] = true
		uri := ""
		if len(r.Locations) > 0 {
			uri = r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		}
		gotRes = append(gotRes, got{r.RuleID, r.Level, uri, ""})
	}
	want := []got{
		{"CVE-2021-38561", "error", "usr/bin/app", ""},
		{"CVE-2021-38561", "error", "opt/tools/bin%20with%20space/tool", ""},
		{"CVE-2024-0001", "warning", "var/lib/dpkg/status", ""},
		{"NSWG-ECO-9002", "note", "app/node_modules/lodash/package.json", ""},
		{"PYSEC-2099-1", "note", "registry.example/app:1", ""},
		{"aws-access-key", "error", "app/.env", ""},
	}
	if diff := cmp.Diff(want, gotRes); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	if got := run.Results[5].Locations[0].PhysicalLocation.Region; got == nil || got.StartLine != 3 {
		t.Errorf("secret result region = %+v, want startLine 3", got)
	}
	if got := run.Tool.Driver.Rules[0].Properties["security-severity"]; got != "9.8" {
		t.Errorf("security-severity = %v, want 9.8", got)
	}

	// Fingerprints do not depend on the order of the report.
	rev := sarifReport()
	for i, j := 0, len(rev.Findings)-1; i < j; i, j = i+1, j-1 {
		rev.Findings[i], rev.Findings[j] = rev.Findings[j], rev.Findings[i]
	}
	var buf2 bytes.Buffer
	if err := WriteSARIF(&buf2, rev); err != nil {
		t.Fatal(err)
	}
	var log2 sarifLog
	if err := json.Unmarshal(buf2.Bytes(), &log2); err != nil {
		t.Fatal(err)
	}
	n := len(run.Results)
	for i := range run.Results {
		if a, b := run.Results[i].PartialFingerprints, log2.Runs[0].Results[n-1-i].PartialFingerprints; !cmp.Equal(a, b) {
			t.Errorf("fingerprint of result %d changed with report order: %v vs %v", i, a, b)
		}
	}

	golden := filepath.Join("testdata", "sarif.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want2, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want2), buf.String()); diff != "" {
		t.Errorf("SARIF output differs from %s (-want +got):\n%s", golden, diff)
	}
}
