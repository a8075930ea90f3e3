package vulndb

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// zipTruth is what the test reads from a bundled zip with archive/zip and encoding/json alone,
// independently of the importer.
type zipTruth struct {
	entries   int
	withdrawn int
	ids       map[string]bool            // ids of the records that are not withdrawn
	byPackage map[string][]string        // "ecosystem\x00name" (names as written) → ids
	aliases   map[string][]string        // alias or upstream → ids
	ecos      map[string]map[string]bool // ecosystem → ids
}

type rawRecord struct {
	ID        string   `json:"id"`
	Withdrawn *string  `json:"withdrawn"`
	Aliases   []string `json:"aliases"`
	Upstream  []string `json:"upstream"`
	Affected  []struct {
		Package struct{ Ecosystem, Name string } `json:"package"`
	} `json:"affected"`
}

func readZipTruth(t *testing.T, path string) zipTruth {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := zipTruth{ids: map[string]bool{}, byPackage: map[string][]string{}, aliases: map[string][]string{}, ecos: map[string]map[string]bool{}}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".json") {
			continue
		}
		tr.entries++
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var r rawRecord
		err = json.NewDecoder(rc).Decode(&r)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		if r.Withdrawn != nil {
			tr.withdrawn++
			continue
		}
		tr.ids[r.ID] = true
		for _, a := range r.Affected {
			k := a.Package.Ecosystem + "\x00" + a.Package.Name
			if !slices.Contains(tr.byPackage[k], r.ID) {
				tr.byPackage[k] = append(tr.byPackage[k], r.ID)
			}
			if tr.ecos[a.Package.Ecosystem] == nil {
				tr.ecos[a.Package.Ecosystem] = map[string]bool{}
			}
			tr.ecos[a.Package.Ecosystem][r.ID] = true
		}
		for _, a := range slices.Concat(r.Aliases, r.Upstream) {
			tr.aliases[a] = append(tr.aliases[a], r.ID)
		}
	}
	return tr
}

var (
	shippedOnce sync.Once
	shippedDB   string
	shippedSt   Stats
	shippedErr  error
)

// importShipped imports the bundled data once per test binary; tests only read it.
func importShipped(t *testing.T) (string, Stats) {
	t.Helper()
	shippedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vulndb-shipped-")
		if err != nil {
			shippedErr = err
			return
		}
		shippedDB = dir
		shippedSt, shippedErr = Import(context.Background(), dir, shippedPaths(t), ImportOptions{})
	})
	if shippedErr != nil {
		t.Fatal(shippedErr)
	}
	return shippedDB, shippedSt
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shippedDB != "" {
		os.RemoveAll(shippedDB)
	}
	os.Exit(code)
}

