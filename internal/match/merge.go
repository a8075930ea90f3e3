package match

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
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

// toFinding builds the finding for one package and one group of records.
func (m *Matcher) toFinding(q *query, group []hit) (finding.Finding, []string) {
	p := q.pkg
	id, aliases := preferredID(group)
	sev, source, cvss, warnings := severityOf(group)
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
		Location: finding.Location{Layer: p.Layer, Path: p.Path},
		CVSS:     cvss,
		Extra:    map[string]string{},
	}
	if source != "" {
		f.Extra["severity_source"] = source
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
		f.Extra["symbol"] = symbolPresence(group, p.Symbols)
	}
	m.joinExploitData(&f, group)
	if len(f.Extra) == 0 {
		f.Extra = nil
	}
	return f, warnings
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

// symbolPresence tells whether a Go binary links any symbol the group's records name in
// ecosystem_specific.imports. It is unknown when the records list no symbols, when an import
// lists none (the whole package is affected), or when the binary's symbol table was not read.
func symbolPresence(group []hit, have []string) string {
	if len(have) == 0 {
		return SymbolUnknown
	}
	informed, undecided := false, false
	for _, h := range group {
		for _, a := range h.affected {
			var es struct {
				Imports []struct {
					Path    string   `json:"path"`
					Symbols []string `json:"symbols"`
				} `json:"imports"`
			}
			// Entries without import data (GitHub's copy of a Go advisory, say) say nothing
			// either way; the Go database's entry decides.
			if len(a.EcosystemSpecific) == 0 || json.Unmarshal(a.EcosystemSpecific, &es) != nil {
				continue
			}
			for _, imp := range es.Imports {
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
