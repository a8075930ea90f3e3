package match

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/osv"
)

// memSource holds OSV records in memory. Its Lookup is deliberately loose: it returns every
// record of the ecosystem family ("Debian:11" records for a "Debian:12" query, other package
// names too), so the tests show the Matcher does its own filtering.
type memSource struct {
	recs []*osv.Vulnerability
	err  error
}

func (s *memSource) Lookup(ctx context.Context, ecosystem, name string) ([]*osv.Vulnerability, error) {
	if s.err != nil {
		return nil, s.err
	}
	base, _, _ := strings.Cut(ecosystem, ":")
	var out []*osv.Vulnerability
	for _, v := range s.recs {
		for _, a := range v.Affected {
			if b, _, _ := strings.Cut(a.Package.Ecosystem, ":"); b == base {
				out = append(out, v)
				break
			}
		}
	}
	return out, nil
}

// loadSource reads testdata/vulndb/*.json.
func loadSource(t testing.TB) *memSource {
	t.Helper()
	paths, err := filepath.Glob("testdata/vulndb/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no test advisories: %v", err)
	}
	src := &memSource{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v, err := osv.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		src.recs = append(src.recs, v)
	}
	return src
}

// row is the part of a finding these tests check.
type row struct {
	Path, Name, Version, ID string
	Aliases                 []string
	Severity                finding.Severity
	Fixed                   string
	KEV                     bool
	EPSS                    float64
	Symbol                  string
}

func rows(fs []finding.Finding) []row {
	var out []row
	for _, f := range fs {
		r := row{Path: f.Location.Path, Name: f.Package.Name, Version: f.Package.Version, ID: f.ID, Aliases: f.Aliases,
			Severity: f.Severity, KEV: f.KEV, Symbol: f.Extra["symbol"]}
		if f.FixedVersion != nil {
			r.Fixed = *f.FixedVersion
		}
		if f.EPSS != nil {
			r.EPSS = *f.EPSS
		}
		out = append(out, r)
	}
	return out
}

