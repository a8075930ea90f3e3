package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/testenv"
)

// The conventions people script against from Trivy and Grype: vulnerabilities in the CycloneDX
// output, --format template, --exit-code, --skip-dirs/--skip-files, --input, .trivyignore files,
// --pkg-types.
func TestTrivyConventions(t *testing.T) {
	db := bundledDB(t)
	root := vulnRootfs(t)
	base := []string{"--db-dir", db, "--scanners", "vuln,pkg,secret"}
	jsonRun := func(t *testing.T, args ...string) (runResult, []finding.Finding) {
		t.Helper()
		res := runImage(t, append(append(slices.Clone(base), "-f", "json"), args...)...)
		if res.code != ExitOK {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		return res, decodeReport(t, res).Findings
	}
	all := decodeReport(t, runImage(t, append(slices.Clone(base), "-f", "json", "dir:"+root)...))
	if len(all.Findings) < 3 {
		t.Fatalf("the test tree has %d findings; want several", len(all.Findings))
	}

	t.Run("cyclonedx vulnerabilities", func(t *testing.T) {
		res := runImage(t, append(slices.Clone(base), "-f", "cyclonedx-json", "dir:"+root)...)
		if res.code != ExitOK {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		var bom cdx.BOM
		if err := json.Unmarshal([]byte(res.stdout), &bom); err != nil {
			t.Fatal(err)
		}
		if bom.Vulnerabilities == nil || len(*bom.Vulnerabilities) != len(all.Findings) {
			n := 0
			if bom.Vulnerabilities != nil {
				n = len(*bom.Vulnerabilities)
			}
			t.Fatalf("%d vulnerabilities in the BOM, %d findings in the JSON report", n, len(all.Findings))
		}
		refs := map[string]bool{}
		for _, c := range *bom.Components {
			refs[c.BOMRef] = true
		}
		for _, v := range *bom.Vulnerabilities {
			if v.Affects == nil || !refs[(*v.Affects)[0].Ref] {
				t.Errorf("%s affects %v, no component's bom-ref", v.ID, v.Affects)
			}
		}
	})

	t.Run("template", func(t *testing.T) {
		junit := filepath.Join("..", "..", "contrib", "templates", "junit.tpl")
		res := runImage(t, append(slices.Clone(base), "-f", "template", "--template", "@"+junit, "dir:"+root)...)
		if res.code != ExitOK {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		var doc struct {
			Suites []struct {
				Cases []struct {
					Name string `xml:"name,attr"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(res.stdout), &doc); err != nil || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != len(all.Findings) {
			t.Errorf("JUnit output: %v, %+v; want one suite of %d cases\n%s", err, doc, len(all.Findings), res.stdout)
		}
		inline := runImage(t, append(slices.Clone(base), "-f", "template", "--template", `{{ range .findings }}{{ .id }} {{ end }}`, "dir:"+root)...)
		if inline.code != ExitOK || len(strings.Fields(inline.stdout)) != len(all.Findings) {
			t.Errorf("inline template: exit %d, %q", inline.code, inline.stdout)
		}
		for _, tt := range []struct {
			args []string
			code int
		}{
			{[]string{"-f", "template"}, ExitUsage},
			{[]string{"-f", "template", "--template", "{{ .findings "}, ExitUsage},
			{[]string{"-f", "template", "--template", filepath.Join(t.TempDir(), "missing.tpl")}, ExitNotFound},
		} {
			if res := runImage(t, append(append(slices.Clone(base), tt.args...), "dir:"+root)...); res.code != tt.code || res.stdout != "" {
				t.Errorf("%q: exit %d (want %d), stdout %q, stderr %q", tt.args, res.code, tt.code, res.stdout, res.stderr)
			}
		}
	})

	t.Run("exit-code", func(t *testing.T) {
		top, low := all.Findings[0].Severity, all.Findings[len(all.Findings)-1].Severity
		// An ignore file that leaves nothing.
		var ids []string
		for _, f := range all.Findings {
			ids = append(ids, f.ID)
		}
		everything := filepath.Join(t.TempDir(), ".trivyignore")
		os.WriteFile(everything, []byte(strings.Join(ids, "\n")+"\n"), 0o644)
		tests := []struct {
			name string
			args []string
			code int
		}{
			{"findings left", []string{"--exit-code", "1"}, 1},
			{"none left after filtering", []string{"--exit-code", "1", "--ignorefile", everything}, ExitOK},
			{"gate trips: its code", []string{"--exit-code", "13", "--fail-on", string(top)}, 13},
			{"gate passes: nothing left", []string{"--exit-code", "13", "--fail-on", string(top), "--ignorefile", everything}, ExitOK},
			{"no --exit-code: gate is 3", []string{"--fail-on", string(top)}, ExitGate},
			{"out of range", []string{"--exit-code", "256"}, ExitUsage},
		}
		if low.Rank() < top.Rank() {
			// Findings left, all below the gate: the gate decides, not --exit-code's "any finding".
			tests = append(tests, struct {
				name string
				args []string
				code int
			}{"gate passes with findings left", []string{"--exit-code", "13", "--fail-on", string(top), "--severity", string(low)}, ExitOK})
		}
		for _, tt := range tests {
			res := runImage(t, append(append(slices.Clone(base), tt.args...), "dir:"+root)...)
			if res.code != tt.code {
				t.Errorf("%s: exit %d, want %d; stderr %s", tt.name, res.code, tt.code, res.stderr)
			}
		}
	})

	t.Run("skip-dirs and skip-files", func(t *testing.T) {
		res, fs := jsonRun(t, "--skip-dirs", "**/marked", "--skip-files", "app/node_modules/lodash/package.json", "dir:"+root)
		r := decodeReport(t, res)
		for _, p := range r.Packages {
			if p.Name == "marked" || p.Name == "lodash" {
				t.Errorf("package %s %s still inventoried", p.Name, p.Location())
			}
		}
		for _, f := range fs {
			if f.Package != nil && (f.Package.Name == "marked" || f.Package.Name == "lodash") {
				t.Errorf("finding %s of %s still reported", f.ID, f.Package.Name)
			}
		}
		if !slices.ContainsFunc(r.Packages, func(p inventory.Package) bool { return p.Name == "left-pad" }) {
			t.Error("left-pad, in no skipped path, is gone")
		}
		if res := runImage(t, append(slices.Clone(base), "--skip-dirs", "a/[b", "dir:"+root)...); res.code != ExitUsage {
			t.Errorf("bad pattern: exit %d, want %d", res.code, ExitUsage)
		}
	})

	t.Run("pkg-types", func(t *testing.T) {
		res, fs := jsonRun(t, "--pkg-types", "library", "dir:"+root)
		for _, p := range decodeReport(t, res).Packages {
			if p.Type.IsOS() {
				t.Errorf("--pkg-types library kept %s %s", p.Type, p.Name)
			}
		}
		for _, f := range fs {
			if f.Package != nil && strings.HasPrefix(f.Package.Ecosystem, "Debian") {
				t.Errorf("--pkg-types library kept finding %s of %s", f.ID, f.Package.Name)
			}
		}
		if len(fs) == 0 {
			t.Error("--pkg-types library: no findings left")
		}
		if res := runImage(t, append(slices.Clone(base), "--pkg-types", "os,lib", "dir:"+root)...); res.code != ExitUsage || !strings.Contains(res.stderr, `"lib"`) {
			t.Errorf("--pkg-types lib: exit %d, stderr %q", res.code, res.stderr)
		}
	})

	t.Run("trivyignore", func(t *testing.T) {
		target := all.Findings[0]
		file := filepath.Join(t.TempDir(), ".trivyignore")
		os.WriteFile(file, []byte("# reviewed\n"+target.ID+"\nCVE-1999-0001 exp:2020-01-01\n"), 0o644)
		res, fs := jsonRun(t, "--ignorefile", file, "dir:"+root)
		if slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.ID == target.ID }) {
			t.Errorf("%s still reported", target.ID)
		}
		if r := decodeReport(t, res); !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "CVE-1999-0001") && strings.Contains(w, "expired") }) {
			t.Errorf("no warning for the expired rule: %q", r.Warnings)
		}
	})

	t.Run("input", func(t *testing.T) {
		if res := runImage(t, append(slices.Clone(base), "--input", filepath.Join(t.TempDir(), "missing.tar"))...); res.code != ExitNotFound {
			t.Errorf("--input of a missing file: exit %d, want %d", res.code, ExitNotFound)
		}
		if res := runImage(t, append(slices.Clone(base), "--input", "x.tar", "dir:"+root)...); res.code != ExitUsage {
			t.Errorf("--input and REF: exit %d, want %d", res.code, ExitUsage)
		}
		if res := runImage(t, slices.Clone(base)...); res.code != ExitUsage {
			t.Errorf("neither REF nor --input: exit %d, want %d", res.code, ExitUsage)
		}
		env := testenv.Load(t)
		app := env.Fixtures.App
		if app.OCIArchive == "" {
			testenv.Missing(t, "no OCI archive of the app image")
		}
		var counts []int
		for _, archive := range []string{app.DockerArchive, app.OCIArchive} {
			res, fs := jsonRun(t, "--input", archive)
			r := decodeReport(t, res)
			if want := map[string]string{app.DockerArchive: "docker-archive", app.OCIArchive: "oci-archive"}[archive]; r.Artifact.Source != want {
				t.Errorf("--input %s: source %q, want %q", archive, r.Artifact.Source, want)
			}
			counts = append(counts, len(r.Packages), len(fs))
		}
		if counts[0] == 0 || counts[0] != counts[2] || counts[1] != counts[3] {
			t.Errorf("docker and OCI archives of one image differ: packages, findings = %v", counts)
		}
	})
}
