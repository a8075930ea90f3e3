package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/vulndb"
)

func dbRun(t *testing.T, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"db", "-q"}, args...), strings.NewReader(""), &out, &errb)
	return runResult{code, out.String(), errb.String()}
}

type dbStatusJSON struct {
	vulndb.Status
	AgeWarning string `json:"age_warning"`
}

func dbStatus(t *testing.T, dir string) dbStatusJSON {
	t.Helper()
	res := dbRun(t, "status", "--db-dir", dir, "--format", "json")
	if res.code != ExitOK {
		t.Fatalf("db status: exit %d: %s", res.code, res.stderr)
	}
	var st dbStatusJSON
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		t.Fatalf("db status json: %v\n%s", err, res.stdout)
	}
	return st
}

func TestDBImportAndStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the bundled vulnerability data")
	}
	dir := t.TempDir()
	res := dbRun(t, "import", "--db-dir", dir, "../../data/vulndb")
	if res.code != ExitOK {
		t.Fatalf("db import: exit %d: %s", res.code, res.stderr)
	}
	// The library's own import of the same files is the truth for the command's output.
	want, err := vulndb.Import(context.Background(), t.TempDir(), []string{"../../data/vulndb"}, vulndb.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := dbStatus(t, dir)
	if st.Records != want.Records || st.KEV != want.KEV || len(st.Sources) != len(want.Sources) {
		t.Errorf("status: %d records, %d KEV, %d sources; want %d, %d, %d", st.Records, st.KEV, len(st.Sources), want.Records, want.KEV, len(want.Sources))
	}
	// The bundled data is months old: status warns, and still succeeds.
	if !strings.Contains(st.AgeWarning, "rampart db update") {
		t.Errorf("age warning = %q", st.AgeWarning)
	}
	text := dbRun(t, "status", "--db-dir", dir)
	for _, w := range []string{"Debian:12", "Go-all.zip", "known_exploited_vulnerabilities.json", "warning:"} {
		if !strings.Contains(text.stdout, w) {
			t.Errorf("status text lacks %q:\n%s", w, text.stdout)
		}
	}
	if res := dbRun(t, "status", "--db-dir", dir, "--max-age", "0"); strings.Contains(res.stdout, "warning:") {
		t.Errorf("--max-age 0 still warns:\n%s", res.stdout)
	}
}

func TestDBExitCodes(t *testing.T) {
	tmp := t.TempDir()
	full, err := os.ReadFile("../../data/vulndb/npm-all.zip")
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(tmp, "truncated.zip")
	os.WriteFile(truncated, full[:len(full)/2], 0o644)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"status without database", []string{"status", "--db-dir", filepath.Join(tmp, "none")}, ExitDatabase},
		{"import missing file", []string{"import", "--db-dir", filepath.Join(tmp, "a"), filepath.Join(tmp, "missing.zip")}, ExitNotFound},
		{"import truncated zip", []string{"import", "--db-dir", filepath.Join(tmp, "b"), truncated}, ExitInvalid},
		{"import no args", []string{"import", "--db-dir", filepath.Join(tmp, "c")}, ExitUsage},
		{"bad format", []string{"status", "--db-dir", tmp, "--format", "xml"}, ExitUsage},
		{"offline never downloaded", []string{"update", "--db-dir", filepath.Join(tmp, "d"), "--offline"}, ExitDatabase},
		{"bad source flag", []string{"update", "--db-dir", filepath.Join(tmp, "e"), "--source", "novalue"}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := dbRun(t, tt.args...)
			if res.code != tt.want {
				t.Errorf("exit %d, want %d; stderr: %s", res.code, tt.want, res.stderr)
			}
		})
	}
}

