package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/malware"
)

// TestVersion: the first line stays "rampart VERSION" for scripts; the rest says what the build
// has (Go, YARA, the commit) and whether there is a vulnerability database, and how old it is.
func TestVersion(t *testing.T) {
	empty := t.TempDir()
	res := runMain(t, "version", "--db-dir", empty)
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	lines := strings.Split(res.stdout, "\n")
	if lines[0] != "rampart "+Version() {
		t.Errorf("first line %q, want %q", lines[0], "rampart "+Version())
	}
	yara := "yara:       not built in"
	if malware.YARAAvailable {
		yara = "yara:       built in"
	}
	for _, w := range []string{"go:         " + runtime.Version(), yara, "commit:", "database:   none in " + empty, "rampart db import"} {
		if !strings.Contains(res.stdout, w) {
			t.Errorf("version lacks %q:\n%s", w, res.stdout)
		}
	}

	// With a database: where it is and the age of its data.
	dir := t.TempDir()
	rec := filepath.Join(t.TempDir(), "GO-2024-0001.json")
	modified := time.Now().Add(-3 * 24 * time.Hour).UTC().Format(time.RFC3339)
	if err := os.WriteFile(rec, []byte(`{"id":"GO-2024-0001","modified":"`+modified+`","affected":[{"package":{"ecosystem":"Go","name":"example.com/x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := runMain(t, "db", "import", "-q", "--db-dir", dir, rec); res.code != ExitOK {
		t.Fatalf("db import: exit %d: %s", res.code, res.stderr)
	}
	res = runMain(t, "version", "--db-dir", dir)
	for _, w := range []string{"database:      " + filepath.Join(dir, "rampart.db") + ", 1 records", "data updated:  ", "(3d ago)"} {
		if !strings.Contains(res.stdout, w) {
			t.Errorf("version lacks %q:\n%s", w, res.stdout)
		}
	}
	res = runMain(t, "version", "--db-dir", dir, "-f", "json")
	var bi BuildInfo
	if err := json.Unmarshal([]byte(res.stdout), &bi); err != nil {
		t.Fatalf("version -f json: %v\n%s", err, res.stdout)
	}
	if bi.Version != Version() || bi.Go != runtime.Version() || bi.YARA != malware.YARAAvailable || !bi.Database.Present ||
		bi.Database.Records != 1 || bi.Database.AgeSeconds < 3*86400-60 || bi.Database.AgeSeconds > 3*86400+3600 {
		t.Errorf("version -f json = %+v", bi)
	}

	// A damaged file is there but unusable, and says why.
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "rampart.db"), []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = runMain(t, "version", "--db-dir", bad)
	if res.code != ExitOK || !strings.Contains(res.stdout, "unusable: ") {
		t.Errorf("damaged database: exit %d\n%s", res.code, res.stdout)
	}
	if res := runMain(t, "version", "-f", "yaml"); res.code != ExitUsage || !strings.Contains(res.stderr, "text, json") {
		t.Errorf("version -f yaml: exit %d, %s", res.code, res.stderr)
	}
}

// TestCommitFromVersion: without the go command's VCS stamp, the commit comes from a version
// that `git describe` made.
func TestCommitFromVersion(t *testing.T) {
	for v, want := range map[string][]string{
		"v1.2.0-3-gabc1234-dirty": {"abc1234", "-dirty"},
		"abc1234def":              {"abc1234def", ""},
		"v1.2.0":                  nil,
		"dev":                     nil,
	} {
		m := describeCommit.FindStringSubmatch(v)
		if (m == nil) != (want == nil) || (m != nil && (m[1] != want[0] || m[2] != want[1])) {
			t.Errorf("%s: %q, want %q", v, m, want)
		}
	}
}