func openShipped(t *testing.T) *DB {
	t.Helper()
	dir, _ := importShipped(t)
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestImportShippedCounts(t *testing.T) {
	_, st := importShipped(t)
	db := openShipped(t)
	status, err := db.Status()
	if err != nil {
		t.Fatal(err)
	}
	bySource := map[string]SourceMeta{}
	for _, s := range st.Sources {
		bySource[s.Name] = s
	}
	allIDs := map[string]bool{}
	wantEcos := map[string]int{}
	wantWithdrawn := 0
	zips, _ := filepath.Glob(filepath.Join(shippedDir, "*.zip"))
	for _, z := range zips {
		tr := readZipTruth(t, z)
		s, ok := bySource[filepath.Base(z)]
		if !ok {
			t.Fatalf("no source meta for %s in %+v", z, st.Sources)
		}
		if s.Records != tr.entries-tr.withdrawn || s.Withdrawn != tr.withdrawn || s.Invalid != 0 {
			t.Errorf("%s: records/withdrawn/invalid = %d/%d/%d, want %d/%d/0 (zip has %d entries)",
				z, s.Records, s.Withdrawn, s.Invalid, tr.entries-tr.withdrawn, tr.withdrawn, tr.entries)
		}
		if s.Kind != "osv" || len(s.SHA256) != 64 {
			t.Errorf("%s: kind %q sha256 %q", z, s.Kind, s.SHA256)
		}
		wantWithdrawn += tr.withdrawn
		for id := range tr.ids {
			allIDs[id] = true
		}
		for e, set := range tr.ecos {
			wantEcos[e] += len(set)
		}
	}
	if status.Records != len(allIDs) || st.Records != len(allIDs) {
		t.Errorf("records: status %d, stats %d, want %d", status.Records, st.Records, len(allIDs))
	}
	if status.Withdrawn != wantWithdrawn || wantWithdrawn == 0 {
		t.Errorf("withdrawn = %d, want %d (> 0)", status.Withdrawn, wantWithdrawn)
	}
	if diff := cmp.Diff(wantEcos, status.Ecosystems); diff != "" {
		t.Errorf("ecosystem counts (-want +got):\n%s", diff)
	}
	var kev struct {
		Count           int `json:"count"`
		Vulnerabilities []struct {
			CVEID string `json:"cveID"`
		} `json:"vulnerabilities"`
	}
	b, err := os.ReadFile(filepath.Join(shippedDir, "known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &kev); err != nil {
		t.Fatal(err)
	}
	if status.KEV != len(kev.Vulnerabilities) || status.KEV != kev.Count {
		t.Errorf("kev = %d, catalog lists %d (count field %d)", status.KEV, len(kev.Vulnerabilities), kev.Count)
	}
	if s := bySource["known_exploited_vulnerabilities.json"]; s.Kind != "kev" || s.Updated.IsZero() {
		t.Errorf("kev source meta = %+v", s)
	}
	if status.SchemaVersion != SchemaVersion || status.BuiltAt.IsZero() || status.Updated.IsZero() {
		t.Errorf("status = %+v", status)
	}
}

func TestLookupShipped(t *testing.T) {
	db := openShipped(t)
	ctx := context.Background()
	truth := map[string]zipTruth{}
	for _, eco := range []string{"Go", "PyPI", "npm", "Debian"} {
		truth[eco] = readZipTruth(t, filepath.Join(shippedDir, eco+"-all.zip"))
	}
	// want computes the expected ids from the zip truth with the lookup's own rules spelled out
	// independently: PyPI names compared case- and separator-insensitively, Debian:12 as given.
	want := func(zipEco, eco, name string, same func(a, b string) bool) []string {
		var out []string
		for k, ids := range truth[zipEco].byPackage {
			e, n, _ := strings.Cut(k, "\x00")
			if e == eco && same(n, name) {
				out = append(out, ids...)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	exact := func(a, b string) bool { return a == b }
	pep503 := func(a, b string) bool {
		f := func(s string) string {
			return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == '-' || r == '_' || r == '.' }), "-")
		}
		return f(a) == f(b)
	}
	tests := []struct {
		name     string
		eco, pkg string
		want     []string
		mustHave string
	}{
		{"go x/text", "Go", "golang.org/x/text", want("Go", "Go", "golang.org/x/text", exact), "GO-2022-1059"},
		{"go stdlib", "Go", "stdlib", want("Go", "Go", "stdlib", exact), "GO-2022-0969"},
		{"pypi exact", "PyPI", "django", want("PyPI", "PyPI", "django", pep503), "PYSEC-2021-9"},
		{"pypi case", "PyPI", "Django", want("PyPI", "PyPI", "django", pep503), "PYSEC-2021-9"},
		{"pypi separators", "PyPI", "JW__Util", want("PyPI", "PyPI", "jw.util", pep503), ""},
		{"pypi lowercase ecosystem", "pypi", "PyYAML", want("PyPI", "PyPI", "pyyaml", pep503), ""},
		{"npm", "npm", "lodash", want("npm", "npm", "lodash", exact), ""},
		{"debian 12", "Debian:12", "sudo", want("Debian", "Debian:12", "sudo", exact), "DEBIAN-CVE-2005-4890"},
		{"debian bare finds every release", "Debian", "sudo", want("Debian", "Debian:12", "sudo", exact), "DEBIAN-CVE-2005-4890"},
		{"debian other release", "Debian:11", "sudo", nil, ""},
		{"unknown package", "Go", "example.com/does/not/exist", nil, ""},
		{"wrong ecosystem", "npm", "golang.org/x/text", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := db.Lookup(ctx, tt.eco, tt.pkg)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lookup(%q, %q) (-want +got):\n%s", tt.eco, tt.pkg, diff)
			}
			if tt.mustHave != "" && !slices.Contains(got, tt.mustHave) {
				t.Errorf("Lookup(%q, %q) = %v, lacks %s", tt.eco, tt.pkg, got, tt.mustHave)
			}
		})
	}
}

