package match

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/inventory/gobinary"
	"github.com/rampartsec/rampart/internal/osv"
)

// Source finds the OSV records that name a package. ecosystem is an OSV ecosystem ("Go",
// "Debian:12"); name is the package name as that ecosystem spells it.
type Source interface {
	Lookup(ctx context.Context, ecosystem, name string) ([]*osv.Vulnerability, error)
}

// Options configure a Matcher. The zero value is valid: no KEV or EPSS data, slog.Default().
type Options struct {
	// KEV reports whether a CVE is in CISA's Known Exploited Vulnerabilities catalog.
	KEV func(cve string) bool
	// EPSS returns a CVE's EPSS probability of exploitation, and false when it has none.
	EPSS func(cve string) (float64, bool)
	// Logger receives warnings; the default is slog.Default().
	Logger *slog.Logger
	// Covered, when set, reports whether the source holds any advisory for an ecosystem
	// ("Debian:12", "Maven"). Packages of an ecosystem it does not cover cannot be assessed, and
	// Match says so instead of reporting them as free of vulnerabilities.
	Covered func(ecosystem string) bool
}

// Matcher matches inventories against a Source. Create it with [New].
type Matcher struct {
	src  Source
	opts Options
}

// New returns a Matcher over src.
func New(src Source, opts Options) *Matcher {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Matcher{src: src, opts: opts}
}

// hit is one record that affects one package.
type hit struct {
	vuln     *osv.Vulnerability
	affected []*osv.Affected // the entries that matched
	fixed    string          // lowest known fix above the installed version, "" when none
}

// query is how one inventory package is looked up.
type query struct {
	pkg       *inventory.Package
	ecosystem string
	name      string // as the records spell it (source package for OS packages)
	version   string // the version compared (source version for OS packages, SemVer for stdlib)
}

// Match returns the vulnerability findings of inv's packages, sorted by [Sort], and warnings
// for what could not be decided. It returns an error only when the Source fails or ctx ends.
func (m *Matcher) Match(ctx context.Context, inv *inventory.Inventory) ([]finding.Finding, []string, error) {
	var warnings []string
	warn := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		m.opts.Logger.Warn(msg)
		warnings = append(warnings, msg)
	}
	queries, qwarn := plan(inv)
	for _, w := range qwarn {
		warn("%s", w)
	}
	for _, u := range uncovered(queries, m.opts.Covered) {
		warn("the vulnerability database has no advisories for %s: %d %s not assessed for vulnerabilities (import or update that ecosystem's data: rampart db import / rampart db update)",
			u.ecosystem, u.packages, plural(u.packages, "package", "packages"))
	}
	cache := map[[2]string][]*osv.Vulnerability{}
	cves := cveCache{}
	var out []finding.Finding
	for i := range queries {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		q := &queries[i]
		key := [2]string{q.ecosystem, q.name}
		recs, ok := cache[key]
		if !ok {
			var err error
			recs, err = m.lookup(ctx, q.ecosystem, q.name)
			if err != nil {
				return nil, nil, err
			}
			cache[key] = recs
		}
		var hits []hit
		var problems []string // in order of first appearance
		advisories := map[string][]string{}
		for _, v := range recs {
			h, ps := evalRecord(v, q)
			for _, p := range ps {
				if advisories[p] == nil {
					problems = append(problems, p)
				}
				if !slices.Contains(advisories[p], v.ID) {
					advisories[p] = append(advisories[p], v.ID)
				}
			}
			if h != nil {
				hits = append(hits, *h)
			}
		}
		// One warning per problem, naming every advisory it concerns: an unparsable installed
		// version would otherwise repeat once per record.
		for _, p := range problems {
			warn("%s %s %s: %s: %s", q.pkg.Type, q.pkg.Name, q.pkg.Version, advisoryList(advisories[p]), p)
		}
		for _, group := range mergeAliases(hits) {
			f, fwarn, err := m.toFinding(ctx, q, group, cves)
			if err != nil {
				return nil, nil, err
			}
			for _, w := range fwarn {
				warn("%s", w)
			}
			out = append(out, f)
		}
	}
	Sort(out)
	return out, warnings, nil
}

