package vulndb

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The NVD fixtures (testdata/nvd) are NVD JSON 2.0 feeds holding real CVE entries as NVD
// publishes them (configurations and references shortened): CVE-2019-5482 in the 2019 feed as
// of 2023-11 and in the modified feed as of 2026-06, with a CNA's metric added; CVE-2021-29633,
// rejected; CVE-2023-0464 and CVE-2023-27534 (NVD's CVSS 3.1); CVE-2024-8088 (a CNA's CVSS 4.0
// only) and CVE-2025-14819 (not scored yet) in the modified feed.
var nvdFixtures = []string{
	"testdata/nvd/nvdcve-2.0-2019.json.gz",
	"testdata/nvd/nvdcve-2.0-2021.json.gz",
	"testdata/nvd/nvdcve-2.0-2023.json.gz",
	"testdata/nvd/nvdcve-2.0-modified.json.gz",
}

var quietImport = ImportOptions{Logger: slog.New(slog.DiscardHandler)}

// checkNVD checks what a database built from the Debian export and the NVD fixtures holds.
func checkNVD(t *testing.T, dir string) {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, ok := db.NVD("CVE-2023-0464")
	want := NVDEntry{
		CVE: "CVE-2023-0464", Modified: time.Date(2023, 11, 9, 13, 15, 7, 340e6, time.UTC), Feed: "nvdcve-2.0-2023.json.gz",
		Title:   "A security vulnerability has been identified in all supported versions of OpenSSL related to the verification of X.509 certificate chains that include policy constraints.",
		Metrics: []NVDMetric{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5, Source: "nvd@nist.gov", Primary: true}},
	}
	if diff := cmp.Diff(want, e); !ok || diff != "" {
		t.Errorf("NVD(CVE-2023-0464) found %v (-want +got):\n%s", ok, diff)
	}
	// In two feeds: the entry modified last wins, whatever the order of the feeds.
	e, _ = db.NVD("CVE-2019-5482")
	wantMetrics := []NVDMetric{
		{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Source: "nvd@nist.gov", Primary: true},
		{Version: "2.0", Vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P", Score: 7.5, Source: "nvd@nist.gov", Primary: true},
		{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Source: "134c704f-9b21-4f2e-91b3-4a467353bcc0"},
	}
	if diff := cmp.Diff(wantMetrics, e.Metrics); diff != "" || e.Feed != "nvdcve-2.0-modified.json.gz" || e.Modified.Year() != 2026 {
		t.Errorf("CVE-2019-5482 from %s, modified %v; metrics (-want +got):\n%s", e.Feed, e.Modified, diff)
	}
	e, _ = db.NVD("CVE-2024-8088")
	if len(e.Metrics) != 1 || e.Metrics[0].Version != "4.0" || e.Metrics[0].Score != 8.7 || e.Metrics[0].Primary || e.Metrics[0].Source != "cna@python.org" {
		t.Errorf("CVE-2024-8088: %+v", e)
	}
	// Not scored yet: a title, no metrics.
	if e, ok := db.NVD("CVE-2025-14819"); !ok || len(e.Metrics) != 0 || e.Title == "" {
		t.Errorf("CVE-2025-14819: %v %+v", ok, e)
	}
	if _, ok := db.NVD("CVE-2021-29633"); ok {
		t.Error("a rejected CVE is kept")
	}
	st, err := db.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.NVD != 5 {
		t.Errorf("status: %d NVD entries, want 5", st.NVD)
	}
	got := map[string][3]int{}
	for _, s := range st.Sources {
		if s.Kind == "nvd" {
			got[s.Name] = [3]int{s.NVD, s.Withdrawn, s.Entries()}
			if s.Updated.Year() != 2026 || len(s.SHA256) != 64 {
				t.Errorf("%s: updated %v sha256 %q", s.Name, s.Updated, s.SHA256)
			}
		}
	}
	wantSources := map[string][3]int{
		"nvdcve-2.0-2019.json.gz": {1, 0, 1}, "nvdcve-2.0-2021.json.gz": {0, 1, 0},
		"nvdcve-2.0-2023.json.gz": {2, 0, 2}, "nvdcve-2.0-modified.json.gz": {3, 0, 3},
	}
	if diff := cmp.Diff(wantSources, got); diff != "" {
		t.Errorf("NVD sources: [cves withdrawn entries] (-want +got):\n%s", diff)
	}
}