func TestByIDAndAlias(t *testing.T) {
	db := openShipped(t)
	ctx := context.Background()
	v, err := db.ByID(ctx, "GO-2022-1059")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(v.Aliases, "CVE-2022-32149") || len(v.Affected) == 0 || v.Affected[0].Package.Name != "golang.org/x/text" {
		t.Errorf("GO-2022-1059 = %+v", v)
	}
	// PYSEC-2023-141 is withdrawn in the zip: not stored.
	for _, id := range []string{"PYSEC-2023-141", "GO-0000-0000"} {
		if _, err := db.ByID(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("ByID(%s) error = %v, want ErrNotFound", id, err)
		}
	}
	truth := map[string][]string{}
	for _, eco := range []string{"Go", "PyPI", "npm", "Debian"} {
		for a, ids := range readZipTruth(t, filepath.Join(shippedDir, eco+"-all.zip")).aliases {
			truth[a] = append(truth[a], ids...)
		}
	}
	for _, alias := range []string{"CVE-2022-32149", "CVE-2005-4890", "CVE-2021-44228", "GHSA-69ch-w2m2-3vjp"} {
		want := slices.Clone(truth[alias])
		slices.Sort(want)
		want = slices.Compact(want)
		vs, err := db.ByAlias(ctx, alias)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range vs {
			got = append(got, v.ID)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ByAlias(%s) (-want +got):\n%s", alias, diff)
		}
	}
	if vs, _ := db.ByAlias(ctx, "CVE-2022-32149"); len(vs) == 0 {
		t.Error("ByAlias(CVE-2022-32149) found nothing; GO-2022-1059 lists it")
	}
	if vs, _ := db.ByAlias(ctx, "CVE-2005-4890"); len(vs) != 1 || vs[0].ID != "DEBIAN-CVE-2005-4890" {
		t.Errorf("ByAlias(CVE-2005-4890) (Debian upstream) = %v", vs)
	}
}

var cmpIgnoreKEVExtra = cmpopts.IgnoreFields(KEVEntry{}, "DueDate", "RansomwareUse")

func TestKEVShipped(t *testing.T) {
	db := openShipped(t)
	e, ok := db.KEV("CVE-2025-48384")
	want := KEVEntry{CVE: "CVE-2025-48384", VendorProject: "Git", Product: "Git", Name: "Git Link Following Vulnerability", DateAdded: "2025-08-25"}
	if !ok {
		t.Fatal("KEV(CVE-2025-48384) not found")
	}
	if diff := cmp.Diff(want, e, cmpIgnoreKEVExtra); diff != "" {
		t.Errorf("KEV (-want +got):\n%s", diff)
	}
	if e.RansomwareUse != "Known" && e.RansomwareUse != "Unknown" {
		t.Errorf("ransomware use %q", e.RansomwareUse)
	}
	if _, ok := db.KEV("CVE-1900-0001"); ok {
		t.Error("KEV found a CVE the catalog lacks")
	}
	// Every catalog entry is there with its fields.
	var cat kevCatalog
	b, _ := os.ReadFile(filepath.Join(shippedDir, "known_exploited_vulnerabilities.json"))
	if err := json.Unmarshal(b, &cat); err != nil {
		t.Fatal(err)
	}
	ransom := 0
	for _, v := range cat.Vulnerabilities {
		e, ok := db.KEV(v.CVEID)
		if !ok || e.DateAdded != v.DateAdded || e.VendorProject != v.VendorProject || e.Product != v.Product {
			t.Fatalf("KEV(%s) = %+v, %v; catalog %+v", v.CVEID, e, ok, v)
		}
		if e.KnownRansomware() {
			ransom++
		}
	}
	if ransom == 0 {
		t.Error("no KEV entry with known ransomware use")
	}
	var nilDB *DB
	if _, ok := nilDB.KEV("CVE-2025-48384"); ok {
		t.Error("nil DB found a KEV entry")
	}
}
