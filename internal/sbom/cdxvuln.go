package sbom

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/result"
)

// Properties of a CycloneDX vulnerability (see docs/formats.md). A contract, as the others.
const (
	propVulnKEV         = "rampart:vulnerability:kev"
	propVulnEPSS        = "rampart:vulnerability:epss"
	propVulnSymbol      = "rampart:vulnerability:symbol"
	propVulnSevSource   = "rampart:vulnerability:severity_source"
	propFingerprint     = "rampart:finding:fingerprint"
	extraVEXStatus      = "vex_status" // finding.Extra key the scan filter sets (package scan)
	extraAdvisories     = "advisories"
	extraSymbol         = "symbol"
	extraSeveritySource = "severity_source"
)

// componentRefs finds the bom-ref of the component a finding is about: the package at the
// finding's location with its name and version, and its purl when several share those (the
// architectures of a multi-arch package). An OS package whose report had no purl gets one in the
// BOM; its findings have none, and take the first candidate.
type componentRefs map[string][]pkgRef

type pkgRef struct{ purl, ref string }

func pkgKey(location, name, version string) string {
	return location + "\x00" + name + "\x00" + version
}

func (c componentRefs) add(p *inventory.Package, ref string) {
	k := pkgKey(p.Location(), p.Name, p.Version)
	c[k] = append(c[k], pkgRef{purl: p.PURL, ref: ref})
}

func (c componentRefs) of(f *finding.Finding) (string, bool) {
	cands := c[pkgKey(f.Location.Path, f.Package.Name, f.Package.Version)]
	for _, x := range cands {
		if x.purl == f.Package.PURL {
			return x.ref, true
		}
	}
	if len(cands) > 0 {
		return cands[0].ref, true
	}
	return "", false
}

// isAdvisoryFinding reports whether f comes from a vulnerability database record about a
// package: a vulnerability, or a malicious-package (OSV MAL-) record.
func isAdvisoryFinding(f *finding.Finding) bool {
	return f.Package != nil && (f.Kind == finding.KindVulnerability || f.Kind == finding.KindMalware)
}

// cdxVulnerabilities maps the report's advisory findings onto CycloneDX vulnerabilities, one per
// finding (an advisory in one package at one path), as Grype does: each keeps its own fixed
// version, VEX state and fingerprint. fallback is the bom-ref affected when a finding's package is
// not in the report. Nil when there are none.
func cdxVulnerabilities(r *result.Report, refs componentRefs, fallback string, used ids) *[]cdx.Vulnerability {
	var out []cdx.Vulnerability
	for i := range r.Findings {
		f := &r.Findings[i]
		if !isAdvisoryFinding(f) {
			continue
		}
		ref, ok := refs.of(f)
		if !ok {
			ref = fallback
		}
		out = append(out, cdxVulnerability(f, ref))
	}
	if len(out) == 0 {
		return nil
	}
	// The report's order is by severity; the BOM's must not depend on it.
	slices.SortStableFunc(out, func(a, b cdx.Vulnerability) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare((*a.Affects)[0].Ref, (*b.Affects)[0].Ref), cmp.Compare(a.BOMRef, b.BOMRef))
	})
	for i := range out {
		out[i].BOMRef = used.take(out[i].BOMRef)
	}
	return &out
}

func cdxVulnerability(f *finding.Finding, ref string) cdx.Vulnerability {
	v := cdx.Vulnerability{
		BOMRef:      "rampart:finding:" + cmp.Or(f.Fingerprint, f.ID),
		ID:          f.ID,
		Source:      advisorySource(f.ID),
		Ratings:     cdxRatings(f),
		Description: f.Title,
	}
	var others []cdx.VulnerabilityReference
	seen := map[string]bool{f.ID: true}
	records := strings.Split(f.Extra[extraAdvisories], ",")
	for _, id := range append(slices.Clone(f.Aliases), records...) {
		if id = strings.TrimSpace(id); id == "" || seen[id] {
			continue
		}
		seen[id] = true
		others = append(others, cdx.VulnerabilityReference{ID: id, Source: advisorySource(id)})
	}
	slices.SortFunc(others, func(a, b cdx.VulnerabilityReference) int { return cmp.Compare(a.ID, b.ID) })
	if len(others) > 0 {
		v.References = &others
	}
	var advisories []cdx.Advisory
	for _, u := range f.References {
		if isURL(u) {
			advisories = append(advisories, cdx.Advisory{URL: u})
		}
	}
	if len(advisories) > 0 {
		v.Advisories = &advisories
	}
	versions := []cdx.AffectedVersions{{Version: f.Package.Version, Status: cdx.VulnerabilityStatusAffected}}
	if f.FixedVersion != nil {
		v.Recommendation = cmp.Or(f.Remediation, "Upgrade "+f.Package.Name+" to version "+*f.FixedVersion)
		versions = append(versions, cdx.AffectedVersions{Version: *f.FixedVersion, Status: cdx.VulnerabilityStatusNotAffected})
	}
	v.Affects = &[]cdx.Affects{{Ref: ref, Range: &versions}}
	if state, ok := vexAnalysis[f.Extra[extraVEXStatus]]; ok {
		v.Analysis = &cdx.VulnerabilityAnalysis{State: state}
	}
	var fs facts
	fs.flag(propVulnKEV, f.KEV)
	if f.EPSS != nil {
		fs.add(propVulnEPSS, strconv.FormatFloat(*f.EPSS, 'f', -1, 64))
	}
	fs.add(propVulnSymbol, f.Extra[extraSymbol])
	fs.add(propVulnSevSource, f.Extra[extraSeveritySource])
	fs.add(propFingerprint, f.Fingerprint)
	v.Properties = cdxProps(fs)
	return v
}

