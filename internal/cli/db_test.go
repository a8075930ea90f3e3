package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
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
	// Without --add the database holds exactly the new sources; fewer than before only with
	// --allow-empty.
	if res := dbRun(t, "import", "--db-dir", dir, kev); res.code != ExitInvalid || !strings.Contains(res.stderr, "--allow-empty") {
		t.Errorf("import of fewer sources: exit %d, want %d with a hint: %s", res.code, ExitInvalid, res.stderr)
	}
	if res := dbRun(t, "import", "--db-dir", dir, "--allow-empty", kev); res.code != ExitOK {
		t.Fatalf("import --allow-empty: exit %d: %s", res.code, res.stderr)
	}
	if st := dbStatus(t, dir); st.Records != 0 || len(st.Sources) != 1 {
		t.Errorf("replace: %d records, %d sources; want 0 and 1", st.Records, len(st.Sources))
	}
}

// TestDBCorruptDatabase truncates a real database as `head -c 100000 rampart.db > rampart.db`
// would (the shell empties the file first, so it is left empty) and as a copy cut short would:
// `db status` and a scan exit 8 with one line naming the file and what to run, where bbolt used
// to panic or fault; `db import` then rebuilds the database.
func TestDBCorruptDatabase(t *testing.T) {
	npm := "../../data/vulndb/npm-all.zip"
	src := t.TempDir()
	if res := dbRun(t, "import", "--db-dir", src, npm); res.code != ExitOK {
		t.Fatalf("import: exit %d: %s", res.code, res.stderr)
	}
	full, err := os.ReadFile(filepath.Join(src, vulndb.FileName))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "app/node_modules/lodash"), 0o755)
	os.WriteFile(filepath.Join(root, "app/node_modules/lodash/package.json"), []byte(`{"name": "lodash", "version": "4.17.15"}`), 0o644)
	for _, cut := range []int{0, 100_000, len(full) / 2} {
		dir := t.TempDir()
		db := filepath.Join(dir, vulndb.FileName)
		os.WriteFile(db, full[:cut], 0o644)
		for _, args := range [][]string{
			{"db", "-q", "status", "--db-dir", dir},
			{"fs", "-q", "--scanners", "vuln", "--db-dir", dir, root},
		} {
			var out, errb bytes.Buffer
			code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
			msg := strings.TrimSpace(errb.String())
			if code != ExitDatabase || strings.Count(msg, "\n") != 0 || !strings.Contains(msg, db) || !strings.Contains(msg, "corrupt") ||
				!strings.Contains(msg, "rampart db import") || !strings.Contains(msg, "rampart db update") {
				t.Errorf("%s with a database cut at %d bytes: exit %d, stderr %q; want exit %d and one line naming %s, saying corrupt and what to run",
					args[:2], cut, code, msg, ExitDatabase, db)
			}
		}
		if res := dbRun(t, "import", "--db-dir", dir, npm); res.code != ExitOK {
			t.Errorf("import over a database cut at %d bytes: exit %d: %s", cut, res.code, res.stderr)
		} else if st := dbStatus(t, dir); st.Records == 0 {
			t.Errorf("import over a database cut at %d bytes: no records", cut)
		}
	}
}

