package vulndb

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// FuzzImport feeds arbitrary bytes to Import as one source file (zip, gzip, CSV or JSON by
// content). Invariants: no panic, only the documented errors, no temporary file left, and a
// successful import opens.
func FuzzImport(f *testing.F) {
	tmp := f.TempDir()
	zipPath := filepath.Join(tmp, "seed.zip")
	zipDir(f, "testdata/osv", zipPath)
	gzPath := filepath.Join(tmp, "seed.csv.gz")
	gzipFile(f, "testdata/epss.csv", gzPath)
	for _, p := range []string{zipPath, gzPath, "testdata/epss.csv", "testdata/osv/TEST-2024-0001.json", "testdata/osv/TEST-2024-0002.json", "testdata/nvd/nvdcve-2.0-2021.json.gz"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"catalogVersion":"1","vulnerabilities":[{"cveID":"CVE-2024-1","dateAdded":"2024-01-01"}]}`))
	f.Add([]byte("PK\x05\x06" + string(bytes.Repeat([]byte{0}, 18))))
	f.Add([]byte(`{"format":"NVD_CVE","version":"2.0","timestamp":"2026-08-20T05:00:00.716","vulnerabilities":[{"cve":{"id":"CVE-2024-1","metrics":{}}}]}`))
	logger := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		src := filepath.Join(dir, "input")
		if err := os.WriteFile(src, data, 0o644); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, "db")
		_, err := Import(context.Background(), db, []string{src}, ImportOptions{Logger: logger})
		if left, _ := filepath.Glob(filepath.Join(db, FileName+".new-*")); len(left) != 0 {
			t.Fatalf("temporary files left: %v", left)
		}
		if err != nil {
			// ErrShrink: a source of withdrawn records only leaves the database empty.
			if !errors.Is(err, ErrInvalidSource) && !errors.Is(err, ErrShrink) {
				t.Fatalf("undocumented error: %v", err)
			}
			return
		}
		d, err := Open(db)
		if err != nil {
			t.Fatalf("open after successful import: %v", err)
		}
		defer d.Close()
		if _, err := d.Status(); err != nil {
			t.Fatal(err)
		}
	})
}