func TestImportNVDFeeds(t *testing.T) {
	debian := filepath.Join(shippedDir, "Debian-all.zip")
	reversed := slices.Clone(nvdFixtures)
	slices.Reverse(reversed)
	for _, paths := range [][]string{
		append([]string{debian}, nvdFixtures...),
		append(slices.Clone(reversed), debian), // feeds first: read after the records anyway
	} {
		dir := t.TempDir()
		if _, err := Import(context.Background(), dir, paths, quietImport); err != nil {
			t.Fatal(err)
		}
		checkNVD(t, dir)
	}
}

// TestImportNVDDirectory: feeds in a directory, gzip-compressed or plain JSON (too big to be
// read as a record), are told by content whatever their names.
func TestImportNVDDirectory(t *testing.T) {
	src := t.TempDir()
	for i, p := range nvdFixtures {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(p)
		if i%2 == 1 {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
			name = name[:len(name)-len(".gz")]
		}
		if err := os.WriteFile(filepath.Join(src, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if _, err := Import(context.Background(), dir, []string{filepath.Join(shippedDir, "Debian-all.zip"), src}, quietImport); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, _ := db.Status()
	if st.NVD != 5 {
		t.Errorf("%d NVD entries, want 5; sources %+v", st.NVD, st.Sources)
	}
	if _, ok := db.NVD("CVE-2021-29633"); ok {
		t.Error("rejected CVE kept")
	}
}

// TestImportNVDOnlyNamedCVEs: the feeds keep only the CVEs the imported records name.
func TestImportNVDOnlyNamedCVEs(t *testing.T) {
	dir := t.TempDir()
	st, err := Import(context.Background(), dir, append([]string{filepath.Join(shippedDir, "npm-all.zip")}, nvdFixtures...), quietImport)
	if err != nil {
		t.Fatal(err)
	}
	if st.NVD != 0 {
		t.Errorf("%d NVD entries kept for npm records that name none of the fixture CVEs", st.NVD)
	}
	// Feeds alone would make an empty database: refused as such.
	if _, err := Import(context.Background(), t.TempDir(), nvdFixtures, quietImport); !errors.Is(err, ErrShrink) {
		t.Errorf("feeds alone: %v, want ErrShrink", err)
	}
}

func TestImportNVDDamaged(t *testing.T) {
	b, err := os.ReadFile(nvdFixtures[3])
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cut := filepath.Join(tmp, "nvdcve-2.0-modified.json.gz")
	os.WriteFile(cut, b[:len(b)*2/3], 0o644)
	plain := filepath.Join(tmp, "feed.json")
	os.WriteFile(plain, []byte(`{"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":{"id":"CVE-2024-1"}},{"cve":`), 0o644)
	for _, p := range []string{cut, plain} {
		_, err := Import(context.Background(), t.TempDir(), []string{filepath.Join(shippedDir, "npm-all.zip"), p}, quietImport)
		if !errors.Is(err, ErrInvalidSource) {
			t.Errorf("%s: %v, want ErrInvalidSource", p, err)
		}
	}
}

func TestNVDSources(t *testing.T) {
	got := NVDSources("https://mirror.example/nvd", 2004)
	want := []Source{
		{Name: "nvd-2002", URL: "https://mirror.example/nvd/nvdcve-2.0-2002.json.gz"},
		{Name: "nvd-2003", URL: "https://mirror.example/nvd/nvdcve-2.0-2003.json.gz"},
		{Name: "nvd-2004", URL: "https://mirror.example/nvd/nvdcve-2.0-2004.json.gz"},
		{Name: "nvd-modified", URL: "https://mirror.example/nvd/nvdcve-2.0-modified.json.gz"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	defaults := DefaultSources()
	if !slices.ContainsFunc(defaults, func(s Source) bool {
		return s.Name == "nvd-modified" && s.URL == NVDFeedBase+"nvdcve-2.0-modified.json.gz"
	}) {
		t.Errorf("default sources lack NVD's modified feed: %v", defaults)
	}
}

func TestNVDTitle(t *testing.T) {
	for in, want := range map[string]string{
		"Heap buffer overflow in the TFTP protocol handler in cURL 7.19.4 to 7.65.3.": "Heap buffer overflow in the TFTP protocol handler in cURL 7.19.4 to 7.65.3.",
		"When doing TLS related transfers with reused easy or multi handles and\naltering the  `CURLSSLOPT_NO_PARTIALCHAIN` option, libcurl could accidentally\nreuse a CA store cached in memory for which the partial chain option was\nreversed. Contrary to the user's wishes.": "When doing TLS related transfers with reused easy or multi handles and altering the `CURLSSLOPT_NO_PARTIALCHAIN` option, libcurl could accidentally reuse a CA store cached in memory for which the…",
	} {
		if got := nvdTitle(in); got != want {
			t.Errorf("nvdTitle(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

// TestUpdateNVDAndEPSS runs `db update` against a server holding NVD's feeds and FIRST's EPSS
// CSV, in their real formats and names, then again offline from the kept downloads.
func TestUpdateNVDAndEPSS(t *testing.T) {
	files := map[string][]byte{"/osv/Debian/all.zip": readShipped(t, "Debian-all.zip")}
	for _, p := range nvdFixtures {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files["/feeds/json/cve/2.0/"+filepath.Base(p)] = b
	}
	var epss bytes.Buffer
	zw := gzip.NewWriter(&epss)
	csv, err := os.ReadFile("testdata/epss.csv")
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(csv)
	zw.Close()
	files["/epss_scores-current.csv.gz"] = epss.Bytes()
	fs, srv := newFileServer(t, files)

	srcs := []Source{{Name: "Debian", URL: srv.URL + "/osv/Debian/all.zip"}, {Name: "epss", URL: srv.URL + "/epss_scores-current.csv.gz"}}
	for _, s := range NVDSources(srv.URL+"/feeds/json/cve/2.0/", 2023) {
		if y := s.Name[len("nvd-"):]; y == "2019" || y == "2021" || y == "2023" || y == "modified" {
			srcs = append(srcs, s)
		}
	}
	dir := t.TempDir()
	ctx := context.Background()
	opts := UpdateOptions{Timeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)}
	st, err := Update(ctx, dir, srcs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Downloaded) != 6 || st.Import.NVD != 5 || st.Import.EPSS != 3 {
		t.Errorf("downloaded %v, %d NVD entries, %d EPSS scores", st.Downloaded, st.Import.NVD, st.Import.EPSS)
	}
	checkNVDNames(t, dir)

	// Unchanged feeds are not downloaded again.
	before := len(fs.seen())
	st, err = Update(ctx, dir, srcs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Downloaded) != 0 || len(st.NotModified) != 6 {
		t.Errorf("second update: downloaded %v, not modified %v", st.Downloaded, st.NotModified)
	}
	for _, r := range fs.seen()[before:] {
		if r.ifNoneMatch == "" && filepath.Ext(r.path) != ".sha256" {
			t.Errorf("unconditional request for %s", r.path)
		}
	}
	// Offline: rebuilt from the kept downloads.
	opts.Offline = true
	if st, err = Update(ctx, dir, srcs, opts); err != nil || st.Import.NVD != 5 {
		t.Fatalf("offline: %v, %d NVD entries", err, st.Import.NVD)
	}
	checkNVDNames(t, dir)
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if e, ok := db.EPSS("CVE-2021-44228"); !ok || e.Score != 0.94358 {
		t.Errorf("EPSS(CVE-2021-44228) = %v %v", e, ok)
	}
}

// checkNVDNames checks an updated database: its sources are named as configured.
func checkNVDNames(t *testing.T, dir string) {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, ok := db.NVD("CVE-2019-5482")
	if !ok || e.Feed != "nvd-modified" || len(e.Metrics) != 3 {
		t.Errorf("CVE-2019-5482: %v %+v", ok, e)
	}
	st, _ := db.Status()
	var kinds []string
	for _, s := range st.Sources {
		kinds = append(kinds, s.Name+"/"+s.Kind)
	}
	slices.Sort(kinds)
	want := []string{"Debian/osv", "epss/epss", "nvd-2019/nvd", "nvd-2021/nvd", "nvd-2023/nvd", "nvd-modified/nvd"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
}
