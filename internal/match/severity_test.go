package match

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/osv"
	"github.com/rampartsec/rampart/internal/vulndb"
)

// cveSource is a memSource that also answers CVEData's questions, as *vulndb.DB does.
type cveSource struct {
	memSource
	nvd     map[string]vulndb.NVDEntry
	failing bool
}

func (s *cveSource) ByID(ctx context.Context, id string) (*osv.Vulnerability, error) {
	for _, v := range s.recs {
		if v.ID == id {
			return v, nil
		}
	}
	return nil, fmt.Errorf("record %s: %w", id, vulndb.ErrNotFound)
}

func (s *cveSource) ByAlias(ctx context.Context, alias string) ([]*osv.Vulnerability, error) {
	if s.failing {
		return nil, vulndb.ErrCorrupt
	}
	var out []*osv.Vulnerability
	for _, v := range s.recs {
		if v.ID != alias && (slices.Contains(v.Aliases, alias) || slices.Contains(v.Upstream, alias)) {
			out = append(out, v)
		}
	}
	return out, nil
}

func (s *cveSource) NVD(cve string) (vulndb.NVDEntry, bool) {
	e, ok := s.nvd[cve]
	return e, ok
}

func parseRecords(t *testing.T, js ...string) []*osv.Vulnerability {
	t.Helper()
	var out []*osv.Vulnerability
	for _, j := range js {
		v, err := osv.Parse([]byte(j))
		if err != nil {
			t.Fatalf("%s: %v", j, err)
		}
		out = append(out, v)
	}
	return out
}

// debianRecord is a Debian record of the bundled data's shape: the CVE only as upstream, no
// summary, no severity; extra is spliced into the record, entry into its affected entry.
func debianRecord(cve, pkg, fixed, extra, entry string) string {
	return `{"id":"DEBIAN-` + cve + `","modified":"2024-01-01T00:00:00Z","upstream":["` + cve + `"]` + extra +
		`,"affected":[{"package":{"ecosystem":"Debian:12","name":"` + pkg + `"}` + entry +
		`,"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"` + fixed + `"}]}]}]}`
}

