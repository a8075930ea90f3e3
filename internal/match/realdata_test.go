package match_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/inventory/dpkg"
	"github.com/rampartsec/rampart/internal/inventory/gobinary"
	"github.com/rampartsec/rampart/internal/match"
	"github.com/rampartsec/rampart/internal/osv"
	"github.com/rampartsec/rampart/internal/testenv"
	"github.com/rampartsec/rampart/internal/version"
	"github.com/rampartsec/rampart/internal/vulndb"
)

// The bundled data, imported once into a temporary database for all tests of this file, with
// NVD feeds for a few CVEs.
const bundled = "../../data/vulndb"

var (
	realOnce sync.Once
	realDB   *vulndb.DB
	realErr  error
	realDir  string
)

func realDatabase(t testing.TB) *vulndb.DB {
	t.Helper()
	if testing.Short() {
		t.Skip("imports the bundled vulnerability data")
	}
	realOnce.Do(func() {
		paths, err := filepath.Glob(filepath.Join(bundled, "*"))
		if err != nil {
			realErr = err
			return
		}
		paths = slices.DeleteFunc(paths, func(p string) bool { return strings.HasSuffix(p, ".md") })
		// With NVD's feeds for a few CVEs (internal/vulndb's fixtures): the bundled data has none.
		feeds, _ := filepath.Glob("../vulndb/testdata/nvd/*.json.gz")
		paths = append(paths, feeds...)
		realDir, realErr = os.MkdirTemp("", "rampart-match-db-")
		if realErr != nil {
			return
		}
		if _, realErr = vulndb.Import(context.Background(), realDir, paths, vulndb.ImportOptions{Logger: slog.New(slog.DiscardHandler)}); realErr != nil {
			return
		}
		realDB, realErr = vulndb.Open(realDir)
	})
	if realErr != nil {
		t.Fatalf("import bundled data: %v", realErr)
	}
	return realDB
}

func TestMain(m *testing.M) {
	code := m.Run()
	if realDB != nil {
		realDB.Close()
	}
	if realDir != "" {
		os.RemoveAll(realDir)
	}
	os.Exit(code)
}

func realMatcher(db *vulndb.DB) *match.Matcher {
	return match.New(db, match.Options{
		KEV:    func(cve string) bool { _, ok := db.KEV(cve); return ok },
		Logger: slog.New(slog.DiscardHandler),
	})
}

var zipCache sync.Map // zip name → []*osv.Vulnerability

// zipRecords reads every record of one bundled zip, straight from the file.
func zipRecords(t *testing.T, name string) []*osv.Vulnerability {
	t.Helper()
	if v, ok := zipCache.Load(name); ok {
		return v.([]*osv.Vulnerability)
	}
	zr, err := zip.OpenReader(filepath.Join(bundled, name))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []*osv.Vulnerability
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if v, err := osv.Parse(b); err == nil {
			out = append(out, v)
		}
	}
	zipCache.Store(name, out)
	return out
}