func TestMatch(t *testing.T) {
	deb := func(name, version, srcName, srcVersion string) inventory.Package {
		return inventory.Package{Type: inventory.TypeDpkg, Name: name, Version: version, SourceName: srcName, SourceVersion: srcVersion,
			Ecosystem: "Debian:12", Path: "var/lib/dpkg/status"}
	}
	gomod := func(bin, name, version string, symbols ...string) inventory.Package {
		return inventory.Package{Type: inventory.TypeGo, Name: name, Version: version, Ecosystem: "Go", Path: bin, Symbols: symbols, GoVersion: "go1.22.1"}
	}
	tests := []struct {
		name         string
		inv          inventory.Inventory
		want         []row
		wantWarnings []string // substrings, one per warning, in order
	}{
		{
			name: "debian: source name, source version for binNMU, release and withdrawn filtered",
			inv: inventory.Inventory{OS: inventory.OS{Family: "debian", Version: "12"}, Packages: []inventory.Package{
				deb("openssl", "3.0.11-1~deb12u2", "openssl", ""),
				deb("libssl3", "3.0.11-1~deb12u2", "openssl", ""),
				deb("zlib1g", "1:1.2.13.dfsg-1+b1", "zlib", "1:1.2.13.dfsg-1"),
				deb("openssl-provider-legacy", "3.0.13-1~deb12u1", "openssl", ""),
			}},
			want: []row{
				{Path: "var/lib/dpkg/status", Name: "libssl3", Version: "3.0.11-1~deb12u2", ID: "CVE-2024-0001", Aliases: []string{"DEBIAN-CVE-2024-0001"}, Severity: "UNKNOWN", Fixed: "3.0.13-1~deb12u1", KEV: true},
				{Path: "var/lib/dpkg/status", Name: "openssl", Version: "3.0.11-1~deb12u2", ID: "CVE-2024-0001", Aliases: []string{"DEBIAN-CVE-2024-0001"}, Severity: "UNKNOWN", Fixed: "3.0.13-1~deb12u1", KEV: true},
				{Path: "var/lib/dpkg/status", Name: "zlib1g", Version: "1:1.2.13.dfsg-1+b1", ID: "CVE-2024-0004", Aliases: []string{"DEBIAN-CVE-2024-0004"}, Severity: "UNKNOWN"},
			},
		},
		{
			name: "debian: unparsable version is a warning naming package and advisory",
			inv: inventory.Inventory{Packages: []inventory.Package{
				deb("openssl", "!!", "", ""),
			}},
			wantWarnings: []string{"deb openssl !!: advisory DEBIAN-CVE-2024-0001: ECOSYSTEM range: installed version"},
		},
		{
			name: "unknown OS: no OS matching, one warning",
			inv: inventory.Inventory{OS: inventory.Unknown, Packages: []inventory.Package{
				{Type: inventory.TypeDpkg, Name: "openssl", Version: "3.0.11-1~deb12u2", Path: "var/lib/dpkg/status"},
				{Type: inventory.TypeApk, Name: "musl", Version: "1.2.4-r2", Path: "lib/apk/db/installed"},
			}},
			wantWarnings: []string{"operating system not recognised: 2 OS packages"},
		},
		{
			name: "npm: aliases merged, lowest fix, CVSS beats stated rating, v4, last_affected, bad vector",
			inv: inventory.Inventory{Packages: []inventory.Package{
				{Type: inventory.TypeNpm, Name: "lodash", Version: "4.17.15", Ecosystem: "npm", Path: "app/node_modules/lodash/package.json"},
				{Type: inventory.TypeNpm, Name: "lodash", Version: "4.17.15", Ecosystem: "npm", Path: "usr/share/nodejs/lodash/package.json", OwnedBy: "deb:node-lodash"},
				{Type: inventory.TypeNpm, Name: "minimist", Version: "1.2.5", Ecosystem: "npm", Path: "app/node_modules/minimist/package.json"},
			}},
			want: []row{
				{Path: "app/node_modules/lodash/package.json", Name: "lodash", Version: "4.17.15", ID: "NSWG-ECO-9003", Severity: "CRITICAL"},
				{Path: "app/node_modules/minimist/package.json", Name: "minimist", Version: "1.2.5", ID: "NSWG-ECO-9004", Severity: "MEDIUM", Fixed: "1.2.6"},
				{Path: "app/node_modules/lodash/package.json", Name: "lodash", Version: "4.17.15", ID: "CVE-2021-23337", Aliases: []string{"GHSA-aaaa-bbbb-cccc", "NSWG-ECO-9001"}, Severity: "LOW", Fixed: "4.17.19"},
				{Path: "app/node_modules/lodash/package.json", Name: "lodash", Version: "4.17.15", ID: "NSWG-ECO-9002", Severity: "UNKNOWN", Fixed: "4.17.16"},
			},
			wantWarnings: []string{`npm lodash 4.17.15: advisory NSWG-ECO-9002: CVSS vector "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:XX"`},
		},
		{
			name: "pypi: names normalised, owned copies skipped",
			inv: inventory.Inventory{Packages: []inventory.Package{
				{Type: inventory.TypePython, Name: "pyyaml", Version: "5.3.1", Ecosystem: "PyPI", Path: "usr/local/lib/python3.11/site-packages/PyYAML-5.3.1.dist-info/METADATA"},
				{Type: inventory.TypePython, Name: "PyYAML", Version: "5.3.1", Ecosystem: "PyPI", Path: "usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info/PKG-INFO", OwnedBy: "deb:python3-yaml"},
			}},
			want: []row{
				{Path: "usr/local/lib/python3.11/site-packages/PyYAML-5.3.1.dist-info/METADATA", Name: "pyyaml", Version: "5.3.1", ID: "CVE-2020-14343", Aliases: []string{"PYSEC-2099-1"}, Severity: "UNKNOWN"},
			},
		},
		{
			name: "go: symbols present, absent, unknown; stdlib; devel main skipped quietly",
			inv: inventory.Inventory{Packages: []inventory.Package{
				{Type: inventory.TypeGo, Name: "example.com/tool", Version: "(devel)", Main: true, Ecosystem: "Go", Path: "usr/bin/a", GoVersion: "go1.22.1"},
				gomod("usr/bin/a", "golang.org/x/text", "v0.3.5", "golang.org/x/text/language.Parse", "golang.org/x/text/unicode/norm.Iter.Next"),
				gomod("usr/bin/a", "stdlib", "1.22.1", "net/netip.Addr.IsLoopback", "net/netip.ParseAddr"),
				gomod("usr/bin/b", "golang.org/x/text", "v0.3.5", "golang.org/x/text/unicode/norm.Iter.Next"),
				gomod("usr/bin/b", "stdlib", "1.22.1", "net/netip.ParseAddr"),
				gomod("usr/bin/c", "golang.org/x/text", "v0.3.5"),
			}},
			want: []row{
				{Path: "usr/bin/a", Name: "golang.org/x/text", Version: "v0.3.5", ID: "CVE-2021-38561", Aliases: []string{"GHSA-ppp9-7jff-5vj2", "GO-2021-0113"}, Severity: "CRITICAL", Fixed: "0.3.7", EPSS: 0.5, Symbol: "present"},
				{Path: "usr/bin/b", Name: "golang.org/x/text", Version: "v0.3.5", ID: "CVE-2021-38561", Aliases: []string{"GHSA-ppp9-7jff-5vj2", "GO-2021-0113"}, Severity: "CRITICAL", Fixed: "0.3.7", EPSS: 0.5, Symbol: "absent"},
				{Path: "usr/bin/c", Name: "golang.org/x/text", Version: "v0.3.5", ID: "CVE-2021-38561", Aliases: []string{"GHSA-ppp9-7jff-5vj2", "GO-2021-0113"}, Severity: "CRITICAL", Fixed: "0.3.7", EPSS: 0.5, Symbol: "unknown"},
				{Path: "usr/bin/a", Name: "golang.org/x/text", Version: "v0.3.5", ID: "GO-2099-0002", Aliases: []string{"GHSA-zzzz-yyyy-xxxx"}, Severity: "UNKNOWN", Fixed: "0.3.8", Symbol: "unknown"},
				{Path: "usr/bin/b", Name: "golang.org/x/text", Version: "v0.3.5", ID: "GO-2099-0002", Aliases: []string{"GHSA-zzzz-yyyy-xxxx"}, Severity: "UNKNOWN", Fixed: "0.3.8", Symbol: "unknown"},
				{Path: "usr/bin/c", Name: "golang.org/x/text", Version: "v0.3.5", ID: "GO-2099-0002", Aliases: []string{"GHSA-zzzz-yyyy-xxxx"}, Severity: "UNKNOWN", Fixed: "0.3.8", Symbol: "unknown"},
				{Path: "usr/bin/a", Name: "stdlib", Version: "1.22.1", ID: "CVE-2024-24790", Aliases: []string{"GO-2099-0003"}, Severity: "UNKNOWN", Fixed: "1.22.4", Symbol: "present"},
				{Path: "usr/bin/b", Name: "stdlib", Version: "1.22.1", ID: "CVE-2024-24790", Aliases: []string{"GO-2099-0003"}, Severity: "UNKNOWN", Fixed: "1.22.4", Symbol: "absent"},
				// usr/bin/c lists no stdlib: it is derived from the toolchain; no symbol table.
				{Path: "usr/bin/c", Name: "stdlib", Version: "1.22.1", ID: "CVE-2024-24790", Aliases: []string{"GO-2099-0003"}, Severity: "UNKNOWN", Fixed: "1.22.4", Symbol: "unknown"},
			},
		},
		{
			name: "go: release candidate toolchain, devel dependency warned, versioned main matched",
			inv: inventory.Inventory{Packages: []inventory.Package{
				{Type: inventory.TypeGo, Name: "example.com/tool", Version: "v0.9.0", Main: true, Ecosystem: "Go", Path: "usr/bin/d", GoVersion: "go1.21rc2"},
				{Type: inventory.TypeGo, Name: "example.com/lib", Version: "(devel)", Ecosystem: "Go", Path: "usr/bin/d", GoVersion: "go1.21rc2"},
				{Type: inventory.TypeGo, Name: "stdlib", Version: "1.21rc2", Ecosystem: "Go", Path: "usr/bin/d", GoVersion: "go1.21rc2"},
			}},
			want: []row{
				{Path: "usr/bin/d", Name: "example.com/tool", Version: "v0.9.0", ID: "GO-2099-0005", Severity: "UNKNOWN", Fixed: "1.0.0", Symbol: "unknown"},
				{Path: "usr/bin/d", Name: "stdlib", Version: "1.21rc2", ID: "CVE-2024-24790", Aliases: []string{"GO-2099-0003"}, Severity: "UNKNOWN", Fixed: "1.21.11", Symbol: "unknown"},
				{Path: "usr/bin/d", Name: "stdlib", Version: "1.21rc2", ID: "GO-2099-0004", Severity: "UNKNOWN", Fixed: "1.21.0-rc.3", Symbol: "unknown"},
			},
			wantWarnings: []string{"golang example.com/lib in usr/bin/d: replaced by a local directory"},
		},
	}
	src := loadSource(t)
	opts := Options{
		Logger: slog.New(slog.DiscardHandler),
		KEV:    func(cve string) bool { return cve == "CVE-2024-0001" },
		EPSS: func(cve string) (float64, bool) {
			if cve == "CVE-2021-38561" {
				return 0.5, true
			}
			return 0, false
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := New(src, opts).Match(context.Background(), &tt.inv)
			if err != nil {
				t.Fatalf("Match() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, rows(got)); diff != "" {
				t.Errorf("Match() findings mismatch (-want +got):\n%s", diff)
			}
			if len(warnings) != len(tt.wantWarnings) {
				t.Fatalf("Match() warnings = %q, want %d", warnings, len(tt.wantWarnings))
			}
			for i, w := range tt.wantWarnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning[%d] = %q, want it to contain %q", i, warnings[i], w)
				}
			}
		})
	}
}

