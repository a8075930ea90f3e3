package version

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// osvRecord is the part of an OSV record that carries versions.
type osvRecord struct {
	ID       string `json:"id"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
		Ranges []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
}

// TestAdvisories parses every version in the bundled real advisories (Go, npm, PyPI, Debian 12)
// in its record's ordering, and checks that each introduced event sorts before the fixed or
// last_affected event that follows it. testdata/truth/ECOSYSTEM.invalid lists the versions the
// ecosystem's own tool rejects, which Parse must reject too; every other one must parse.
func TestAdvisories(t *testing.T) {
	zips, err := filepath.Glob(filepath.Join("..", "..", "data", "vulndb", "*-all.zip"))
	if err != nil || len(zips) == 0 {
		t.Fatalf("no bundled advisories: %v", err)
	}
	for _, z := range zips {
		eco := strings.TrimSuffix(filepath.Base(z), "-all.zip")
		t.Run(eco, func(t *testing.T) {
			invalid := map[string]bool{}
			if _, err := os.Stat(filepath.Join("testdata", "truth", strings.ToLower(eco)+".invalid")); err == nil {
				for _, v := range readLines(t, filepath.Join("testdata", "truth", strings.ToLower(eco)+".invalid")) {
					invalid[v] = true
				}
			}
			known := upstreamErrors(t)
			failed := map[string]bool{}
			var n, bad int
			fail := func(id string, format string, args ...any) {
				failed[id] = true
				if known[eco+" "+id] {
					t.Logf("known upstream error: "+format, args...)
					return
				}
				t.Errorf(format, args...)
				bad++
			}
			check := func(id, eco, s string, semverRange bool) Version {
				n++
				v, err := Parse(eco, s)
				if err == nil && semverRange {
					_, err = ParseSemver(s)
				}
				switch {
				case err != nil && !invalid[s]:
					fail(id, "%s: %v", id, err)
				case err == nil && invalid[s]:
					t.Errorf("%s: Parse(%q, %q) accepts what the ecosystem's tool rejects", id, eco, s)
					bad++
				}
				return v
			}
			for _, rec := range readRecords(t, z) {
				for _, a := range rec.Affected {
					eco := a.Package.Ecosystem
					if !Supported(eco) {
						t.Fatalf("%s: ecosystem %q unsupported", rec.ID, eco)
					}
					for _, r := range a.Ranges {
						if r.Type == "GIT" {
							continue // commit hashes
						}
						var introduced Version
						for _, ev := range r.Events {
							for kind, s := range ev {
								if kind == "introduced" && s == "0" || kind == "limit" {
									introduced = nil
									continue
								}
								v := check(rec.ID, eco, s, r.Type == "SEMVER")
								if kind == "introduced" {
									introduced = v
									continue
								}
								// "=1.0" becomes introduced 1.0, last_affected 1.0: equal is fine there.
								// introduced X, fixed X is an empty range (GitHub and RustSec publish
								// them for withdrawn ranges): it affects nothing, and is no error.
								if introduced != nil && v != nil {
									if c := introduced.Compare(v); c > 0 {
										fail(rec.ID, "%s: %s %q does not follow introduced %q", rec.ID, kind, s, introduced)
									}
								}
								introduced = nil
							}
						}
					}
					for _, s := range a.Versions {
						check(rec.ID, eco, s, false)
					}
				}
				if bad > 20 {
					t.Fatal("too many failures")
				}
			}
			t.Logf("%d versions checked", n)
			for k := range known {
				if e, id, _ := strings.Cut(k, " "); e == eco && !failed[id] {
					t.Errorf("%s is listed in testdata/truth/upstream-errors.txt but no longer fails: remove it", k)
				}
			}
		})
	}
}

// upstreamErrors reads testdata/truth/upstream-errors.txt: "ECOSYSTEM ID" keys.
func upstreamErrors(t *testing.T) map[string]bool {
	t.Helper()
	m := map[string]bool{}
	for _, line := range readLines(t, filepath.Join("testdata", "truth", "upstream-errors.txt")) {
		if f := strings.Fields(line); len(f) >= 2 && !strings.HasPrefix(f[0], "#") {
			m[f[0]+" "+f[1]] = true
		}
	}
	return m
}

func readRecords(t *testing.T, path string) []osvRecord {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var recs []osvRecord
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		var rec osvRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		recs = append(recs, rec)
	}
	return recs
}