// kevCatalog reads the CVE ids of the bundled CISA KEV catalog straight from its file.
func kevCatalog(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bundled, "known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cat struct {
		Vulnerabilities []struct {
			CVE string `json:"cveID"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(b, &cat); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, v := range cat.Vulnerabilities {
		out[v.CVE] = true
	}
	if len(out) == 0 {
		t.Fatal("empty KEV catalog")
	}
	return out
}

// oracle decides the simplest records independently of the Matcher: a record whose only entry
// for the package has one range of exactly "introduced 0" then "fixed X" (or "last_affected X")
// and no versions list. It returns the ids of those records that affect v, and the ids it could
// decide at all; records outside that shape are left to the Matcher alone.
func oracle(t *testing.T, recs []*osv.Vulnerability, eco, name, v string, order func(a, b string) (int, error)) (affected, decidable []string) {
	t.Helper()
	for _, r := range recs {
		if r.Withdrawn != nil {
			continue
		}
		var entries []osv.Affected
		for _, a := range r.Affected {
			if a.Package.Ecosystem == eco && a.Package.Name == name {
				entries = append(entries, a)
			}
		}
		if len(entries) != 1 || len(entries[0].Versions) > 0 || len(entries[0].Ranges) != 1 {
			continue
		}
		ev := entries[0].Ranges[0].Events
		if len(ev) != 2 || ev[0].Introduced != "0" || (ev[1].Fixed == "" && ev[1].LastAffected == "") {
			continue
		}
		bound := ev[1].Fixed + ev[1].LastAffected
		c, err := order(v, bound)
		if err != nil {
			continue
		}
		decidable = append(decidable, r.ID)
		if c < 0 || (ev[1].LastAffected != "" && c == 0) {
			affected = append(affected, r.ID)
		}
	}
	slices.Sort(affected)
	return affected, decidable
}

// matchedRecords lists the record ids behind a package's findings.
func matchedRecords(fs []finding.Finding, name, path string) []string {
	var out []string
	for _, f := range fs {
		if f.Package.Name == name && f.Location.Path == path {
			out = append(out, strings.Split(f.Extra["advisories"], ",")...)
		}
	}
	slices.Sort(out)
	return out
}

// only keeps the ids in keep.
func only(ids, keep []string) []string {
	out := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !slices.Contains(keep, id) })
	if len(out) == 0 {
		return nil
	}
	return out
}

func TestRealDataLanguagePackages(t *testing.T) {
	db := realDatabase(t)
	pep440 := func(a, b string) (int, error) { return version.Compare("PyPI", a, b) }
	semverOrder := func(a, b string) (int, error) {
		return version.CompareSemver(strings.TrimPrefix(a, "v"), strings.TrimPrefix(b, "v"))
	}
	tests := []struct {
		zip, eco, name, version string
		order                   func(a, b string) (int, error)
		mustFind                []string // records known to affect this version
		mustNotFind             []string
	}{
		{zip: "Go-all.zip", eco: "Go", name: "golang.org/x/text", version: "v0.3.5", order: semverOrder, mustFind: []string{"GO-2021-0113"}},
		{zip: "Go-all.zip", eco: "Go", name: "golang.org/x/text", version: "v0.3.8", order: semverOrder, mustNotFind: []string{"GO-2021-0113"}},
		// lodash 4.17.15 is past the fixes of the simple records but inside 4.17.15–4.17.19.
		{zip: "npm-all.zip", eco: "npm", name: "lodash", version: "4.17.15", order: semverOrder, mustFind: []string{"NSWG-ECO-516"}},
		{zip: "npm-all.zip", eco: "npm", name: "lodash", version: "4.17.4", order: semverOrder, mustNotFind: []string{"NSWG-ECO-516"}},
		{zip: "npm-all.zip", eco: "npm", name: "lodash", version: "4.17.21", order: semverOrder},
		{zip: "npm-all.zip", eco: "npm", name: "sequelize", version: "3.0.0", order: semverOrder},
		{zip: "npm-all.zip", eco: "npm", name: "marked", version: "0.3.0", order: semverOrder},
		{zip: "Go-all.zip", eco: "Go", name: "stdlib", version: "1.20.14", order: semverOrder},
		// PyPI names are matched in PEP 503 form; these records carry versions lists as well.
		{zip: "PyPI-all.zip", eco: "PyPI", name: "PyYAML", version: "5.3.1", order: pep440,
			mustFind: []string{"PYSEC-2021-142"}, mustNotFind: []string{"PYSEC-2020-96", "PYSEC-2018-49"}},
		{zip: "PyPI-all.zip", eco: "PyPI", name: "PyYAML", version: "5.4", order: pep440, mustNotFind: []string{"PYSEC-2021-142"}},
		{zip: "PyPI-all.zip", eco: "PyPI", name: "pyftpdlib", version: "0.1.0", order: pep440},
		{zip: "PyPI-all.zip", eco: "PyPI", name: "pyftpdlib", version: "0.5.0", order: pep440},
		{zip: "PyPI-all.zip", eco: "PyPI", name: "pyftpdlib", version: "1.5.4", order: pep440},
	}
	for _, tt := range tests {
		t.Run(tt.name+"@"+tt.version, func(t *testing.T) {
			typ := map[string]inventory.Type{"Go": inventory.TypeGo, "npm": inventory.TypeNpm, "PyPI": inventory.TypePython}[tt.eco]
			inv := &inventory.Inventory{Packages: []inventory.Package{{Type: typ, Name: tt.name, Version: tt.version, Ecosystem: tt.eco, Path: "p"}}}
			fs, warnings, err := realMatcher(db).Match(context.Background(), inv)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range warnings {
				t.Logf("warning: %s", w)
			}
			got := matchedRecords(fs, tt.name, "p")
			want, decidable := oracle(t, zipRecords(t, tt.zip), tt.eco, strings.ToLower(tt.name), tt.version, tt.order)
			if len(decidable) == 0 && len(tt.mustFind)+len(tt.mustNotFind) == 0 {
				t.Fatalf("the data has no simple record for %s: the oracle checks nothing", tt.name)
			}
			if diff := cmp.Diff(want, only(got, decidable)); diff != "" {
				t.Errorf("records matched, on the %d the oracle can decide (-oracle +matcher):\n%s", len(decidable), diff)
			}
			for _, id := range tt.mustFind {
				if !slices.Contains(got, id) {
					t.Errorf("%s not found in %v", id, got)
				}
			}
			for _, id := range tt.mustNotFind {
				if slices.Contains(got, id) {
					t.Errorf("%s found, want it not to affect %s", id, tt.version)
				}
			}
			t.Logf("%s %s: %d findings from %d records (%d decidable by the oracle, %d affected)", tt.name, tt.version, len(fs), len(got), len(decidable), len(want))
		})
	}
}

// TestRealDataDpkg matches this machine's dpkg database, and an older snapshot of it, against the
// bundled Debian 12 data.
func TestRealDataDpkg(t *testing.T) {
	f, err := os.Open("/var/lib/dpkg/status")
	if err != nil {
		testenv.Missing(t, fmt.Sprintf("no dpkg database here: %v", err))
	}
	defer f.Close()
	pkgs, err := dpkg.Parse(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	db := realDatabase(t)
	recs := zipRecords(t, "Debian-all.zip")
	kev := kevCatalog(t)
	// The oracle orders versions with dpkg itself, so it shares no code with the Matcher.
	if _, err := exec.LookPath("dpkg"); err != nil {
		testenv.Missing(t, "no dpkg to order versions with")
	}
	memo := map[[2]string]int{}
	debOrder := func(a, b string) (int, error) {
		if c, ok := memo[[2]string{a, b}]; ok {
			return c, nil
		}
		c := 0
		for _, op := range []struct {
			op string
			c  int
		}{{"lt", -1}, {"gt", 1}} {
			err := exec.Command("dpkg", "--compare-versions", a, op.op, b).Run()
			var ee *exec.ExitError
			switch {
			case err == nil:
				c = op.c
			case errors.As(err, &ee) && ee.ExitCode() == 1:
			default:
				return 0, err
			}
		}
		memo[[2]string{a, b}] = c
		return c, nil
	}

	// The installed versions, and every package pushed back to a version far older than any fix,
	// so that the bundled fixes apply.
	installed := &inventory.Inventory{OS: inventory.OS{Family: "debian", Version: "12"}}
	old := &inventory.Inventory{OS: installed.OS}
	for _, p := range pkgs {
		p.Ecosystem = "Debian:12"
		installed.Packages = append(installed.Packages, p)
		p.Version, p.SourceVersion = "0.0.1-1", ""
		old.Packages = append(old.Packages, p)
	}
	for name, inv := range map[string]*inventory.Inventory{"installed": installed, "old": old} {
		t.Run(name, func(t *testing.T) {
			fs, _, err := realMatcher(db).Match(context.Background(), inv)
			if err != nil {
				t.Fatal(err)
			}
			checked, total := 0, 0
			for _, p := range inv.Packages {
				src, v := p.Name, p.Version
				if p.SourceName != "" {
					src = p.SourceName
				}
				if p.SourceVersion != "" {
					v = p.SourceVersion
				}
				want, decidable := oracle(t, recs, "Debian:12", src, v, debOrder)
				got := only(matchedRecords(fs, p.Name, p.Path), decidable)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s %s (source %s %s) (-oracle +matcher):\n%s", p.Name, p.Version, src, v, diff)
				}
				checked += len(decidable)
				total += len(want)
			}
			if checked == 0 {
				t.Fatal("no bundled Debian record concerns this machine's packages: the test checks nothing")
			}
			t.Logf("%d packages, %d findings; oracle decided %d package×record pairs, %d affected", len(inv.Packages), len(fs), checked, total)
			if name == "old" && total == 0 {
				t.Error("an inventory older than every fix matched nothing")
			}
			// KEV flags, against the catalog file itself.
			kevs := 0
			for _, f := range fs {
				want := slices.ContainsFunc(append([]string{f.ID}, f.Aliases...), func(id string) bool { return kev[id] })
				if f.KEV != want {
					t.Errorf("%s %s: KEV = %v, catalog says %v", f.Package.Name, f.ID, f.KEV, want)
				}
				if want {
					kevs++
				}
			}
			t.Logf("%d findings flagged KEV", kevs)
		})
	}
}

// TestRealDataGoBinary builds two real binaries against golang.org/x/text v0.3.5, one calling
// language.ParseAcceptLanguage (named by GO-2021-0113) and one using only golang.org/x/text/width,
// reads them with the gobinary analyzer and checks symbol presence against `go tool nm` and the
// record's own symbol list. (language.Parse itself is inlined into its callers and leaves no
// symbol of its own: symbol tables cannot show inlined calls.)
func TestRealDataGoBinary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain")
	}
	db := realDatabase(t)
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":             "module example.com/vulnapp\n\ngo 1.22\n\nrequire golang.org/x/text v0.3.5\n",
		"cmd/uses/main.go":   "package main\n\nimport (\n\t\"fmt\"\n\n\t\"golang.org/x/text/language\"\n)\n\nfunc main() { fmt.Println(language.ParseAcceptLanguage(\"en-GB;q=0.8\")) }\n",
		"cmd/avoids/main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"golang.org/x/text/width\"\n)\n\nfunc main() { fmt.Println(width.Narrow.String(\"ａｂｃ\")) }\n",
	}
	for name, content := range files {
		p := filepath.Join(mod, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inv := &inventory.Inventory{}
	wantSymbol := map[string]string{}
	for _, name := range []string{"uses", "avoids"} {
		bin := filepath.Join(mod, "bin", name)
		cmd := exec.Command(goTool, "build", "-mod=mod", "-o", bin, "./cmd/"+name)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", name, err, out)
		}
		nm, err := exec.Command(goTool, "tool", "nm", bin).Output()
		if err != nil {
			t.Fatalf("go tool nm: %v", err)
		}
		wantSymbol["usr/bin/"+name] = "absent"
		for _, sym := range goSymbols(t, db, "GO-2021-0113") {
			if strings.Contains(string(nm), " "+sym+"\n") {
				wantSymbol["usr/bin/"+name] = "present"
			}
		}
		f, err := os.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fi, _ := f.Stat()
		res, err := gobinary.Analyzer{}.Analyze(context.Background(), &inventory.File{Path: "usr/bin/" + name, Info: fi, Content: f, Size: fi.Size()})
		if err != nil || res == nil {
			t.Fatalf("analyze %s: %v, %v", name, res, err)
		}
		inv.Packages = append(inv.Packages, res.Packages...)
	}
	if wantSymbol["usr/bin/uses"] != "present" || wantSymbol["usr/bin/avoids"] != "absent" {
		t.Fatalf("go tool nm disagrees with the test's premise: %v", wantSymbol)
	}
	fs, warnings, err := realMatcher(db).Match(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Logf("warning: %s", w)
	}
	got := map[string]string{}
	for _, f := range fs {
		if strings.Contains(f.Extra["advisories"], "GO-2021-0113") {
			got[f.Location.Path] = f.Extra["symbol"]
		}
	}
	if diff := cmp.Diff(wantSymbol, got); diff != "" {
		t.Errorf("GO-2021-0113 symbol presence (-go tool nm +matcher):\n%s", diff)
	}
}

// goSymbols lists the "pkgpath.Symbol" names a Go record's ecosystem_specific names.
func goSymbols(t *testing.T, db *vulndb.DB, id string) []string {
	t.Helper()
	v, err := db.ByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range v.Affected {
		var es struct {
			Imports []struct {
				Path    string   `json:"path"`
				Symbols []string `json:"symbols"`
			} `json:"imports"`
		}
		if json.Unmarshal(a.EcosystemSpecific, &es) != nil {
			continue
		}
		for _, imp := range es.Imports {
			for _, s := range imp.Symbols {
				out = append(out, imp.Path+"."+s)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s lists no symbols", id)
	}
	return out
}

// BenchmarkMatchDpkg matches this machine's dpkg database against the bundled data.
func BenchmarkMatchDpkg(b *testing.B) {
	f, err := os.Open("/var/lib/dpkg/status")
	if err != nil {
		b.Skipf("no dpkg database here: %v", err)
	}
	pkgs, err := dpkg.Parse(context.Background(), f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	inv := &inventory.Inventory{OS: inventory.OS{Family: "debian", Version: "12"}}
	for _, p := range pkgs {
		p.Ecosystem = "Debian:12"
		inv.Packages = append(inv.Packages, p)
	}
	m := realMatcher(realDatabase(b))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		fs, _, err := m.Match(context.Background(), inv)
		if err != nil {
			b.Fatal(err)
		}
		n = len(fs)
	}
	b.ReportMetric(float64(len(inv.Packages))*float64(b.N)/b.Elapsed().Seconds(), "pkgs/s")
	b.ReportMetric(float64(n), "findings")
}

// BenchmarkMatch5000 matches 5,000 packages against the bundled data: this machine's dpkg
// packages plus language packages named by the bundled advisories (Go, npm, PyPI), at the versions
// the advisories say were introduced or fixed, so that every one of them is looked up and ranged.
func BenchmarkMatch5000(b *testing.B) {
	inv := &inventory.Inventory{OS: inventory.OS{Family: "debian", Version: "12"}}
	if f, err := os.Open("/var/lib/dpkg/status"); err == nil {
		pkgs, _ := dpkg.Parse(context.Background(), f)
		f.Close()
		for _, p := range pkgs {
			p.Ecosystem = "Debian:12"
			inv.Packages = append(inv.Packages, p)
		}
	}
	types := map[string]inventory.Type{"Go": inventory.TypeGo, "npm": inventory.TypeNpm, "PyPI": inventory.TypePython}
	seen := map[string]bool{}
	for _, eco := range []string{"Go", "npm", "PyPI"} {
		zr, err := zip.OpenReader(filepath.Join(bundled, eco+"-all.zip"))
		if err != nil {
			b.Fatal(err)
		}
		for _, zf := range zr.File {
			if len(inv.Packages) >= 5000 {
				break
			}
			rc, err := zf.Open()
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := io.ReadAll(rc)
			rc.Close()
			v, err := osv.Parse(raw)
			if err != nil {
				continue
			}
			// Every introduced and fixed version: some are vulnerable, some just fixed.
			for _, a := range v.Affected {
				for _, r := range a.Ranges {
					for _, e := range r.Events {
						ver := e.Introduced + e.Fixed
						if ver == "" || ver == "0" {
							continue
						}
						if key := eco + a.Package.Name + ver; !seen[key] {
							seen[key] = true
							inv.Packages = append(inv.Packages, inventory.Package{Type: types[eco], Ecosystem: eco, Name: a.Package.Name, Version: ver})
						}
					}
				}
			}
		}
		zr.Close()
	}
	if len(inv.Packages) < 5000 {
		b.Fatalf("only %d packages", len(inv.Packages))
	}
	inv.Packages = inv.Packages[:5000]
	m := realMatcher(realDatabase(b))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		fs, _, err := m.Match(context.Background(), inv)
		if err != nil {
			b.Fatal(err)
		}
		n = len(fs)
	}
	b.ReportMetric(float64(len(inv.Packages))*float64(b.N)/b.Elapsed().Seconds(), "pkgs/s")
	b.ReportMetric(float64(n), "findings")
}

// TestRealDataSeverities matches old Debian 12 packages against the bundled data and NVD feeds for
// a few CVEs. The Debian records carry no severity of their own for these CVEs: it comes from
// another record of the CVE (RustSec's, for the openssl-src crate) or from NVD, and says so; a CVE
// nobody scored stays UNKNOWN.
func TestRealDataSeverities(t *testing.T) {
	db := realDatabase(t)
	deb := func(name, version string) inventory.Package {
		return inventory.Package{Type: inventory.TypeDpkg, Name: name, Version: version, SourceName: name, Ecosystem: "Debian:12", Path: "var/lib/dpkg/status"}
	}
	inv := &inventory.Inventory{OS: inventory.OS{Family: "debian", Version: "12"}, Packages: []inventory.Package{
		deb("openssl", "3.0.2-1"), deb("curl", "7.64.0-4"),
	}}
	fs, _, err := realMatcher(db).Match(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	type sev struct {
		Severity finding.Severity
		Source   string
		Titled   bool
	}
	got := map[string]sev{}
	unknown, rated := 0, 0
	for _, f := range fs {
		got[f.Package.Name+" "+f.ID] = sev{f.Severity, f.Extra["severity_source"], f.Title != ""}
		if f.Severity == finding.SeverityUnknown {
			unknown++
			if f.Extra["severity_source"] != "" {
				t.Errorf("%s: UNKNOWN from %q", f.ID, f.Extra["severity_source"])
			}
		} else {
			rated++
			if f.Extra["severity_source"] == "" {
				t.Errorf("%s: %s from nowhere", f.ID, f.Severity)
			}
		}
	}
	for k, want := range map[string]sev{
		"openssl CVE-2022-1343": {finding.SeverityMedium, "CVSS 3.1 (RUSTSEC-2022-0027 via CVE-2022-1343)", true},
		"openssl CVE-2023-0464": {finding.SeverityHigh, "CVSS 3.1 (nvd: CVE-2023-0464)", true},
		"curl CVE-2019-5482":    {finding.SeverityCritical, "CVSS 3.1 (nvd: CVE-2019-5482)", true},
		"curl CVE-2023-27534":   {finding.SeverityHigh, "CVSS 3.1 (nvd: CVE-2023-27534)", true},
		"curl CVE-2025-14819":   {finding.SeverityUnknown, "", true},
		// The record's own vector (CISA's: UI:R, 8.8) before NVD's (9.8, not in the feeds here).
		"curl CVE-2023-38545":   {finding.SeverityHigh, "CVSS 3.1 (DEBIAN-CVE-2023-38545; vector from timb-machine-mirrors/cisagov-vulnrichment)", false},
		"openssl CVE-2022-3786": {finding.SeverityHigh, "CVSS 3.1 (DEBIAN-CVE-2022-3786; vector from bitnami/vulndb)", true}, // titled by RustSec
	} {
		if g, ok := got[k]; !ok || g != want {
			t.Errorf("%s: %+v (found %v), want %+v", k, g, ok, want)
		}
	}
	// 142 findings, 55 rated: the bundled vectors, two RustSec records and the NVD fixtures.
	t.Logf("%d findings: %d rated, %d UNKNOWN", len(fs), rated, unknown)
	if rated < 50 {
		t.Errorf("only %d of %d findings rated", rated, len(fs))
	}
}