// NVD entries as internal/vulndb reads them from NVD's feeds (internal/vulndb/testdata/nvd holds
// the real ones). CVE-2019-5482's is altered to test the order of sources: NVD's own CVSS 2.0 and
// a CNA's CVSS 3.1 of 9.4 (NVD's real entry has NVD's CVSS 3.1 too).
var testNVD = map[string]vulndb.NVDEntry{
	"CVE-2023-0464": {CVE: "CVE-2023-0464", Title: "A security vulnerability has been identified in all supported versions of OpenSSL related to the verification of X.509 certificate chains that include policy constraints.",
		Metrics: []vulndb.NVDMetric{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5, Source: "nvd@nist.gov", Primary: true}}},
	"CVE-2024-8088": {CVE: "CVE-2024-8088", Title: `There is a HIGH severity vulnerability affecting the CPython "zipfile" module affecting "zipfile.Path".`,
		Metrics: []vulndb.NVDMetric{{Version: "4.0", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:N/AU:N/R:U/V:X/RE:L/U:X", Score: 8.7, Source: "cna@python.org"}}},
	"CVE-2019-5482": {CVE: "CVE-2019-5482", Title: "Heap buffer overflow in the TFTP protocol handler in cURL 7.19.4 to 7.65.3.",
		Metrics: []vulndb.NVDMetric{
			{Version: "2.0", Vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P", Score: 7.5, Source: "nvd@nist.gov", Primary: true},
			{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:L", Score: 9.4, Source: "134c704f-9b21-4f2e-91b3-4a467353bcc0"},
		}},
	"CVE-2025-14819": {CVE: "CVE-2025-14819", Title: "When doing TLS related transfers with reused easy or multi handles and altering the `CURLSSLOPT_NO_PARTIALCHAIN` option, libcurl could accidentally reuse a CA store cached in memory for which the…"},
}

// sevRow is what these tests check of a finding.
type sevRow struct {
	ID       string
	Severity finding.Severity
	Source   string
	Title    string
	CVSS     []finding.CVSS
}

func TestSeveritySources(t *testing.T) {
	ghsa0464 := `{"id":"GHSA-test-0464-aaaa","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2023-0464"],"summary":"openssl-src: excessive resource use verifying policy constraints",` +
		`"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}],"affected":[{"package":{"ecosystem":"crates.io","name":"openssl-src"}}]}`
	twoCVEs := `{"id":"GO-2099-0464","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2023-0464","CVE-2023-0465"],"summary":"two at once",` +
		`"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"Go","name":"example.com/x"}}]}`
	ghsaStated := `{"id":"GHSA-test-5482-bbbb","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2019-5482"],"database_specific":{"severity":"MODERATE"},"affected":[{"package":{"ecosystem":"PyPI","name":"pycurl"}}]}`
	v31 := finding.CVSS{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}
	tests := []struct {
		name string
		recs []string
		nvd  bool
		pkg  inventory.Package
		want sevRow
	}{
		{
			name: "no severity anywhere: UNKNOWN, no source",
			recs: []string{debianRecord("CVE-2023-0464", "openssl", "3.0.9-1", "", "")},
			want: sevRow{ID: "CVE-2023-0464", Severity: finding.SeverityUnknown},
		},
		{
			name: "another record of the CVE has a vector",
			recs: []string{debianRecord("CVE-2023-0464", "openssl", "3.0.9-1", "", ""), ghsa0464},
			want: sevRow{ID: "CVE-2023-0464", Severity: finding.SeverityMedium, Source: "CVSS 3.1 (GHSA-test-0464-aaaa via CVE-2023-0464)",
				Title: "openssl-src: excessive resource use verifying policy constraints",
				CVSS:  []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", Score: 5.3}}},
		},
		{
			name: "another record of the CVE before NVD",
			recs: []string{debianRecord("CVE-2023-0464", "openssl", "3.0.9-1", "", ""), ghsa0464},
			nvd:  true,
			want: sevRow{ID: "CVE-2023-0464", Severity: finding.SeverityMedium, Source: "CVSS 3.1 (GHSA-test-0464-aaaa via CVE-2023-0464)",
				Title: "openssl-src: excessive resource use verifying policy constraints",
				CVSS:  []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", Score: 5.3}}},
		},
		{
			name: "a record naming two CVEs does not rate either; NVD does",
			recs: []string{debianRecord("CVE-2023-0464", "openssl", "3.0.9-1", "", ""), twoCVEs},
			nvd:  true,
			want: sevRow{ID: "CVE-2023-0464", Severity: finding.SeverityHigh, Source: "CVSS 3.1 (nvd: CVE-2023-0464)", Title: testNVD["CVE-2023-0464"].Title,
				CVSS: []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5}}},
		},
		{
			name: "NVD: a CNA's CVSS 4.0 where NVD scored nothing",
			recs: []string{debianRecord("CVE-2024-8088", "python3.11", "3.11.10-1", "", "")},
			pkg:  inventory.Package{Type: inventory.TypeDpkg, Name: "python3.11", Version: "3.11.2-6", Ecosystem: "Debian:12"},
			nvd:  true,
			want: sevRow{ID: "CVE-2024-8088", Severity: finding.SeverityHigh, Source: "CVSS 4.0 (nvd: CVE-2024-8088, scored by cna@python.org)", Title: testNVD["CVE-2024-8088"].Title,
				CVSS: []finding.CVSS{{Version: "4.0", Vector: testNVD["CVE-2024-8088"].Metrics[0].Vector, Score: 8.7}}},
		},
		{
			name: "NVD: a CNA's CVSS 3.1 before NVD's own CVSS 2.0",
			recs: []string{debianRecord("CVE-2019-5482", "curl", "7.66.0-1", "", "")},
			pkg:  inventory.Package{Type: inventory.TypeDpkg, Name: "curl", Version: "7.64.0-4", Ecosystem: "Debian:12"},
			nvd:  true,
			want: sevRow{ID: "CVE-2019-5482", Severity: finding.SeverityCritical, Source: "CVSS 3.1 (nvd: CVE-2019-5482, scored by 134c704f-9b21-4f2e-91b3-4a467353bcc0)", Title: testNVD["CVE-2019-5482"].Title,
				CVSS: []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:L", Score: 9.4}}},
		},
		{
			name: "another record's stated rating before NVD",
			recs: []string{debianRecord("CVE-2019-5482", "curl", "7.66.0-1", "", ""), ghsaStated},
			pkg:  inventory.Package{Type: inventory.TypeDpkg, Name: "curl", Version: "7.64.0-4", Ecosystem: "Debian:12"},
			nvd:  true,
			want: sevRow{ID: "CVE-2019-5482", Severity: finding.SeverityMedium, Source: "database_specific.severity (GHSA-test-5482-bbbb via CVE-2019-5482)", Title: testNVD["CVE-2019-5482"].Title},
		},
		{
			name: "not scored yet: UNKNOWN, with NVD's title",
			recs: []string{debianRecord("CVE-2025-14819", "curl", "8.18.0-1", "", "")},
			pkg:  inventory.Package{Type: inventory.TypeDpkg, Name: "curl", Version: "7.88.1-10+deb12u5", Ecosystem: "Debian:12"},
			nvd:  true,
			want: sevRow{ID: "CVE-2025-14819", Severity: finding.SeverityUnknown, Title: testNVD["CVE-2025-14819"].Title},
		},
		{
			name: "Debian's urgency before a CVSS vector",
			recs: []string{debianRecord("CVE-2023-0464", "openssl", "3.0.9-1", `,"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]`, `,"ecosystem_specific":{"urgency":"low"}`)},
			want: sevRow{ID: "CVE-2023-0464", Severity: finding.SeverityLow, Source: "Debian urgency low (DEBIAN-CVE-2023-0464)", CVSS: []finding.CVSS{v31}},
		},
		{
			name: "Debian's urgency not yet assigned: the record's vector, and where it came from",
			recs: []string{debianRecord("CVE-2023-0464", "openssl", "3.0.9-1", `,"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"database_specific":{"severity_source":"bitnami/vulndb","severity_source_cve":"CVE-2023-0464"}`, `,"ecosystem_specific":{"urgency":"not yet assigned"}`)},
			want: sevRow{ID: "CVE-2023-0464", Severity: finding.SeverityCritical, Source: "CVSS 3.1 (DEBIAN-CVE-2023-0464; vector from bitnami/vulndb)", CVSS: []finding.CVSS{v31}},
		},
		{
			name: "Debian's unimportant is LOW",
			recs: []string{debianRecord("CVE-2023-0464", "openssl", "3.0.9-1", "", `,"ecosystem_specific":{"urgency":"unimportant"}`)},
			nvd:  true,
			want: sevRow{ID: "CVE-2023-0464", Severity: finding.SeverityLow, Source: "Debian urgency unimportant (DEBIAN-CVE-2023-0464)", Title: testNVD["CVE-2023-0464"].Title},
		},
		{
			name: "Ubuntu's priority",
			recs: []string{`{"id":"UBUNTU-CVE-2023-0464","modified":"2024-01-01T00:00:00Z","upstream":["CVE-2023-0464"],"summary":"openssl vulnerability","severity":[{"type":"Ubuntu","score":"medium"},{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],` +
				`"affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.2-0ubuntu1.9"}]}]}]}`},
			pkg: inventory.Package{Type: inventory.TypeDpkg, Name: "openssl", Version: "3.0.2-0ubuntu1.8", Ecosystem: "Ubuntu:22.04"},
			want: sevRow{ID: "CVE-2023-0464", Severity: finding.SeverityMedium, Source: "Ubuntu priority medium (UBUNTU-CVE-2023-0464)", Title: "openssl vulnerability",
				CVSS: []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5}}},
		},
		{
			name: "a record's own CVSS 2.0 vector, when nothing newer is known",
			recs: []string{debianRecord("CVE-2006-4334", "gzip", "1.3.5-15", `,"severity":[{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:N/I:N/A:P"}]`, "")},
			pkg:  inventory.Package{Type: inventory.TypeDpkg, Name: "gzip", Version: "1.3.5-10", Ecosystem: "Debian:12"},
			want: sevRow{ID: "CVE-2006-4334", Severity: finding.SeverityMedium, Source: "CVSS 2.0 (DEBIAN-CVE-2006-4334)",
				CVSS: []finding.CVSS{{Version: "2.0", Vector: "AV:N/AC:L/Au:N/C:N/I:N/A:P", Score: 5}}},
		},
		{
			name: "a stated base score (RubySec's)",
			recs: []string{`{"id":"GHSA-test-rack-cccc","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2024-25126"],"summary":"Denial of Service Vulnerability in Rack Content-Type Parsing","database_specific":{"cvss_v3_score":5.3},` +
				`"affected":[{"package":{"ecosystem":"RubyGems","name":"rack"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.2.8.1"}]}]}]}`},
			pkg:  inventory.Package{Type: inventory.TypeGem, Name: "rack", Version: "2.2.8", Ecosystem: "RubyGems"},
			want: sevRow{ID: "CVE-2024-25126", Severity: finding.SeverityMedium, Source: "database_specific.cvss_v3_score 5.3 (GHSA-test-rack-cccc)", Title: "Denial of Service Vulnerability in Rack Content-Type Parsing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &cveSource{memSource: memSource{recs: parseRecords(t, tt.recs...)}}
			if tt.nvd {
				src.nvd = testNVD
			}
			pkg := tt.pkg
			if pkg.Name == "" {
				pkg = inventory.Package{Type: inventory.TypeDpkg, Name: "openssl", Version: "3.0.8-1", Ecosystem: "Debian:12"}
			}
			fs, warnings, err := New(src, Options{}).Match(context.Background(), &inventory.Inventory{Packages: []inventory.Package{pkg}})
			if err != nil || len(fs) != 1 {
				t.Fatalf("Match() = %d findings, %v, %v", len(fs), warnings, err)
			}
			f := fs[0]
			got := sevRow{ID: f.ID, Severity: f.Severity, Source: f.Extra["severity_source"], Title: f.Title, CVSS: f.CVSS}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSeveritySourceFails: a source that fails looking up other records fails the match.
func TestSeveritySourceFails(t *testing.T) {
	src := &cveSource{memSource: memSource{recs: parseRecords(t, debianRecord("CVE-2023-0464", "openssl", "3.0.9-1", "", ""))}, failing: true}
	inv := &inventory.Inventory{Packages: []inventory.Package{{Type: inventory.TypeDpkg, Name: "openssl", Version: "3.0.8-1", Ecosystem: "Debian:12"}}}
	if _, _, err := New(src, Options{}).Match(context.Background(), inv); !errors.Is(err, vulndb.ErrCorrupt) {
		t.Errorf("Match() error = %v, want the source's", err)
	}
}

func TestScoreVector(t *testing.T) {
	for _, tt := range []struct {
		vector, version string
		score           float64
		sev             finding.Severity
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.1", 9.8, finding.SeverityCritical},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", "3.0", 0, finding.SeverityUnknown},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", "4.0", 8.7, finding.SeverityHigh},
		{"AV:N/AC:L/Au:N/C:C/I:C/A:C", "2.0", 10, finding.SeverityHigh}, // v2 has no CRITICAL
		{"(AV:L/AC:H/Au:N/C:N/I:P/A:N)", "2.0", 1.2, finding.SeverityLow},
	} {
		ver, score, sev, err := scoreVector(tt.vector)
		if err != nil || ver != tt.version || score != tt.score || sev != tt.sev {
			t.Errorf("scoreVector(%q) = %s %v %s %v, want %s %v %s", tt.vector, ver, score, sev, err, tt.version, tt.score, tt.sev)
		}
	}
	for _, bad := range []string{"CVSS:2.0/AV:N", "CVSS:3.1/AV:X", "garbage", ""} {
		if _, _, _, err := scoreVector(bad); err == nil {
			t.Errorf("scoreVector(%q) scored", bad)
		}
	}
}