func TestSameEcosystem(t *testing.T) {
	for _, tt := range []struct {
		entry, pkg string
		want       bool
	}{
		{"Debian:12", "Debian:12", true},
		{"Debian:11", "Debian:12", false},
		{"Debian", "Debian:12", false},
		{"Debian:12", "Debian", false},
		{"Ubuntu:22.04:LTS", "Ubuntu:22.04", true},
		{"Ubuntu:Pro:22.04:LTS", "Ubuntu:22.04", false},
		{"Ubuntu:22.04.1", "Ubuntu:22.04", false},
		{"npm", "npm", true},
		{"npm:x", "npm", false},
	} {
		if got := sameEcosystem(tt.entry, tt.pkg); got != tt.want {
			t.Errorf("sameEcosystem(%q, %q) = %v, want %v", tt.entry, tt.pkg, got, tt.want)
		}
	}
}

func TestMatchSourceError(t *testing.T) {
	boom := errors.New("disk on fire")
	inv := &inventory.Inventory{Packages: []inventory.Package{{Type: inventory.TypeNpm, Name: "lodash", Version: "4.17.15", Ecosystem: "npm"}}}
	_, _, err := New(&memSource{err: boom}, Options{}).Match(context.Background(), inv)
	if !errors.Is(err, boom) {
		t.Errorf("Match() error = %v, want %v", err, boom)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := New(loadSource(t), Options{}).Match(ctx, inv); !errors.Is(err, context.Canceled) {
		t.Errorf("Match() with cancelled ctx error = %v, want context.Canceled", err)
	}
}

func TestFindingDetails(t *testing.T) {
	inv := &inventory.Inventory{Packages: []inventory.Package{
		{Type: inventory.TypeGo, Name: "golang.org/x/text", Version: "v0.3.5", Ecosystem: "Go", Path: "usr/bin/a", Layer: "sha256:abc", PURL: "pkg:golang/golang.org/x/text@v0.3.5"},
	}}
	got, _, err := New(loadSource(t), Options{}).Match(context.Background(), inv)
	if err != nil || len(got) == 0 {
		t.Fatalf("Match() = %v, %v", got, err)
	}
	f := got[0]
	want := finding.Finding{
		Kind: finding.KindVulnerability, ID: "CVE-2021-38561", Aliases: []string{"GHSA-ppp9-7jff-5vj2", "GO-2021-0113"},
		Title: f.Title, Severity: finding.SeverityCritical,
		Package:  &finding.Package{Ecosystem: "Go", Name: "golang.org/x/text", Version: "v0.3.5", PURL: "pkg:golang/golang.org/x/text@v0.3.5"},
		Location: finding.Location{Layer: "sha256:abc", Path: "usr/bin/a"},
		CVSS:     []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}},
		Evidence: f.Evidence, Remediation: "upgrade golang.org/x/text to 0.3.7 or later", FixedVersion: f.FixedVersion,
		Extra:      map[string]string{"symbol": "unknown", "severity_source": "CVSS 3.1 (GHSA-ppp9-7jff-5vj2)", "advisories": "GHSA-ppp9-7jff-5vj2,GO-2021-0113"},
		References: f.References,
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("finding mismatch (-want +got):\n%s", diff)
	}
	if f.Title != "golang.org/x/text/language out-of-bounds read" && f.Title != "Out-of-bounds read in golang.org/x/text/language" {
		t.Errorf("Title = %q, want one of the records' summaries", f.Title)
	}
}

