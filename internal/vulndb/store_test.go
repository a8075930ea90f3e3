package vulndb

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// zipDir writes the files of dir into a new zip at dst, flat, as osv.dev's exports are.
func zipDir(t testing.TB, dir, dst string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func gzipFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func lookupIDs(t *testing.T, db *DB, eco, name string) []string {
	t.Helper()
	vs, err := db.Lookup(context.Background(), eco, name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func TestImportKinds(t *testing.T) {
	tmp := t.TempDir()
	zipPath := filepath.Join(tmp, "test-all.zip")
	zipDir(t, "testdata/osv", zipPath)
	gzPath := filepath.Join(tmp, "epss.csv.gz")
	gzipFile(t, "testdata/epss.csv", gzPath)
	single := "testdata/osv/TEST-2024-0001.json"

	tests := []struct {
		name          string
		paths         []string
		wantRecords   int
		wantWithdrawn int
		wantInvalid   int
		wantEPSS      int
		wantKind      string
	}{
		{"zip", []string{zipPath}, 4, 1, 2, 0, "osv"},
		{"directory", []string{"testdata/osv"}, 4, 1, 2, 0, "osv"},
		{"single record", []string{single}, 1, 0, 0, 0, "osv"},
		{"epss csv", []string{"testdata/epss.csv"}, 0, 0, 1, 3, "epss"},
		{"epss csv.gz", []string{gzPath}, 0, 0, 1, 3, "epss"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := Import(context.Background(), dir, tt.paths, ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := []int{st.Records, st.Withdrawn, st.Invalid, st.EPSS}
			if diff := cmp.Diff([]int{tt.wantRecords, tt.wantWithdrawn, tt.wantInvalid, tt.wantEPSS}, got); diff != "" {
				t.Errorf("records, withdrawn, invalid, epss (-want +got):\n%s", diff)
			}
			if st.Sources[0].Kind != tt.wantKind {
				t.Errorf("kind = %q, want %q", st.Sources[0].Kind, tt.wantKind)
			}
			if len(st.Warnings) != tt.wantInvalid {
				t.Errorf("warnings = %q, want %d", st.Warnings, tt.wantInvalid)
			}
			db, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if tt.wantEPSS > 0 {
				e, ok := db.EPSS("CVE-2021-44228")
				if !ok || e != (EPSS{Score: 0.94358, Percentile: 0.99958}) {
					t.Errorf("EPSS(CVE-2021-44228) = %+v, %v", e, ok)
				}
				if _, ok := db.EPSS("CVE-2000-0000"); ok {
					t.Error("EPSS found an absent CVE")
				}
				s, _ := db.Status()
				if s.Sources[0].EPSSModel != "v2025.03.14" || !s.Updated.Equal(time.Date(2025, 8, 25, 12, 55, 0, 0, time.UTC)) {
					t.Errorf("epss meta = %+v, updated %v", s.Sources[0], s.Updated)
				}
			}
		})
	}
}

func TestInvalidRecordWarningNamesEntry(t *testing.T) {
	tmp := t.TempDir()
	zipPath := filepath.Join(tmp, "test-all.zip")
	zipDir(t, "testdata/osv", zipPath)
	st, err := Import(context.Background(), t.TempDir(), []string{zipPath}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(st.Warnings, "\n")
	for _, want := range []string{"test-all.zip: not-json.json", "test-all.zip: TEST-2024-0004.json"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %q", st.Warnings, want)
		}
	}
}

func TestReleaseFallback(t *testing.T) {
	dir := t.TempDir()
	if _, err := Import(context.Background(), dir, []string{"testdata/osv"}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		eco, name string
		want      []string
	}{
		// TEST-2024-0001 names bare "Debian": every release falls back to it.
		{"Debian:12", "openssl", []string{"TEST-2024-0001"}},
		{"Debian:11", "openssl", []string{"TEST-2024-0001", "TEST-2024-0002"}},
		{"debian:11", "openssl", []string{"TEST-2024-0001", "TEST-2024-0002"}},
		{"Debian", "openssl", []string{"TEST-2024-0001", "TEST-2024-0002"}},
		{"Ubuntu:22.04", "openssl", []string{"TEST-2024-0006"}},
		{"Ubuntu:22.04:LTS", "openssl", []string{"TEST-2024-0006"}},
		{"Ubuntu:Pro:22.04:LTS", "openssl", []string{"TEST-2024-0007"}},
		{"Ubuntu:24.04", "openssl", nil},
		{"Ubuntu", "openssl", []string{"TEST-2024-0006", "TEST-2024-0007"}},
		{"Alpine:v3.20", "openssl", nil},
		{"PyPI", "zope-interface", []string{"TEST-2024-0002"}},
		{"PyPI", "ZOPE_interface", []string{"TEST-2024-0002"}},
		{"PyPI", "zopeinterface", nil},
		{"npm", "left-pad", nil}, // withdrawn and invalid
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, lookupIDs(t, db, tt.eco, tt.name)); diff != "" {
			t.Errorf("Lookup(%q, %q) (-want +got):\n%s", tt.eco, tt.name, diff)
		}
	}
	vs, err := db.ByAlias(context.Background(), "CVE-2024-0002")
	if err != nil || len(vs) != 1 || vs[0].ID != "TEST-2024-0002" {
		t.Errorf("ByAlias(CVE-2024-0002) = %v, %v", vs, err)
	}
	if _, err := db.ByID(context.Background(), "TEST-2024-0003"); !errors.Is(err, ErrNotFound) {
		t.Errorf("withdrawn record: ByID error %v, want ErrNotFound", err)
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct{ eco, in, want string }{
		{"PyPI", "Django", "django"},
		{"PyPI", "zope.interface", "zope-interface"},
		{"PyPI", "Foo__Bar-._baz", "foo-bar-baz"},
		{"pypi", "A_B", "a-b"},
		{"PyPI", " requests ", "requests"},
		{"npm", "@Babel/Core", "@Babel/Core"},
		{"Go", "github.com/Masterminds/semver", "github.com/Masterminds/semver"},
		{"Debian:12", "libssl3", "libssl3"},
	}
	for _, tt := range tests {
		if got := NormalizeName(tt.eco, tt.in); got != tt.want {
			t.Errorf("NormalizeName(%q, %q) = %q, want %q", tt.eco, tt.in, got, tt.want)
		}
	}
	for in, want := range map[string]string{"pypi": "PyPI", "debian:12": "Debian:12", "CRATES.IO": "crates.io", "Alpine:v3.20": "Alpine:v3.20", "Unknown Eco": "Unknown Eco"} {
		if got := NormalizeEcosystem(in); got != want {
			t.Errorf("NormalizeEcosystem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDuplicateKeepsNewest(t *testing.T) {
	tmp := t.TempDir()
	older := filepath.Join(tmp, "older.json")
	newer := filepath.Join(tmp, "newer.json")
	os.WriteFile(older, []byte(`{"id":"DUP-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"example.com/old"}}]}`), 0o644)
	os.WriteFile(newer, []byte(`{"id":"DUP-1","modified":"2024-06-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"example.com/new"}}]}`), 0o644)
	for _, order := range [][]string{{older, newer}, {newer, older}} {
		dir := t.TempDir()
		st, err := Import(context.Background(), dir, order, ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != 1 || st.Duplicates != 1 {
			t.Errorf("records %d duplicates %d, want 1 and 1", st.Records, st.Duplicates)
		}
		db, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := lookupIDs(t, db, "Go", "example.com/new"); len(got) != 1 {
			t.Errorf("order %v: newer record not found: %v", order, got)
		}
		if got := lookupIDs(t, db, "Go", "example.com/old"); len(got) != 0 {
			t.Errorf("order %v: older record's package still indexed: %v", order, got)
		}
		db.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("empty dir: %v, want ErrNoDatabase", err)
	}
	garbage := t.TempDir()
	os.WriteFile(filepath.Join(garbage, FileName), bytes.Repeat([]byte("not a database "), 1000), 0o644)
	if _, err := Open(garbage); !errors.Is(err, ErrCorrupt) {
		t.Errorf("garbage file: %v, want ErrCorrupt", err)
	}
	var nilDB *DB
	if _, err := nilDB.Lookup(context.Background(), "Go", "x"); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("nil DB Lookup: %v", err)
	}
	if _, err := nilDB.Status(); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("nil DB Status: %v", err)
	}
	if err := nilDB.Close(); err != nil {
		t.Errorf("nil DB Close: %v", err)
	}
}

// TestBadSourceKeepsOldDB imports a good database, then fails imports of a truncated zip, a zip
// with a damaged entry and a missing file: each names the file and leaves the old database.
func TestBadSourceKeepsOldDB(t *testing.T) {
	dir := t.TempDir()
	if _, err := Import(context.Background(), dir, []string{"testdata/osv"}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(filepath.Join(shippedDir, "npm-all.zip"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	truncated := filepath.Join(tmp, "truncated-all.zip")
	os.WriteFile(truncated, full[:len(full)/2], 0o644)
	damaged := filepath.Join(tmp, "damaged-all.zip")
	bad := bytes.Clone(full)
	for i := len(bad) / 3; i < len(bad)/3+2000; i++ {
		bad[i] ^= 0x5a
	}
	os.WriteFile(damaged, bad, 0o644)
	unknown := filepath.Join(tmp, "unknown.bin")
	os.WriteFile(unknown, []byte("\x00\x01binary"), 0o644)

	for _, p := range []string{truncated, damaged, filepath.Join(tmp, "missing.zip"), unknown} {
		_, err := Import(context.Background(), dir, []string{"testdata/osv", p}, ImportOptions{})
		if !errors.Is(err, ErrInvalidSource) || !strings.Contains(err.Error(), filepath.Base(p)) {
			t.Errorf("Import(%s) error = %v, want ErrInvalidSource naming the file", filepath.Base(p), err)
		}
		db, err := Open(dir)
		if err != nil {
			t.Fatalf("after failed import of %s: %v", p, err)
		}
		if got := lookupIDs(t, db, "Debian:12", "openssl"); len(got) != 1 {
			t.Errorf("old database changed: %v", got)
		}
		db.Close()
	}
	left, _ := filepath.Glob(filepath.Join(dir, FileName+".new-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestConcurrentReaderDuringImport reads the database in a loop while a new one is imported:
// every open sees the old or the new database whole, and a DB opened before keeps working.
func TestConcurrentReaderDuringImport(t *testing.T) {
	dir := t.TempDir()
	small := []string{filepath.Join(shippedDir, "npm-all.zip")}
	oldSt, err := Import(context.Background(), dir, small, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	held, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	big := shippedPaths(t)
	_, want := importShipped(t) // the same paths, imported elsewhere: the new database's count
	var done atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	errs := make(chan error, 2)
	for range 2 {
		wg.Go(func() {
			for !done.Load() {
				db, err := Open(dir)
				if err != nil {
					errs <- err
					return
				}
				s, err := db.Status()
				if err == nil && s.Records != oldSt.Records && s.Records != want.Records {
					err = errors.New("status shows neither the old nor the new database")
				}
				if err == nil {
					_, err = db.Lookup(context.Background(), "npm", "lodash")
				}
				db.Close()
				if err != nil {
					errs <- err
					return
				}
				reads.Add(1)
				time.Sleep(2 * time.Millisecond) // leave the import some CPU
			}
		})
	}
	newSt, err := Import(context.Background(), dir, big, ImportOptions{})
	done.Store(true)
	wg.Wait()
	close(errs)
	if err != nil {
		t.Fatal(err)
	}
	for e := range errs {
		t.Errorf("reader: %v", e)
	}
	if reads.Load() == 0 {
		t.Error("the readers never read")
	}
	// The DB opened before still reads the old data.
	s, err := held.Status()
	if err != nil || s.Records != oldSt.Records {
		t.Errorf("held DB: %d records, %v; want %d", s.Records, err, oldSt.Records)
	}
	if got := lookupIDs(t, held, "Go", "golang.org/x/text"); len(got) != 0 {
		t.Errorf("held DB sees new data: %v", got)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if s, _ := db.Status(); s.Records != newSt.Records {
		t.Errorf("reopened: %d records, want %d", s.Records, newSt.Records)
	}
}

func TestCheckAge(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	st := func(updated ...time.Time) Status {
		s := Status{BuiltAt: now}
		for i, u := range updated {
			s.Sources = append(s.Sources, SourceMeta{Name: string(rune('a' + i)), Updated: u, ImportedAt: now})
			if u.After(s.Updated) {
				s.Updated = u
			}
		}
		return s
	}
	tests := []struct {
		name   string
		status Status
		maxAge time.Duration
		want   []string // substrings; nil means no warning
	}{
		{"fresh", st(now.Add(-day)), DefaultMaxAge, nil},
		{"old", st(now.Add(-97 * day)), DefaultMaxAge, []string{"97 days old", "newest data 2026-08-21", "a", "rampart db update"}},
		{"one stale source", st(now.Add(-day), now.Add(-30*day)), DefaultMaxAge, []string{"stale sources", "older than 7 days: b"}},
		{"off", st(now.Add(-400 * day)), 0, nil},
		{"no source dates: import time", Status{BuiltAt: now.Add(-3 * day)}, DefaultMaxAge, nil},
	}
	for _, tt := range tests {
		got := checkAgeAt(tt.status, tt.maxAge, now)
		if (got == "") != (tt.want == nil) {
			t.Errorf("%s: warning %q, want one: %v", tt.name, got, tt.want != nil)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: warning %q lacks %q", tt.name, got, w)
			}
		}
	}
}

// TestImportDirectoryOfDownloads imports data/vulndb as one directory: the zips become sources of
// their own and the result equals importing the files one by one.
func TestImportDirectoryOfDownloads(t *testing.T) {
	_, want := importShipped(t)
	got, err := Import(context.Background(), t.TempDir(), []string{shippedDir}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Records != want.Records || got.KEV != want.KEV || got.Withdrawn != want.Withdrawn || got.EPSS != want.EPSS || got.EPSS == 0 {
		t.Errorf("directory import: records %d kev %d withdrawn %d epss %d; files: %d %d %d %d", got.Records, got.KEV, got.Withdrawn, got.EPSS, want.Records, want.KEV, want.Withdrawn, want.EPSS)
	}
	var names []string
	for _, s := range got.Sources {
		names = append(names, s.Name+"/"+s.Kind)
	}
	slices.Sort(names)
	wantNames := []string{
		"Debian-all.zip/osv", "Go-all.zip/osv", "Maven-all.zip/osv", "NuGet-all.zip/osv", "Packagist-all.zip/osv",
		"PyPI-all.zip/osv", "RubyGems-all.zip/osv", "crates.io-all.zip/osv", "epss_scores-current.csv.gz/epss",
		"known_exploited_vulnerabilities.json/kev", "npm-all.zip/osv",
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
}

func TestClosedDB(t *testing.T) {
	dir := t.TempDir()
	if _, err := Import(context.Background(), dir, []string{"testdata/osv"}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	if _, err := db.Lookup(ctx, "Debian", "openssl"); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("Lookup after Close: %v", err)
	}
	if _, err := db.ByID(ctx, "TEST-2024-0001"); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("ByID after Close: %v", err)
	}
	if _, err := db.ByAlias(ctx, "CVE-2024-0001"); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("ByAlias after Close: %v", err)
	}
	if _, err := db.Status(); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("Status after Close: %v", err)
	}
	if _, ok := db.EPSS("CVE-2021-44228"); ok {
		t.Error("EPSS after Close")
	}
}