// TestDBImportRefusesEmpty imports the bundled data, then a zip whose one record is too large to
// read and a KEV catalog whose fields have the wrong types: each exits 7 with one line naming the
// file (and counting the invalid records) and leaves the database as it was, where the first used
// to replace it with an empty one and exit 0. --allow-empty takes the empty zip, never the
// catalog that does not decode; db update takes the flag too.
func TestDBImportRefusesEmpty(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the bundled vulnerability data")
	}
	dir := t.TempDir()
	if res := dbRun(t, "import", "--db-dir", dir, "../../data/vulndb"); res.code != ExitOK {
		t.Fatalf("import: exit %d: %s", res.code, res.stderr)
	}
	before := dbStatus(t, dir)
	tmp := t.TempDir()
	big := filepath.Join(tmp, "big-all.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("GHSA-huge-0000-0000.json")
	w.Write([]byte(`{"id":"GHSA-huge-0000-0000","details":"` + strings.Repeat("a", 33<<20) + `"}`))
	zw.Close()
	os.WriteFile(big, buf.Bytes(), 0o644)
	kevRaw, err := os.ReadFile("../../data/vulndb/known_exploited_vulnerabilities.json")
	if err != nil {
		t.Fatal(err)
	}
	badKEV := filepath.Join(tmp, "kev.json")
	os.WriteFile(badKEV, bytes.ReplaceAll(kevRaw, []byte(`"dateAdded": "`), []byte(`"dateAdded": 1, "x": "`)), 0o644)

	for _, tt := range []struct {
		path string
		want []string
	}{
		{big, []string{"big-all.zip", "1 invalid", "--allow-empty"}},
		{badKEV, []string{"kev.json", "CISA KEV catalog"}},
	} {
		res := dbRun(t, "import", "--db-dir", dir, tt.path)
		msg := strings.TrimSpace(res.stderr)
		if res.code != ExitInvalid || strings.Count(msg, "\n") != 0 {
			t.Errorf("import %s: exit %d, stderr %q; want exit %d and one line", filepath.Base(tt.path), res.code, msg, ExitInvalid)
		}
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("import %s: stderr %q lacks %q", filepath.Base(tt.path), msg, w)
			}
		}
		if st := dbStatus(t, dir); st.Records != before.Records || st.KEV != before.KEV || len(st.Sources) != len(before.Sources) {
			t.Errorf("after the refused import of %s: %d records, %d KEV, %d sources; want %d, %d, %d",
				filepath.Base(tt.path), st.Records, st.KEV, len(st.Sources), before.Records, before.KEV, len(before.Sources))
		}
	}
	if res := dbRun(t, "import", "--db-dir", dir, "--allow-empty", badKEV); res.code != ExitInvalid {
		t.Errorf("import --allow-empty of a KEV catalog that does not decode: exit %d, want %d", res.code, ExitInvalid)
	}
	if res := dbRun(t, "import", "--db-dir", dir, "--allow-empty", big); res.code != ExitOK {
		t.Errorf("import --allow-empty: exit %d: %s", res.code, res.stderr)
	} else if st := dbStatus(t, dir); st.Records != 0 || st.Invalid != 1 {
		t.Errorf("import --allow-empty: %d records, %d invalid; want 0 and 1", st.Records, st.Invalid)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".sha256") {
			http.NotFound(w, r)
			return
		}
		w.Write(buf.Bytes())
	}))
	defer srv.Close()
	up := []string{"update", "--db-dir", t.TempDir(), "--no-defaults", "--source", "big=" + srv.URL + "/all.zip"}
	if res := dbRun(t, up...); res.code != ExitInvalid {
		t.Errorf("update from a source that yields nothing: exit %d, want %d: %s", res.code, ExitInvalid, res.stderr)
	}
	if res := dbRun(t, append(up, "--allow-empty")...); res.code != ExitOK {
		t.Errorf("update --allow-empty: exit %d: %s", res.code, res.stderr)
	}
}

// TestDBStatusMalwareHashes imports a real OSV export and a hash list: db status counts the
// list's hashes in its source line and in total, where it used to show 0 entries.
func TestDBStatusMalwareHashes(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(t.TempDir(), "feed.txt")
	var lines strings.Builder
	lines.WriteString("# test feed\n")
	for i := range 3 {
		h := sha256.Sum256([]byte{byte(i)})
		fmt.Fprintf(&lines, "%s  Test.Dropper.%d\n", hex.EncodeToString(h[:]), i)
	}
	os.WriteFile(list, []byte(lines.String()), 0o644)
	if res := dbRun(t, "import", "--db-dir", dir, "../../data/vulndb/npm-all.zip", list); res.code != ExitOK {
		t.Fatalf("import: exit %d: %s", res.code, res.stderr)
	}
	st := dbStatus(t, dir)
	if st.Malware != 3 {
		t.Errorf("status: %d malware hashes, want 3", st.Malware)
	}
	text := dbRun(t, "status", "--db-dir", dir).stdout
	var feed string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "feed.txt ") {
			feed = l
		}
	}
	if f := strings.Fields(feed); len(f) < 3 || f[1] != "malware" || f[2] != "3" {
		t.Errorf("status line of the hash list = %q, want kind malware and 3 entries:\n%s", feed, text)
	}
	if !regexp.MustCompile(`(?m)^malware hashes:\s+3$`).MatchString(text) {
		t.Errorf("status text lacks the total of malware hashes:\n%s", text)
	}
}

func TestResolveNVDSources(t *testing.T) {
	nvd := func(ss []vulndb.Source) map[string]string {
		m := map[string]string{}
		for _, s := range ss {
			if strings.HasPrefix(s.Name, "nvd-") {
				m[s.Name] = s.URL
			}
		}
		return m
	}
	got, err := (&updateFlags{}).resolve()
	if err != nil {
		t.Fatal(err)
	}
	def := nvd(got)
	if def["nvd-2002"] != vulndb.NVDFeedBase+"nvdcve-2.0-2002.json.gz" || def["nvd-modified"] != vulndb.NVDFeedBase+"nvdcve-2.0-modified.json.gz" || len(def) < 25 {
		t.Errorf("default NVD sources: %v", def)
	}

	got, err = (&updateFlags{nvdBase: "https://mirror.example/nvd"}).resolve()
	if err != nil {
		t.Fatal(err)
	}
	moved := nvd(got)
	if len(moved) != len(def) || moved["nvd-2019"] != "https://mirror.example/nvd/nvdcve-2.0-2019.json.gz" || moved["nvd-modified"] != "https://mirror.example/nvd/nvdcve-2.0-modified.json.gz" {
		t.Errorf("--nvd-base: %v", moved)
	}

	if got, err = (&updateFlags{noNVD: true}).resolve(); err != nil || len(nvd(got)) != 0 || len(got) == 0 {
		t.Errorf("--no-nvd: %v, %v", got, err)
	}

	tmp := t.TempDir()
	file := filepath.Join(tmp, "sources.conf")
	os.WriteFile(file, []byte("nvd-base = https://file.example/nvd/\nnvd-2019=\n"), 0o644)
	got, err = (&updateFlags{sourcesFile: file}).resolve()
	if err != nil {
		t.Fatal(err)
	}
	fromFile := nvd(got)
	if _, ok := fromFile["nvd-2019"]; ok || fromFile["nvd-2023"] != "https://file.example/nvd/nvdcve-2.0-2023.json.gz" {
		t.Errorf("nvd-base line: %v", fromFile)
	}
	os.WriteFile(file, []byte("no-nvd\n"), 0o644)
	if got, err = (&updateFlags{sourcesFile: file}).resolve(); err != nil || len(nvd(got)) != 0 {
		t.Errorf("no-nvd line: %v, %v", nvd(got), err)
	}
}

