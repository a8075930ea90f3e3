package match

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/osv"
)

// mergeAliases groups the hits of one package that describe the same vulnerability: records
// are joined when one's id, aliases or upstream share an identifier with another's. Groups
// come out ordered by their first record's position in hits.
func mergeAliases(hits []hit) [][]hit {
	parent := make([]int, len(hits))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, h := range hits {
		for _, id := range identifiers(h) {
			if j, ok := owner[id]; ok {
				ri, rj := find(i), find(j)
				if ri != rj {
					parent[max(ri, rj)] = min(ri, rj)
				}
				continue
			}
			owner[id] = i
		}
	}
	index := map[int]int{}
	var groups [][]hit
	for i, h := range hits {
		r := find(i)
		g, ok := index[r]
		if !ok {
			g = len(groups)
			index[r] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], h)
	}
	return groups
}

// identifiers lists every name a record goes by: its id, aliases and upstream.
func identifiers(h hit) []string {
	out := append([]string{h.vuln.ID}, h.vuln.Aliases...)
	return append(out, h.vuln.Upstream...)
}

// preferredID picks a group's finding ID: the CVE when there is one (the lowest if several),
// else the lowest record id. The other identifiers become aliases, sorted.
func preferredID(group []hit) (string, []string) {
	all := map[string]bool{}
	var records []string
	for _, h := range group {
		records = append(records, h.vuln.ID)
		for _, id := range identifiers(h) {
			if id != "" {
				all[id] = true
			}
		}
	}
	ids := make([]string, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	slices.Sort(records)
	id := records[0]
	for _, c := range ids {
		if strings.HasPrefix(c, "CVE-") {
			id = c
			break
		}
	}
	aliases := slices.DeleteFunc(ids, func(s string) bool { return s == id })
	if len(aliases) == 0 {
		aliases = nil
	}
	return id, aliases
}

// toFinding builds the finding for one package and one group of records. It fails only when the
// source fails.
func (m *Matcher) toFinding(ctx context.Context, q *query, group []hit, cves cveCache) (finding.Finding, []string, error) {
	p := q.pkg
	id, aliases := preferredID(group)
	out := newOutside(ctx, m.src, cves, group)
	sev, source, cvss, warnings, err := severity(q, group, out)
	if err != nil {
		return finding.Finding{}, nil, err
	}
	for i := range warnings {
		warnings[i] = fmt.Sprintf("%s %s %s: %s", p.Type, p.Name, p.Version, warnings[i])
	}
	f := finding.Finding{
		Kind:     finding.KindVulnerability,
		ID:       id,
		Aliases:  aliases,
		Severity: sev,
		Package: &finding.Package{
			Ecosystem: q.ecosystem, Name: p.Name, Version: p.Version, PURL: p.PURL, Source: p.SourceName,
		},
		Location: finding.Location{Layer: p.Layer, Path: p.Location()},
		CVSS:     cvss,
		Extra:    map[string]string{},
	}
	if source != "" {
		f.Extra["severity_source"] = source
	}
	// OSV "MAL-" records are malicious packages, not vulnerabilities: any version is malware.
	if strings.HasPrefix(id, "MAL-") || slices.ContainsFunc(aliases, func(a string) bool { return strings.HasPrefix(a, "MAL-") }) {
		f.Kind = finding.KindMalware
		if f.Severity.Rank() == 0 {
			f.Severity = finding.SeverityCritical
		}
	}
	var records []string
	seenRef := map[string]bool{}
	for _, h := range group {
		records = append(records, h.vuln.ID)
		if f.Title == "" {
			f.Title = h.vuln.Summary
		}
		for _, r := range h.vuln.References {
			if r.URL != "" && !seenRef[r.URL] {
				seenRef[r.URL] = true
				f.References = append(f.References, r.URL)
			}
		}
		// Fixes may disagree between databases: the lowest one known is the first worth trying.
		if h.fixed != "" && (f.FixedVersion == nil || lower(orderFor(h.affected[0], q.ecosystem), h.fixed, *f.FixedVersion)) {
			fx := h.fixed
			f.FixedVersion = &fx
		}
	}
	if f.Title == "" {
		// Debian's records have no summary: another record of the CVE, or NVD, may have one.
		if f.Title, err = out.title(); err != nil {
			return finding.Finding{}, nil, err
		}
	}
	slices.Sort(records)
	f.Extra["advisories"] = strings.Join(records, ",")
	f.Evidence = fmt.Sprintf("%s %s %s", p.Type, p.Name, p.Version)
	if q.name != p.Name || q.version != p.Version {
		f.Evidence += fmt.Sprintf(" (matched as %s %s)", q.name, q.version)
	}
	f.Evidence += fmt.Sprintf(" is in an affected range of %s", strings.Join(records, ", "))
	if f.FixedVersion != nil {
		if p.Type.IsOS() && q.name != p.Name {
			f.Remediation = fmt.Sprintf("upgrade the packages built from %s to %s or later", q.name, *f.FixedVersion)
		} else {
			f.Remediation = fmt.Sprintf("upgrade %s to %s or later", p.Name, *f.FixedVersion)
		}
	}
	if p.Type == inventory.TypeGo {
		f.Extra["symbol"] = symbolPresence(group, p.Symbols, p.GoPlatform)
	}
	m.joinExploitData(&f, group)
	if len(f.Extra) == 0 {
		f.Extra = nil
	}
	return f, warnings, nil
}

// joinExploitData sets KEV and EPSS from every CVE the group's records name.
func (m *Matcher) joinExploitData(f *finding.Finding, group []hit) {
	seen := map[string]bool{}
	for _, h := range group {
		for _, cve := range h.vuln.CVEs() {
			if seen[cve] {
				continue
			}
			seen[cve] = true
			if m.opts.KEV != nil && m.opts.KEV(cve) {
				f.KEV = true
			}
			if m.opts.EPSS != nil {
				if e, ok := m.opts.EPSS(cve); ok && (f.EPSS == nil || e > *f.EPSS) {
					f.EPSS = &e
				}
			}
		}
	}
}

// Symbol presence values for Extra["symbol"].
const (
	SymbolPresent = "present"
	SymbolAbsent  = "absent"
	SymbolUnknown = "unknown"
)

// symbolPresence tells whether a Go binary built for platform links any symbol the group's
// records name in ecosystem_specific.imports; imports limited to other platforms do not count.
// It is unknown when the records list no symbols, when an import lists none (the whole package
// is affected), or when the binary's symbol table was not read.
func symbolPresence(group []hit, have []string, platform string) string {
	if len(have) == 0 {
		return SymbolUnknown
	}
	informed, undecided := false, false
	for _, h := range group {
		for _, a := range h.affected {
			// Entries without import data (GitHub's copy of a Go advisory, say) say nothing
			// either way; the Go database's entry decides.
			es, ok := goSpecific(a)
			if !ok {
				continue
			}
			for _, imp := range es.Imports {
				if !imp.on(platform) {
					continue
				}
				if len(imp.Symbols) == 0 {
					// The whole package is affected; whether it is linked is not said here.
					undecided = true
				}
				informed = true
				for _, s := range imp.Symbols {
					if slices.Contains(have, imp.Path+"."+s) {
						return SymbolPresent
					}
				}
			}
		}
	}
	if !informed || undecided {
		return SymbolUnknown
	}
	return SymbolAbsent
}

// goEcosystemSpecific is the part of a Go advisory's ecosystem_specific the matcher reads.
type goEcosystemSpecific struct {
	Imports []goImport `json:"imports"`
}

// goImport is one vulnerable package of a Go advisory entry.
type goImport struct {
	Path    string   `json:"path"`
	GOOS    []string `json:"goos"`
	GOARCH  []string `json:"goarch"`
	Symbols []string `json:"symbols"`
}

// on reports whether the import concerns binaries built for platform ("linux/amd64"): yes when
// its GOOS and GOARCH lists are empty or name the platform's, or when the platform is unknown.
func (imp goImport) on(platform string) bool {
	goos, goarch, ok := strings.Cut(platform, "/")
	if !ok {
		return true
	}
	return (len(imp.GOOS) == 0 || slices.Contains(imp.GOOS, goos)) &&
		(len(imp.GOARCH) == 0 || slices.Contains(imp.GOARCH, goarch))
}

// goSpecific decodes an entry's ecosystem_specific; ok is false when it has none or it does
// not parse.
func goSpecific(a *osv.Affected) (es goEcosystemSpecific, ok bool) {
	if len(a.EcosystemSpecific) == 0 || json.Unmarshal(a.EcosystemSpecific, &es) != nil {
		return es, false
	}
	return es, true
}

// onPlatform reports whether a Go advisory entry can affect a binary built for platform. An
// entry whose imports are all limited to other platforms (a Windows-only bug in
// golang.org/x/sys/windows, say) does not: the vulnerable code is not compiled into the binary.
// An entry without import data, or a binary of unknown platform, is kept.
func onPlatform(a *osv.Affected, platform string) bool {
	es, ok := goSpecific(a)
	if !ok || len(es.Imports) == 0 || platform == "" {
		return true
	}
	return slices.ContainsFunc(es.Imports, func(imp goImport) bool { return imp.on(platform) })
}