// advisoryList names advisories for a warning: "advisory A" or "advisories A, B and 3 more".
func advisoryList(ids []string) string {
	if len(ids) == 1 {
		return "advisory " + ids[0]
	}
	const most = 5
	if len(ids) <= most {
		return "advisories " + strings.Join(ids, ", ")
	}
	return fmt.Sprintf("advisories %s and %d more", strings.Join(ids[:most], ", "), len(ids)-most)
}

// lookup asks the source for name, spelled as the ecosystem's index spells it.
func (m *Matcher) lookup(ctx context.Context, eco, name string) ([]*osv.Vulnerability, error) {
	if eco == "PyPI" {
		name = normalizePyPI(name)
	}
	recs, err := m.src.Lookup(ctx, eco, name)
	if err != nil {
		return nil, fmt.Errorf("look up %s %s: %w", eco, name, err)
	}
	return slices.DeleteFunc(recs, func(v *osv.Vulnerability) bool { return v == nil }), nil
}

// plan decides, for every package, whether and how it is looked up.
func plan(inv *inventory.Inventory) ([]query, []string) {
	var qs []query
	var warnings []string
	unknownOS := 0
	stdlibAt := map[string]bool{} // binaries whose inventory already lists stdlib
	for i := range inv.Packages {
		if p := &inv.Packages[i]; p.Type == inventory.TypeGo && p.Name == "stdlib" {
			stdlibAt[p.Path] = true
		}
	}
	for i := range inv.Packages {
		p := &inv.Packages[i]
		q := query{pkg: p, ecosystem: p.Ecosystem, name: p.Name, version: p.Version}
		switch {
		case p.Type.IsOS():
			if p.Ecosystem == "" {
				unknownOS++
				continue
			}
			if p.SourceName != "" {
				q.name = p.SourceName
			}
			// Distribution advisories give source versions; a binNMU's binary version is not one.
			if p.SourceVersion != "" {
				q.version = p.SourceVersion
			}
		case p.OwnedBy != "":
			// The distribution patches what it ships; its advisories cover the owner package.
			continue
		case p.Type == inventory.TypeGo:
			if p.Version == "(devel)" {
				if !p.Main {
					warnings = append(warnings, fmt.Sprintf("%s %s in %s: replaced by a local directory, version unknown: not matched", p.Type, p.Name, p.Path))
				}
				continue
			}
			if p.Name == "stdlib" {
				q.version = goToolchainSemver(p.Version)
			}
			if q.ecosystem == "" {
				q.ecosystem = "Go"
			}
		}
		if q.ecosystem == "" {
			warnings = append(warnings, fmt.Sprintf("%s %s %s: no ecosystem: not matched", p.Type, p.Name, p.Version))
			continue
		}
		if q.version == "" {
			warnings = append(warnings, fmt.Sprintf("%s %s: no version: not matched", p.Type, p.Name))
			continue
		}
		qs = append(qs, q)
		// A Go binary whose inventory has no stdlib entry (an SBOM, say) still has a toolchain.
		if p.Type == inventory.TypeGo && p.GoVersion != "" && !stdlibAt[p.Path] {
			stdlibAt[p.Path] = true
			std := &inventory.Package{Type: inventory.TypeGo, Name: "stdlib", Version: gobinary.StdlibVersion(p.GoVersion),
				Ecosystem: "Go", Path: p.Path, Layer: p.Layer, LayerIndex: p.LayerIndex, GoVersion: p.GoVersion}
			qs = append(qs, query{pkg: std, ecosystem: "Go", name: "stdlib", version: goToolchainSemver(std.Version)})
		}
	}
	if unknownOS > 0 {
		warnings = append(warnings, fmt.Sprintf("operating system not recognised: %d OS packages not matched against advisories", unknownOS))
	}
	return qs, warnings
}

