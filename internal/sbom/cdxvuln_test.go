package sbom

import (
	"slices"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
)

// testdata/vulns.report.json is a real scan's report of the test app image (`rampart image -f
// json` of the fixture archive, bundled data), cut down to five packages and their findings, with
// KEV and EPSS set on CVE-2023-45288 and a VEX under_investigation status on CVE-2025-22870 by
// hand (the bundled data has no EPSS and neither is known exploited).

func TestCycloneDXVulnerabilities(t *testing.T) {
	r := loadReport(t, "testdata/vulns.report.json")
	// A finding that is not an advisory's is not a CycloneDX vulnerability.
	r.Findings = append(r.Findings, finding.Finding{Kind: finding.KindSecret, ID: "aws-access-key", Severity: finding.SeverityHigh, Location: finding.Location{Path: "app/.env", Line: 3}})
	doc := encode(t, FormatCycloneDXJSON, r)
	if err := validate(t, FormatCycloneDXJSON, doc); err != nil {
		t.Fatalf("BOM with vulnerabilities does not validate:\n%v", err)
	}
	bom := decodeCycloneDX(t, doc)
	if bom.Vulnerabilities == nil {
		t.Fatal("no vulnerabilities in the BOM")
	}
	vulns := *bom.Vulnerabilities
	var advisoryFindings int
	for _, f := range r.Findings {
		if f.Kind == finding.KindVulnerability {
			advisoryFindings++
		}
	}
	if len(vulns) != advisoryFindings {
		t.Fatalf("%d vulnerabilities, want one per vulnerability finding (%d)", len(vulns), advisoryFindings)
	}

	refs := map[string]cdx.Component{}
	for _, c := range *bom.Components {
		refs[c.BOMRef] = c
	}
	seenRefs := map[string]bool{}
	for _, v := range vulns {
		if v.BOMRef == "" || seenRefs[v.BOMRef] {
			t.Errorf("%s: bom-ref %q empty or not unique", v.ID, v.BOMRef)
		}
		seenRefs[v.BOMRef] = true
		if v.Affects == nil || len(*v.Affects) != 1 {
			t.Fatalf("%s: affects %v, want the one component", v.ID, v.Affects)
		}
		a := (*v.Affects)[0]
		c, ok := refs[a.Ref]
		if !ok {
			t.Errorf("%s: affects %q, which is no component's bom-ref", v.ID, a.Ref)
			continue
		}
		if a.Range == nil || (*a.Range)[0].Version != c.Version || (*a.Range)[0].Status != cdx.VulnerabilityStatusAffected {
			t.Errorf("%s: affected versions %v, want %s affected first", v.ID, a.Range, c.Version)
		}
		if v.Ratings == nil || len(*v.Ratings) == 0 {
			t.Errorf("%s: no ratings", v.ID)
		}
	}

	byKey := map[string]cdx.Vulnerability{}
	for _, v := range vulns {
		byKey[v.ID+" "+refs[(*v.Affects)[0].Ref].Name] = v
	}

	// lodash is at two paths: two components, two vulnerabilities, each affecting its own.
	l1, l2 := byKey["NSWG-ECO-516 lodash"], slices.IndexFunc(vulns, func(v cdx.Vulnerability) bool {
		return v.ID == "NSWG-ECO-516" && (*v.Affects)[0].Ref != (*byKey["NSWG-ECO-516 lodash"].Affects)[0].Ref
	})
	if l2 < 0 {
		t.Error("the second copy of lodash has no vulnerability of its own")
	}
	wantRating := []cdx.VulnerabilityRating{{Score: ptr(6.3), Severity: cdx.SeverityMedium, Method: cdx.ScoringMethodCVSSv3, Vector: "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L"}}
	if diff := cmp.Diff(wantRating, *l1.Ratings); diff != "" {
		t.Errorf("lodash ratings (-want +got):\n%s", diff)
	}
	if l1.Description != "Allocation of Resources Without Limits or Throttling" || !strings.Contains(l1.Recommendation, "4.17.19") {
		t.Errorf("lodash: description %q, recommendation %q", l1.Description, l1.Recommendation)
	}
	if r := *(*l1.Affects)[0].Range; len(r) != 2 || r[1] != (cdx.AffectedVersions{Version: "4.17.19", Status: cdx.VulnerabilityStatusNotAffected}) {
		t.Errorf("lodash affected versions %v, want the fixed version unaffected", r)
	}
	if l1.Advisories == nil || (*l1.Advisories)[0].URL != "https://hackerone.com/reports/712065" {
		t.Errorf("lodash advisories %v", l1.Advisories)
	}

	// A Debian CVE in two binary packages of one source: each its own; no CVSS, so the severity
	// the report gives, UNKNOWN; NVD is the CVE's source.
	for _, name := range []string{"libssl3", "openssl"} {
		v, ok := byKey["CVE-2026-35189 "+name]
		if !ok {
			t.Errorf("no CVE-2026-35189 for %s", name)
			continue
		}
		if diff := cmp.Diff([]cdx.VulnerabilityRating{{Severity: cdx.SeverityUnknown, Method: cdx.ScoringMethodOther}}, *v.Ratings); diff != "" {
			t.Errorf("%s ratings (-want +got):\n%s", name, diff)
		}
		if v.Source == nil || v.Source.Name != "NVD" || v.Source.URL != "https://nvd.nist.gov/vuln/detail/CVE-2026-35189" {
			t.Errorf("%s: source %v", name, v.Source)
		}
		if v.References == nil || !slices.ContainsFunc(*v.References, func(x cdx.VulnerabilityReference) bool { return x.ID == "DEBIAN-CVE-2026-35189" }) {
			t.Errorf("%s: references %v lack the Debian advisory", name, v.References)
		}
	}

	// Aliases are references with their own sources; KEV and EPSS are properties.
	kev := byKey["CVE-2023-45288 stdlib"]
	var aliases []string
	for _, x := range *kev.References {
		aliases = append(aliases, x.ID+" "+x.Source.Name)
	}
	if diff := cmp.Diff([]string{"GHSA-4v7x-pqxf-cx7m GitHub Advisory Database", "GO-2024-2687 Go Vulnerability Database"}, aliases); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	if p := propMap(kev.Properties); !slices.Equal(p["rampart:vulnerability:kev"], []string{"true"}) || !slices.Equal(p["rampart:vulnerability:epss"], []string{"0.42"}) ||
		len(p["rampart:finding:fingerprint"]) != 1 {
		t.Errorf("properties %v, want kev, epss and the fingerprint", p)
	}
	if kev.Analysis != nil {
		t.Errorf("analysis %v without a VEX statement", kev.Analysis)
	}

	// A VEX statement that keeps the finding says so in the analysis.
	if v := byKey["CVE-2025-22870 stdlib"]; v.Analysis == nil || v.Analysis.State != cdx.IASInTriage {
		t.Errorf("under_investigation: analysis %v, want in_triage", v.Analysis)
	}

	// SPDX stays an inventory.
	if strings.Contains(string(encode(t, FormatSPDXJSON, r)), "CVE-2023-45288") {
		t.Error("the SPDX document names a vulnerability")
	}
}

func ptr[T any](v T) *T { return &v }

// A report without findings (an SBOM) has no vulnerabilities array at all.
func TestCycloneDXNoVulnerabilities(t *testing.T) {
	if strings.Contains(string(encode(t, FormatCycloneDXJSON, loadReport(t, "testdata/report.json"))), `"vulnerabilities"`) {
		t.Error("a report without findings has a vulnerabilities array")
	}
}

func TestCycloneDXVulnerabilitiesGolden(t *testing.T) {
	checkGolden(t, "testdata/vulns.cdx.golden.json", encode(t, FormatCycloneDXJSON, loadReport(t, "testdata/vulns.report.json")))
}