func TestDBUpdateCommand(t *testing.T) {
	body, err := os.ReadFile("../../data/vulndb/npm-all.zip")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	fail := false
	var conditional []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasSuffix(r.URL.Path, ".sha256") {
			http.NotFound(w, r)
			return
		}
		if fail {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if inm := r.Header.Get("If-None-Match"); inm != "" {
			conditional = append(conditional, inm)
			if inm == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write(body)
	}))
	defer srv.Close()
	dir := t.TempDir()
	args := []string{"update", "--db-dir", dir, "--no-defaults", "--source", "npm=" + srv.URL + "/npm/all.zip", "--format", "json"}

	res := dbRun(t, args...)
	if res.code != ExitOK {
		t.Fatalf("first update: exit %d: %s", res.code, res.stderr)
	}
	var up vulndb.UpdateStats
	if err := json.Unmarshal([]byte(res.stdout), &up); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"npm"}, up.Downloaded); diff != "" || up.Import.Records == 0 {
		t.Errorf("first update: downloaded (-want +got):\n%s; records %d", diff, up.Import.Records)
	}
	records := dbStatus(t, dir).Records

	res = dbRun(t, args...)
	if res.code != ExitOK {
		t.Fatalf("second update: exit %d: %s", res.code, res.stderr)
	}
	mu.Lock()
	if diff := cmp.Diff([]string{`"v1"`}, conditional); diff != "" {
		t.Errorf("If-None-Match seen by the server (-want +got):\n%s", diff)
	}
	fail = true
	mu.Unlock()

	res = dbRun(t, args...)
	if res.code != ExitUnreachable {
		t.Errorf("update against a failing server: exit %d, want %d: %s", res.code, ExitUnreachable, res.stderr)
	}
	if got := dbStatus(t, dir).Records; got != records {
		t.Errorf("after failed update: %d records, want the old %d", got, records)
	}
}

func TestResolveSources(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "sources.conf")
	os.WriteFile(file, []byte("# mirror\nGo=https://mirror.example/Go/all.zip\n\nUbuntu=\nextra=https://example.com/x.zip\n"), 0o644)
	onlyFile := filepath.Join(tmp, "only.conf")
	os.WriteFile(onlyFile, []byte("no-defaults\nkev=https://mirror.example/kev.json\n"), 0o644)
	names := func(ss []vulndb.Source) map[string]string {
		m := map[string]string{}
		for _, s := range ss {
			m[s.Name] = s.URL
		}
		return m
	}
	defaults := names(vulndb.DefaultSources())

	got, err := (&updateFlags{sourcesFile: file, sources: []string{"npm=https://flag.example/npm.zip"}}).resolve()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for k, v := range defaults {
		want[k] = v
	}
	want["Go"] = "https://mirror.example/Go/all.zip"
	delete(want, "Ubuntu")
	want["extra"] = "https://example.com/x.zip"
	want["npm"] = "https://flag.example/npm.zip"
	if diff := cmp.Diff(want, names(got)); diff != "" {
		t.Errorf("resolve (-want +got):\n%s", diff)
	}
	got, err = (&updateFlags{sourcesFile: onlyFile}).resolve()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"kev": "https://mirror.example/kev.json"}, names(got)); diff != "" {
		t.Errorf("no-defaults (-want +got):\n%s", diff)
	}
	if defaults["Go"] != "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip" || defaults["epss"] != vulndb.EPSSURL || defaults["crates.io"] == "" {
		t.Errorf("default sources = %v", defaults)
	}
}

func TestDBImportAdd(t *testing.T) {
	dir := t.TempDir()
	npm, _ := filepath.Abs("../../data/vulndb/npm-all.zip")
	kev := "../../data/vulndb/known_exploited_vulnerabilities.json"
	if res := dbRun(t, "import", "--db-dir", dir, npm); res.code != ExitOK {
		t.Fatalf("import: exit %d: %s", res.code, res.stderr)
	}
	first := dbStatus(t, dir)
	// --add with a path already in the database does not import it twice.
	if res := dbRun(t, "import", "--db-dir", dir, "--add", kev, npm); res.code != ExitOK {
		t.Fatalf("import --add: exit %d: %s", res.code, res.stderr)
	}
	st := dbStatus(t, dir)
	var names []string
	for _, s := range st.Sources {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{"npm-all.zip", "known_exploited_vulnerabilities.json"}, names); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	if st.Records != first.Records || st.KEV == 0 || st.Duplicates != 0 {
		t.Errorf("after --add: %d records (want %d), %d KEV, %d duplicates", st.Records, first.Records, st.KEV, st.Duplicates)
	}
	// Without --add the database holds exactly the new sources.
	if res := dbRun(t, "import", "--db-dir", dir, kev); res.code != ExitOK {
		t.Fatalf("import: exit %d: %s", res.code, res.stderr)
	}
	if st := dbStatus(t, dir); st.Records != 0 || len(st.Sources) != 1 {
		t.Errorf("replace: %d records, %d sources; want 0 and 1", st.Records, len(st.Sources))
	}
}
