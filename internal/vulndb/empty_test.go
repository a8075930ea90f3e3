package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var quiet = ImportOptions{Logger: slog.New(slog.DiscardHandler)}

// realKEV returns the bundled CISA KEV catalog after edit has changed its decoded form.
func realKEV(t *testing.T, edit func(vulns []any) []any) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(shippedDir, "known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]any
	if err := json.Unmarshal(raw, &cat); err != nil {
		t.Fatal(err)
	}
	cat["vulnerabilities"] = edit(cat["vulnerabilities"].([]any))
	out, err := json.Marshal(cat)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// oversizedZip writes a zip holding one real-looking OSV record larger than maxRecordSize.
func oversizedZip(t *testing.T, path string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("GHSA-huge-0000-0000.json")
	w.Write([]byte(`{"id":"GHSA-huge-0000-0000","modified":"2024-01-01T00:00:00Z","details":"`))
	w.Write(bytes.Repeat([]byte("a"), maxRecordSize))
	w.Write([]byte(`"}`))
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// leftAsItWas checks that dir still holds the database st describes and no temporary file.
func leftAsItWas(t *testing.T, dir string, st Stats) {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatalf("database after a refused import: %v", err)
	}
	defer db.Close()
	now, err := db.Status()
	if err != nil {
		t.Fatal(err)
	}
	if now.Records != st.Records || now.KEV != st.KEV || len(now.Sources) != len(st.Sources) {
		t.Errorf("database changed: %d records, %d KEV, %d sources; want %d, %d, %d",
			now.Records, now.KEV, len(now.Sources), st.Records, st.KEV, len(st.Sources))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, FileName+".new-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// importNpmKEV imports the bundled npm export and KEV catalog into a new directory.
func importNpmKEV(t *testing.T) (dir, npm, kev string, st Stats) {
	t.Helper()
	dir = t.TempDir()
	npm = filepath.Join(shippedDir, "npm-all.zip")
	kev = filepath.Join(shippedDir, "known_exploited_vulnerabilities.json")
	st, err := Import(context.Background(), dir, []string{npm, kev}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return dir, npm, kev, st
}

// TestImportRefusesEmptySources replaces a database built from real data with inputs that yield
// nothing: each import fails naming the file and counting the invalid entries, on one line, and
// leaves the database as it was. AllowEmpty lets the empty ones through, never a KEV catalog that
// does not decode.
func TestImportRefusesEmptySources(t *testing.T) {
	dir, npm, kev, good := importNpmKEV(t)
	tmp := t.TempDir()
	big := filepath.Join(tmp, "big-all.zip")
	oversizedZip(t, big)
	kevTypes := filepath.Join(tmp, "kev-types.json")
	os.WriteFile(kevTypes, realKEV(t, func(vs []any) []any {
		for i, v := range vs {
			v.(map[string]any)["cveID"] = 40000 + i // a number where the catalog has a string
		}
		return vs
	}), 0o644)
	kevNoCVE := filepath.Join(tmp, "kev-no-cve.json")
	os.WriteFile(kevNoCVE, realKEV(t, func(vs []any) []any {
		for _, v := range vs {
			delete(v.(map[string]any), "cveID")
		}
		return vs
	}), 0o644)
	kevEmpty := filepath.Join(tmp, "kev-empty.json")
	os.WriteFile(kevEmpty, realKEV(t, func([]any) []any { return []any{} }), 0o644)
	epssBad := filepath.Join(tmp, "epss-bad.csv")
	os.WriteFile(epssBad, []byte("#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\ncve,epss,percentile\nCVE-2021-44228,high,0.99\nCVE-2025-48384,0.009,x\n"), 0o644)
	emptyDir := filepath.Join(tmp, "empty")
	os.Mkdir(emptyDir, 0o755)

	tests := []struct {
		name       string
		path       string
		want       error
		wantText   []string
		allowEmpty bool // AllowEmpty imports it
	}{
		{"one oversized record", big, ErrEmptySource, []string{"big-all.zip", "1 invalid", "larger than"}, true},
		{"KEV with wrong field types", kevTypes, ErrInvalidSource, []string{"kev-types.json", "CISA KEV catalog", "cannot unmarshal number"}, false},
		{"KEV entries without a CVE id", kevNoCVE, ErrEmptySource, []string{"kev-no-cve.json", "invalid", `cveID ""`}, true},
		{"KEV catalog with no entries", kevEmpty, ErrEmptySource, []string{"kev-empty.json", "no entries"}, true},
		{"EPSS without a valid line", epssBad, ErrEmptySource, []string{"epss-bad.csv", "2 invalid", "line 3"}, true},
		{"empty directory", emptyDir, ErrEmptySource, []string{"empty", "no entries"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Import(context.Background(), dir, []string{tt.path}, quiet)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalidSource) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error on several lines: %q", err)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			leftAsItWas(t, dir, good)

			other := t.TempDir()
			opts := quiet
			opts.AllowEmpty = true
			st, err := Import(context.Background(), other, []string{tt.path}, opts)
			if tt.allowEmpty != (err == nil) {
				t.Fatalf("with AllowEmpty: err = %v, want success %v", err, tt.allowEmpty)
			}
			if err == nil && (st.Records+st.KEV+st.EPSS != 0 || len(st.Warnings) == 0) {
				t.Errorf("with AllowEmpty: %d records, %d KEV, %d EPSS, warnings %q; want none and a warning", st.Records, st.KEV, st.EPSS, st.Warnings)
			}
		})
	}
	// Beside good sources, a source that yields nothing still fails the import.
	if _, err := Import(context.Background(), t.TempDir(), []string{npm, kev, big}, quiet); !errors.Is(err, ErrEmptySource) {
		t.Errorf("good sources and one that yields nothing: err = %v, want ErrEmptySource", err)
	}
}

// TestImportRefusesShrink replaces a two-source database with one source, and with sources that
// yield only withdrawn records: refused with ErrShrink naming what would go, unless AllowEmpty.
func TestImportRefusesShrink(t *testing.T) {
	dir, npm, kev, good := importNpmKEV(t)
	_, err := Import(context.Background(), dir, []string{npm}, quiet)
	if !errors.Is(err, ErrShrink) || !strings.Contains(err.Error(), "known_exploited_vulnerabilities.json") || !strings.Contains(err.Error(), filepath.Join(dir, FileName)) {
		t.Errorf("fewer sources: err = %v, want ErrShrink naming the database and the missing source", err)
	}
	leftAsItWas(t, dir, good)

	withdrawn := filepath.Join(t.TempDir(), "withdrawn.json")
	os.WriteFile(withdrawn, []byte(`{"id":"GHSA-gone-0000-0000","modified":"2024-01-01T00:00:00Z","withdrawn":"2024-02-01T00:00:00Z"}`), 0o644)
	_, err = Import(context.Background(), dir, []string{withdrawn, withdrawn}, quiet)
	if !errors.Is(err, ErrShrink) || !strings.Contains(err.Error(), "hold nothing") {
		t.Errorf("only withdrawn records: err = %v, want ErrShrink saying the database would hold nothing", err)
	}
	leftAsItWas(t, dir, good)

	// More sources, or as many, replace it; so does AllowEmpty.
	if _, err := Import(context.Background(), dir, []string{kev, npm, "testdata/epss.csv"}, quiet); err != nil {
		t.Errorf("more sources: %v", err)
	}
	opts := quiet
	opts.AllowEmpty = true
	if st, err := Import(context.Background(), dir, []string{npm}, opts); err != nil || len(st.Sources) != 1 {
		t.Errorf("fewer sources with AllowEmpty: %d sources, %v", len(st.Sources), err)
	}
	// A database that cannot be read is not worth keeping: any import replaces it.
	os.WriteFile(filepath.Join(dir, FileName), []byte("damaged"), 0o644)
	if _, err := Import(context.Background(), dir, []string{kev}, quiet); err != nil {
		t.Errorf("over a corrupt database: %v", err)
	}
}