// vexAnalysis maps the OpenVEX status of a statement that kept a finding to CycloneDX's
// impact-analysis state. not_affected and fixed suppress the finding: it is not in the report.
var vexAnalysis = map[string]cdx.ImpactAnalysisState{
	"affected":            cdx.IASExploitable,
	"under_investigation": cdx.IASInTriage,
	"not_affected":        cdx.IASNotAffected,
	"fixed":               cdx.IASResolved,
}

// cdxRatings gives one rating per scored CVSS vector, else the finding's severity as the report
// states it (from a database's own rating, or UNKNOWN).
func cdxRatings(f *finding.Finding) *[]cdx.VulnerabilityRating {
	var rs []cdx.VulnerabilityRating
	for _, c := range f.CVSS {
		score := c.Score
		rs = append(rs, cdx.VulnerabilityRating{Score: &score, Severity: cvssSeverity(c.Version, score), Method: cvssMethod(c.Version), Vector: c.Vector})
	}
	if len(rs) == 0 {
		rs = append(rs, cdx.VulnerabilityRating{Severity: cdx.Severity(strings.ToLower(string(cmp.Or(f.Severity, finding.SeverityUnknown)))), Method: cdx.ScoringMethodOther})
	}
	return &rs
}

func cvssMethod(version string) cdx.ScoringMethod {
	switch {
	case version == "3.1":
		return cdx.ScoringMethodCVSSv31
	case strings.HasPrefix(version, "3"):
		return cdx.ScoringMethodCVSSv3
	case strings.HasPrefix(version, "4"):
		return cdx.ScoringMethodCVSSv4
	case strings.HasPrefix(version, "2"):
		return cdx.ScoringMethodCVSSv2
	}
	return cdx.ScoringMethodOther
}

// cvssSeverity is the qualitative rating the CVSS specification of that version gives a score.
func cvssSeverity(version string, score float64) cdx.Severity {
	if strings.HasPrefix(version, "2") {
		switch {
		case score >= 7:
			return cdx.SeverityHigh
		case score >= 4:
			return cdx.SeverityMedium
		}
		return cdx.SeverityLow
	}
	switch {
	case score >= 9:
		return cdx.SeverityCritical
	case score >= 7:
		return cdx.SeverityHigh
	case score >= 4:
		return cdx.SeverityMedium
	case score > 0:
		return cdx.SeverityLow
	}
	return cdx.SeverityNone
}

// advisorySources are where an advisory ID of a known scheme is published.
var advisorySources = []struct{ prefix, name, url string }{
	{"CVE-", "NVD", "https://nvd.nist.gov/vuln/detail/"},
	{"GHSA-", "GitHub Advisory Database", "https://github.com/advisories/"},
	{"GO-", "Go Vulnerability Database", "https://pkg.go.dev/vuln/"},
	{"PYSEC-", "OSV", "https://osv.dev/vulnerability/"},
	{"RUSTSEC-", "OSV", "https://osv.dev/vulnerability/"},
	{"MAL-", "OSV", "https://osv.dev/vulnerability/"},
	{"DEBIAN-", "OSV", "https://osv.dev/vulnerability/"},
	{"DSA-", "OSV", "https://osv.dev/vulnerability/"},
	{"DLA-", "OSV", "https://osv.dev/vulnerability/"},
}

// advisorySource names the database an advisory ID belongs to; an ID of another scheme is an
// OSV record of the imported data, without a link.
func advisorySource(id string) *cdx.Source {
	for _, s := range advisorySources {
		if strings.HasPrefix(id, s.prefix) {
			return &cdx.Source{Name: s.name, URL: s.url + url.PathEscape(id)}
		}
	}
	return &cdx.Source{Name: "OSV"}
}

// isURL keeps what CycloneDX's iri-reference format takes: an absolute http(s) URL.
func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && !strings.ContainsAny(s, " \t\n\"<>\\^`{|}")
}