// FuzzMatchRecord feeds arbitrary OSV records (the database is untrusted input) through the
// Matcher: it must not panic, and every finding must name a vulnerability and a package.
func FuzzMatchRecord(f *testing.F) {
	paths, _ := filepath.Glob("testdata/vulndb/*.json")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	inv := &inventory.Inventory{Packages: []inventory.Package{
		{Type: inventory.TypeDpkg, Name: "libssl3", SourceName: "openssl", Version: "3.0.11-1~deb12u2", Ecosystem: "Debian:12"},
		{Type: inventory.TypeNpm, Name: "lodash", Version: "4.17.15", Ecosystem: "npm"},
		{Type: inventory.TypePython, Name: "PyYAML", Version: "5.3.1", Ecosystem: "PyPI"},
		{Type: inventory.TypeGo, Name: "golang.org/x/text", Version: "v0.3.5", Ecosystem: "Go", GoVersion: "go1.21rc2", Symbols: []string{"golang.org/x/text/language.Parse"}},
	}}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := osv.Parse(b)
		if err != nil {
			return
		}
		m := New(&memSource{recs: []*osv.Vulnerability{v}}, Options{Logger: slog.New(slog.DiscardHandler)})
		fs, _, err := m.Match(context.Background(), inv)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.ID == "" || f.Package == nil || f.Package.Name == "" {
				t.Fatalf("finding without id or package: %+v", f)
			}
		}
	})
}

