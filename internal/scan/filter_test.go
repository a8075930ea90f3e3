package scan_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/analysis"
	"github.com/rampartsec/rampart/internal/exitcode"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/match"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/scan"
)

func scanWith(t *testing.T, opts scan.Options, ref string) *result.Report {
	t.Helper()
	opts.Scanners, opts.RequireDB = scan.Default, true
	opts.Tool = result.Tool{Name: "rampart", Version: "test"}
	p, err := scan.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rep, err := p.Scan(context.Background(), ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// where lists "type name path" of packages and "kind id path" of findings.
func where(rep *result.Report) (pkgs, findings []string) {
	for _, p := range rep.Packages {
		pkgs = append(pkgs, string(p.Type)+" "+p.Name+" "+p.Location())
	}
	for _, f := range rep.Findings {
		findings = append(findings, string(f.Kind)+" "+f.ID+" "+f.Location.Path)
	}
	return pkgs, findings
}

// --skip-dirs and --skip-files reach every analyzer, in image layers, and a layer cached without
// them is not reused with them (nor the other way round).
func TestSkipPaths(t *testing.T) {
	db := bundledDB(t)
	ref := "docker-archive:" + appImage(t, "1", "2.5.0-1")
	cache := t.TempDir()
	skip := analysis.PathFilter{SkipDirs: []string{"**/vendor"}, SkipFiles: []string{"app/.env"}}

	plain := scanWith(t, scan.Options{DBDir: db, CacheDir: cache}, ref)
	pkgs, fs := where(plain)
	if !slices.Contains(pkgs, "npm lodash app/vendor/node_modules/lodash/package.json") || !slices.Contains(fs, "secret generic-secret-assignment app/.env") {
		t.Fatalf("the unfiltered scan lacks the vendored lodash or the token: %q %q", pkgs, fs)
	}
	for _, run := range []string{"after a cached unfiltered scan", "cached"} {
		rep := scanWith(t, scan.Options{DBDir: db, CacheDir: cache, Paths: skip}, ref)
		pkgs, fs := where(rep)
		for _, x := range append(pkgs, fs...) {
			if strings.Contains(x, "app/vendor/") || strings.HasSuffix(x, "app/.env") {
				t.Errorf("%s: %q is still reported", run, x)
			}
		}
		if !slices.Contains(pkgs, "npm lodash app/node_modules/lodash/package.json") || !slices.Contains(pkgs, "deb libexpat1 var/lib/dpkg/status") {
			t.Errorf("%s: packages outside the skipped paths are gone: %q", run, pkgs)
		}
		if len(rep.Findings) == 0 || len(rep.Findings) >= len(plain.Findings) {
			t.Errorf("%s: %d findings, unfiltered %d", run, len(rep.Findings), len(plain.Findings))
		}
	}
	again := scanWith(t, scan.Options{DBDir: db, CacheDir: cache}, ref)
	if p, _ := where(again); !slices.Equal(p, pkgs) {
		t.Errorf("an unfiltered scan after a filtered one differs: %q, want %q", p, pkgs)
	}
}

func TestPkgTypes(t *testing.T) {
	db := bundledDB(t)
	ref := "docker-archive:" + appImage(t, "1", "2.5.0-1")
	all := scanWith(t, scan.Options{DBDir: db}, ref)
	for _, kind := range scan.PkgTypes {
		rep := scanWith(t, scan.Options{DBDir: db, Filter: scan.Filter{PkgTypes: []string{kind}}}, ref)
		if len(rep.Packages) == 0 {
			t.Errorf("--pkg-types %s: no packages", kind)
		}
		for _, p := range rep.Packages {
			if p.Type.IsOS() != (kind == scan.PkgTypeOS) {
				t.Errorf("--pkg-types %s: package %s %s kept", kind, p.Type, p.Name)
			}
		}
		vulns, secrets := 0, 0
		for _, f := range rep.Findings {
			switch {
			case f.Kind == finding.KindSecret:
				secrets++
			case f.Package != nil:
				vulns++
				if os := f.Location.Path == "var/lib/dpkg/status"; os != (kind == scan.PkgTypeOS) {
					t.Errorf("--pkg-types %s: finding %s of %s kept", kind, f.ID, f.Package.Name)
				}
			}
		}
		if vulns == 0 || secrets != 1 {
			t.Errorf("--pkg-types %s: %d vulnerabilities, %d secrets; want some, and the secret kept", kind, vulns, secrets)
		}
		if rep.Summary == nil || rep.Summary.BySeverity == nil {
			t.Errorf("--pkg-types %s: no summary", kind)
		}
	}
	if len(all.Packages) <= 2 {
		t.Errorf("unfiltered: %d packages", len(all.Packages))
	}
	if err := scan.CheckPkgTypes([]string{"os", "lib"}); exitcode.Of(err) != exitcode.Usage {
		t.Errorf("CheckPkgTypes(lib) = %v, want a usage error", err)
	}
}

// A VEX statement that keeps a finding (affected, under_investigation) is recorded on it.
func TestVEXStatusRecorded(t *testing.T) {
	db := bundledDB(t)
	ref := "docker-archive:" + appImage(t, "1", "2.5.0-1")
	all := scanWith(t, scan.Options{DBDir: db}, ref)
	i := slices.IndexFunc(all.Findings, func(f finding.Finding) bool { return f.Package != nil && f.Package.Name == "lodash" })
	if i < 0 {
		t.Fatal("no lodash finding")
	}
	target := all.Findings[i]
	doc, _ := json.Marshal(map[string]any{
		"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.org/vex/1", "author": "test", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
		"statements": []any{map[string]any{"vulnerability": map[string]any{"name": target.ID}, "products": []any{map[string]any{"@id": "pkg:npm/lodash@4.17.15"}}, "status": "under_investigation"}},
	})
	vex, err := match.ParseVEX(doc)
	if err != nil {
		t.Fatal(err)
	}
	rep := scanWith(t, scan.Options{DBDir: db, Filter: scan.Filter{VEX: vex}}, ref)
	if len(rep.Findings) != len(all.Findings) {
		t.Errorf("under_investigation suppressed findings: %d, want %d", len(rep.Findings), len(all.Findings))
	}
	marked := 0
	for _, f := range rep.Findings {
		st := f.Extra[scan.ExtraVEXStatus]
		if f.ID == target.ID && f.Package.Name == "lodash" {
			marked++
			if st != match.VEXUnderInvestigation {
				t.Errorf("%s in %s: vex_status %q", f.ID, f.Location.Path, st)
			}
		} else if st != "" {
			t.Errorf("%s: vex_status %q without a statement", f.ID, st)
		}
	}
	if marked != 2 {
		t.Errorf("%d findings marked, want both copies of lodash", marked)
	}
}