// TestDBImportNVD imports the Debian export with NVD's feeds (the vulndb package's fixtures)
// and EPSS: db import takes each by content, and db status counts them.
func TestDBImportNVD(t *testing.T) {
	dir := t.TempDir()
	feeds, _ := filepath.Glob("../vulndb/testdata/nvd/*.json.gz")
	if len(feeds) != 4 {
		t.Fatalf("NVD fixtures: %v", feeds)
	}
	args := append([]string{"import", "--db-dir", dir, "../../data/vulndb/Debian-all.zip", "../../data/vulndb/epss_scores-current.csv.gz"}, feeds...)
	res := dbRun(t, args...)
	if res.code != ExitOK || !strings.Contains(res.stdout, " 360142 EPSS scores, 5 NVD CVEs,") {
		t.Fatalf("import: exit %d: %s%s", res.code, res.stdout, res.stderr)
	}
	st := dbStatus(t, dir)
	kinds := map[string]int{}
	for _, s := range st.Sources {
		kinds[s.Kind]++
	}
	if st.NVD != 5 || st.EPSS != 360142 || kinds["nvd"] != 4 || kinds["epss"] != 1 || kinds["osv"] != 1 {
		t.Errorf("status: %d NVD, %d EPSS, kinds %v", st.NVD, st.EPSS, kinds)
	}
	res = dbRun(t, "status", "--db-dir", dir)
	if !regexp.MustCompile(`(?m)^NVD CVEs: +5$`).MatchString(res.stdout) || !regexp.MustCompile(`(?m)^nvdcve-2\.0-modified\.json\.gz +nvd +3 `).MatchString(res.stdout) {
		t.Errorf("db status text:\n%s", res.stdout)
	}
}

// TestDBUpdateNVD: db update downloads NVD feeds and FIRST's EPSS CSV by the URLs given, and
// imports them with the records.
func TestDBUpdateNVD(t *testing.T) {
	files := map[string]string{
		"/osv/Debian/all.zip":                 "../../data/vulndb/Debian-all.zip",
		"/epss/epss_scores-current.csv.gz":    "../../data/vulndb/epss_scores-current.csv.gz",
		"/nvd/nvdcve-2.0-2023.json.gz":        "../vulndb/testdata/nvd/nvdcve-2.0-2023.json.gz",
		"/nvd/nvdcve-2.0-modified.json.gz":    "../vulndb/testdata/nvd/nvdcve-2.0-modified.json.gz",
		"/nvd/nvdcve-2.0-2023.json.gz.sha256": "",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := files[r.URL.Path]
		if !ok || p == "" {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, p)
	}))
	defer srv.Close()
	dir := t.TempDir()
	res := dbRun(t, "update", "--db-dir", dir, "--no-defaults", "--source", "Debian="+srv.URL+"/osv/Debian/all.zip",
		"--source", "epss="+srv.URL+"/epss/epss_scores-current.csv.gz",
		"--source", "nvd-2023="+srv.URL+"/nvd/nvdcve-2.0-2023.json.gz", "--source", "nvd-modified="+srv.URL+"/nvd/nvdcve-2.0-modified.json.gz")
	if res.code != ExitOK || !strings.Contains(res.stdout, " 5 NVD CVEs,") {
		t.Fatalf("update: exit %d: %s%s", res.code, res.stdout, res.stderr)
	}
	st := dbStatus(t, dir)
	for _, s := range st.Sources {
		if s.Name == "nvd-modified" && (s.Kind != "nvd" || s.URL != srv.URL+"/nvd/nvdcve-2.0-modified.json.gz" || s.NVD != 3) {
			t.Errorf("nvd-modified source: %+v", s)
		}
	}
	if st.NVD != 5 || st.EPSS == 0 {
		t.Errorf("status: %d NVD CVEs, %d EPSS scores", st.NVD, st.EPSS)
	}
}