func TestWarningsCollapse(t *testing.T) {
	var recs []*osv.Vulnerability
	for i := range 8 {
		recs = append(recs, &osv.Vulnerability{ID: fmt.Sprintf("DEBIAN-CVE-2099-%04d", i), Affected: []osv.Affected{{
			Package: osv.Package{Ecosystem: "Debian:12", Name: "zlib"},
			Ranges:  []osv.Range{{Type: osv.RangeEcosystem, Events: ev("i:0", "f:1:1.3-1")}},
		}}})
	}
	inv := &inventory.Inventory{Packages: []inventory.Package{{Type: inventory.TypeDpkg, Name: "zlib1g", SourceName: "zlib", Version: "?bad", Ecosystem: "Debian:12"}}}
	_, warnings, err := New(&memSource{recs: recs}, Options{Logger: slog.New(slog.DiscardHandler)}).Match(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	want := "deb zlib1g ?bad: advisories DEBIAN-CVE-2099-0000, DEBIAN-CVE-2099-0001, DEBIAN-CVE-2099-0002, DEBIAN-CVE-2099-0003, DEBIAN-CVE-2099-0004 and 3 more: ECOSYSTEM range: installed version"
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], want) {
		t.Errorf("warnings = %q, want one starting %q", warnings, want)
	}
}