// evalRecord returns the hit when v affects the query's package, and problems that kept part
// of the record from being evaluated.
func evalRecord(v *osv.Vulnerability, q *query) (*hit, []string) {
	if v.Withdrawn != nil {
		return nil, nil
	}
	var h *hit
	var problems []string
	for i := range v.Affected {
		a := &v.Affected[i]
		if !sameEcosystem(a.Package.Ecosystem, q.ecosystem) || !sameName(q.ecosystem, a.Package.Name, q.name) {
			continue
		}
		if q.pkg.Type == inventory.TypeGo && !onPlatform(a, q.pkg.GoPlatform) {
			continue
		}
		vd := evalAffected(a, q.ecosystem, q.version)
		problems = append(problems, vd.problems...)
		if !vd.affected {
			continue
		}
		if h == nil {
			h = &hit{vuln: v}
		}
		h.affected = append(h.affected, a)
		if vd.fixed != "" {
			if h.fixed == "" || lower(orderFor(a, q.ecosystem), vd.fixed, h.fixed) {
				h.fixed = vd.fixed
			}
		}
	}
	return h, problems
}

// orderFor returns the ordering fixed versions of entry a are compared with: the ecosystem's
// when a has an ECOSYSTEM range, else SemVer's.
func orderFor(a *osv.Affected, eco string) func(x, y string) (int, error) {
	for _, r := range a.Ranges {
		if r.Type == osv.RangeEcosystem {
			return ecosystemOrder(eco)
		}
	}
	return semverOrder(eco)
}

// sameEcosystem reports whether an affected entry's ecosystem is the package's: the same, or the
// same release with further qualifiers ("Ubuntu:22.04:LTS" for "Ubuntu:22.04"). Another
// release, or the bare distribution name, is not the package's.
func sameEcosystem(entry, pkg string) bool {
	return entry == pkg || strings.HasPrefix(entry, pkg+":") && strings.Contains(pkg, ":")
}

func sameName(eco, a, b string) bool {
	if eco == "PyPI" {
		return normalizePyPI(a) == normalizePyPI(b)
	}
	return a == b
}

var pep503 = regexp.MustCompile(`[-_.]+`)

// normalizePyPI spells a Python project name as PEP 503 does: lower case, runs of "-", "_"
// and "." as one "-".
func normalizePyPI(name string) string {
	return pep503.ReplaceAllString(strings.ToLower(name), "-")
}

// Sort orders findings by severity (most severe first), then package name and version, then
// ID, then path.
func Sort(fs []finding.Finding) {
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		if c := b.Severity.Rank() - a.Severity.Rank(); c != 0 {
			return c
		}
		an, av, bn, bv := "", "", "", ""
		if a.Package != nil {
			an, av = a.Package.Name, a.Package.Version
		}
		if b.Package != nil {
			bn, bv = b.Package.Name, b.Package.Version
		}
		return cmpStrings(an, bn, av, bv, a.ID, b.ID, a.Location.Path, b.Location.Path)
	})
}

// cmpStrings compares pairs in turn: (x0, y0), (x1, y1), …
func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

// uncoveredEcosystem is an ecosystem of the inventory the advisory source knows nothing of.
type uncoveredEcosystem struct {
	ecosystem string
	packages  int
}

// uncovered lists, in order of first appearance, the ecosystems of queries that covered says the
// source has no advisories for, with how many packages each holds. A nil covered knows nothing.
func uncovered(queries []query, covered func(string) bool) []uncoveredEcosystem {
	if covered == nil {
		return nil
	}
	var out []uncoveredEcosystem
	index := map[string]int{}
	seen := map[*inventory.Package]bool{}
	for _, q := range queries {
		if seen[q.pkg] {
			continue // a package queried under two names counts once
		}
		seen[q.pkg] = true
		i, ok := index[q.ecosystem]
		if !ok {
			if covered(q.ecosystem) {
				index[q.ecosystem] = -1
				continue
			}
			i = len(out)
			index[q.ecosystem] = i
			out = append(out, uncoveredEcosystem{ecosystem: q.ecosystem})
		}
		if i >= 0 {
			out[i].packages++
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
