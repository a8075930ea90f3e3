package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/result"
)

// tableReport has what a table must cope with: several package types, a source package, a
// finding of each sort of location, no fix, KEV and EPSS notes, a long title and a warning.
func tableReport() *result.Report {
	r := fullReport()
	r.Artifact.OS.Distroless = false
	r.Packages = append(r.Packages,
		inventory.Package{Type: inventory.TypeDpkg, Name: "libssl3", Version: "3.0.11-1~deb12u2", SourceName: "openssl", SourceVersion: "3.0.11-1~deb12u2",
			Layer: r.Artifact.Layers[0].DiffID, Path: "var/lib/dpkg/status"},
		inventory.Package{Type: inventory.TypeGo, Name: "golang.org/x/text", Version: "v0.3.5", Layer: r.Artifact.Layers[1].DiffID, LayerIndex: 1, Path: "app/bin/api"},
	)
	r.Findings = append(r.Findings,
		finding.Finding{Kind: finding.KindVulnerability, ID: "CVE-2024-0001", Severity: finding.SeverityMedium,
			Package: &finding.Package{Ecosystem: "Debian:12", Name: "libssl3", Version: "3.0.11-1~deb12u2"},
			Title:   "A title long enough that the table has to cut it somewhere before the end of it"},
		finding.Finding{Kind: finding.KindSecret, ID: "aws-access-key", Severity: finding.SeverityHigh,
			Location: finding.Location{Path: "app/.env", Line: 3}, Title: "AWS access key"},
		finding.Finding{Kind: finding.KindMisconfig, ID: "DS002", Severity: finding.SeverityLow,
			Location: finding.Location{Field: "config.User"}, Title: "Image runs as root"},
	)
	return r
}

func TestWriteTableGolden(t *testing.T) {
	tests := []struct {
		name         string
		r            *result.Report
		listPackages bool
	}{
		{"table", tableReport(), false},
		{"table-packages", tableReport(), true},
		{"table-minimal", minimalReport(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTable(&buf, tt.r, tt.listPackages); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// Every package and finding of the report has a row of its own, whatever it is called.
func TestWriteTableRows(t *testing.T) {
	r := tableReport()
	var buf bytes.Buffer
	if err := WriteTable(&buf, r, true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, p := range r.Packages {
		if !strings.Contains(out, p.Name) || !strings.Contains(out, p.Path) {
			t.Errorf("package %s at %s not listed", p.Name, p.Path)
		}
	}
	for _, f := range r.Findings {
		if !strings.Contains(out, f.ID) {
			t.Errorf("finding %s not listed", f.ID)
		}
	}
	if !strings.Contains(out, "3 packages, 4 findings") {
		t.Errorf("summary line missing:\n%s", out)
	}
}

// Image content cannot reach the terminal as control sequences or forge table rows.
func TestWriteTableEscapesControlCharacters(t *testing.T) {
	r := minimalReport()
	r.Packages = []inventory.Package{{Type: inventory.TypeNpm, Name: "evil\x1b]0;pwned\x07", Version: "1.0\nINJECTED ROW", Path: "a\rb\x9bc\xffd"}}
	r.Findings = []finding.Finding{{Kind: finding.KindSecret, ID: "rule\x1b[2J", Severity: finding.SeverityHigh, Title: "\x1b[31mred"}}
	r.Warnings = []string{"file \x1b[1A"}
	var buf bytes.Buffer
	if err := WriteTable(&buf, r, true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, c := range out {
		if c != '\n' && (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
			t.Errorf("control character %U reached the output:\n%q", c, out)
		}
	}
	if !utf8.ValidString(out) {
		t.Errorf("output is not valid UTF-8: %q", out)
	}
	if strings.Contains(out, "\nINJECTED") {
		t.Error("a newline in a version started a new row")
	}
	for _, want := range []string{`evil\x1b]0;pwned\x07`, `1.0\x0aINJECTED ROW`, `a\x0db\x9bc\xffd`, `rule\x1b[2J`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks the escaped %q:\n%s", want, out)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ch…"},
		{"ünïcödé ünïcödé", 8, "ünïcödé…"},
	}
	for _, tt := range tests {
		got := truncate(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