// TestMaliciousPackages checks that OSV "MAL-" records (by id or alias) come out as malware
// findings, critical when the record rates nothing, while other records stay vulnerabilities.
func TestMaliciousPackages(t *testing.T) {
	rec := func(id string, aliases ...string) *osv.Vulnerability {
		return &osv.Vulnerability{ID: id, Aliases: aliases, Affected: []osv.Affected{{
			Package: osv.Package{Ecosystem: "npm", Name: "evil-pkg"},
			Ranges:  []osv.Range{{Type: osv.RangeSemver, Events: []osv.Event{{Introduced: "0"}}}},
		}}}
	}
	src := &memSource{recs: []*osv.Vulnerability{rec("MAL-2024-1234"), rec("GHSA-aaaa-bbbb-cccc", "MAL-2023-9"), rec("GHSA-dddd-eeee-ffff")}}
	inv := &inventory.Inventory{Packages: []inventory.Package{{Type: inventory.TypeNpm, Name: "evil-pkg", Version: "1.0.0", Ecosystem: "npm"}}}
	got, _, err := New(src, Options{}).Match(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, f := range got {
		kinds[f.ID] = string(f.Kind) + "/" + string(f.Severity)
	}
	want := map[string]string{
		"MAL-2024-1234":       "malware/CRITICAL",
		"GHSA-aaaa-bbbb-cccc": "malware/CRITICAL",
		"GHSA-dddd-eeee-ffff": "vulnerability/UNKNOWN",
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestUncoveredEcosystems: packages of an ecosystem the database holds no advisory for are said
// to be not assessed, once per ecosystem with their count, never reported as clean in silence.
func TestUncoveredEcosystems(t *testing.T) {
	inv := &inventory.Inventory{Packages: []inventory.Package{
		{Type: inventory.TypeApk, Name: "musl", Version: "1.2.5-r0", Ecosystem: "Alpine:v3.20"},
		{Type: inventory.TypeApk, Name: "busybox", Version: "1.36.1-r29", Ecosystem: "Alpine:v3.20"},
		{Type: inventory.TypeJava, Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven"},
		{Type: inventory.TypeNpm, Name: "lodash", Version: "4.17.20", Ecosystem: "npm"},
	}}
	covered := map[string]bool{"npm": true, "Debian:12": true}
	for _, tt := range []struct {
		name    string
		covered func(string) bool
		want    []string
	}{
		{"database knows npm only", func(e string) bool { return covered[e] }, []string{
			"the vulnerability database has no advisories for Alpine:v3.20: 2 packages not assessed",
			"the vulnerability database has no advisories for Maven: 1 package not assessed",
		}},
		{"coverage unknown", nil, nil},
		{"everything covered", func(string) bool { return true }, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, warnings, err := New(&memSource{}, Options{Covered: tt.covered, Logger: slog.New(slog.DiscardHandler)}).Match(context.Background(), inv)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range warnings {
				if i := strings.Index(w, " for vulnerabilities"); i >= 0 {
					got = append(got, w[:i])
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s\nall: %q", diff, warnings)
			}
		})
	}
}
