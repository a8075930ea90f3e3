package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

// The comparison of Rampart's vulnerability matching with independent tools on the same data
// (docs/vuln-comparison.md). The peers are installed by scripts/peers.sh, once per machine, into
// $RAMPART_TEST_CACHE/peers/NAME-VERSION/NAME; RAMPART_OSV_SCANNER and RAMPART_GOVULNCHECK name
// other binaries. A missing peer skips the tests, or fails them under RAMPART_REQUIRE_FIXTURES=1.

// peerTool is an independent tool the tests run.
type peerTool struct {
	name, version string
	env           string // variable naming another binary
}

// Keep in step with scripts/peers.sh.
var (
	osvScanner  = peerTool{name: "osv-scanner", version: "v2.6.0", env: "RAMPART_OSV_SCANNER"}
	govulncheck = peerTool{name: "govulncheck", version: "v1.9.0", env: "RAMPART_GOVULNCHECK"}
)

// peerTimeout bounds one run of a peer.
const peerTimeout = 10 * time.Minute

// path returns the peer's binary, or ends the test through testenv.Missing.
func (p peerTool) path(t *testing.T) string {
	t.Helper()
	if b := os.Getenv(p.env); b != "" {
		if _, err := os.Stat(b); err != nil {
			t.Fatalf("%s: %v", p.env, err)
		}
		return b
	}
	cache := os.Getenv("RAMPART_TEST_CACHE")
	if cache == "" {
		cache = "/var/cache/rampart-test"
	}
	b := filepath.Join(cache, "peers", p.name+"-"+p.version, p.name)
	if _, err := os.Stat(b); err != nil {
		testenv.Missing(t, fmt.Sprintf("%s %s is not installed (%v): run scripts/peers.sh, or set %s", p.name, p.version, err, p.env))
	}
	return b
}

// run runs the peer and returns its stdout. Exit codes in okCodes are not failures (both peers
// exit non-zero when they find vulnerabilities).
func (p peerTool) run(t *testing.T, env []string, okCodes []int, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.path(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if ctx.Err() != nil || err != nil && !(errors.As(err, &ee) && slices.Contains(okCodes, ee.ExitCode())) {
		tail := stderr.Bytes()
		if len(tail) > 3000 {
			tail = tail[len(tail)-3000:]
		}
		t.Fatalf("%s %s: %v\nstderr:\n%s", p.name, strings.Join(args, " "), err, tail)
	}
	return stdout.Bytes()
}

// vulndataDir is the bundled OSV data, relative to this package.
const vulndataDir = "../../data/vulndb"

// osvZips are the ecosystems osv-scanner reads, each from the zip of the same name.
var osvZips = []string{"Go", "PyPI", "npm", "Debian"}

// rampartDB imports data/vulndb into a database under dir and returns the database directory.
func rampartDB(t *testing.T, dir string) string {
	t.Helper()
	db := filepath.Join(dir, "rampart-db")
	if res := testenv.Run(t, nil, "db", "import", "--db-dir", db, vulndataDir); res.Code != 0 {
		t.Fatalf("%v", res)
	}
	return db
}

// vulnScan runs `rampart image --scanners vuln -f json` on ref with the database in db: scan's
// run, its --scanners pkg overridden by the later flag.
func vulnScan(t *testing.T, db, ref string) *result.Report {
	t.Helper()
	return scan(t, nil, ref, "--scanners", "vuln", "--offline", "--db-dir", db)
}

// advisories returns the OSV records a vulnerability finding merged.
func advisories(f finding.Finding) []string {
	if a := f.Extra["advisories"]; a != "" {
		return strings.Split(a, ",")
	}
	return []string{f.ID}
}

// goVulnDB writes the records of data/vulndb/Go-all.zip under dir as a database in the Go
// vulnerability database's v1 layout, which govulncheck reads from a file:// URL:
//
//	index/db.json       {"modified": newest record's modified}
//	index/modules.json  [{"path": module, "vulns": [{"id", "modified"}]}], sorted by path and id
//	ID/<id>.json        the OSV record, unchanged
//
// A local database holds plain .json files (only the HTTP client asks for .json.gz). The index
// leaves out each vulnerability's "fixed" hint, with which govulncheck would skip reading records
// already fixed in the scanned version: without it every record of a module is read and the
// versions decided by the records' own ranges, as Rampart does.
func goVulnDB(t *testing.T, dir string) string {
	t.Helper()
	zr, err := zip.OpenReader(filepath.Join(vulndataDir, "Go-all.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	type vuln struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
	}
	type module struct {
		Path  string `json:"path"`
		Vulns []vuln `json:"vulns"`
	}
	db := filepath.Join(dir, "govulndb")
	if err := os.MkdirAll(filepath.Join(db, "ID"), 0o755); err != nil {
		t.Fatal(err)
	}
	modules := map[string]*module{}
	var newest time.Time
	for _, zf := range zr.File {
		if !strings.HasSuffix(zf.Name, ".json") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		var rec struct {
			vuln
			Affected []struct {
				Package struct{ Name string } `json:"package"`
			} `json:"affected"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		if rec.ID == "" || strings.ContainsAny(rec.ID, `/\`) {
			t.Fatalf("%s: bad id %q", zf.Name, rec.ID)
		}
		if err := os.WriteFile(filepath.Join(db, "ID", rec.ID+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if rec.Modified.After(newest) {
			newest = rec.Modified
		}
		seen := map[string]bool{}
		for _, a := range rec.Affected {
			p := a.Package.Name
			if seen[p] {
				continue
			}
			seen[p] = true
			if modules[p] == nil {
				modules[p] = &module{Path: p}
			}
			modules[p].Vulns = append(modules[p].Vulns, rec.vuln)
		}
	}
	if len(modules) == 0 {
		t.Fatal("Go-all.zip holds no records")
	}
	var index []*module
	for _, m := range modules {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		index = append(index, m)
	}
	sort.Slice(index, func(i, j int) bool { return index[i].Path < index[j].Path })
	writeJSON := func(name string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeJSON(filepath.Join(db, "index", "db.json"), map[string]time.Time{"modified": newest})
	writeJSON(filepath.Join(db, "index", "modules.json"), index)
	return db
}

// govulnFinding is the part of a govulncheck -json finding message the comparison reads.
type govulnFinding struct {
	OSV   string `json:"osv"`
	Trace []struct {
		Module   string `json:"module"`
		Version  string `json:"version"`
		Package  string `json:"package"`
		Function string `json:"function"`
		Receiver string `json:"receiver"`
	} `json:"trace"`
}

// runGovulncheck runs govulncheck in binary mode at the given scan level on bin with the
// database in db and returns its findings.
func runGovulncheck(t *testing.T, db, level, bin string) []govulnFinding {
	t.Helper()
	// Exit code 3 means "vulnerabilities found"; with -json it exits 0 either way.
	out := govulncheck.run(t, []string{"GOFLAGS=", "GOTOOLCHAIN=local"}, []int{3},
		"-mode", "binary", "-scan", level, "-json", "-db", "file://"+db, bin)
	dec := json.NewDecoder(bytes.NewReader(out))
	var fs []govulnFinding
	for {
		var msg struct {
			Finding *govulnFinding `json:"finding"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("govulncheck -scan %s %s: output is not a JSON stream: %v", level, bin, err)
		}
		if msg.Finding != nil {
			if len(msg.Finding.Trace) == 0 {
				t.Fatalf("govulncheck finding %s without a trace", msg.Finding.OSV)
			}
			fs = append(fs, *msg.Finding)
		}
	}
	return fs
}

// goKey is one module version and one Go advisory: "MODULE VERSION GO-ID", with the standard
// library's version written without govulncheck's "v" ("stdlib 1.20.14").
func goKey(module, version, id string) string {
	if module == "stdlib" || module == "toolchain" {
		version = strings.TrimPrefix(version, "v")
	}
	return module + " " + version + " " + id
}

// rampartGoFindings returns, for the Go binary at path in the image, each goKey Rampart reports
// with the finding's extra.symbol.
func rampartGoFindings(rep *result.Report, path string) map[string]string {
	out := map[string]string{}
	for _, f := range rep.Findings {
		if f.Kind != finding.KindVulnerability || f.Package == nil || f.Package.Ecosystem != "Go" || f.Location.Path != path {
			continue
		}
		for _, id := range advisories(f) {
			out[goKey(f.Package.Name, f.Package.Version, id)] = f.Extra["symbol"]
		}
	}
	return out
}

// TestGovulncheckAgrees compares Rampart's Go findings for the fixture's Go binaries (one built
// by the current toolchain, one by OldGo) with govulncheck's binary mode on the same advisories:
//
//   - module level (-scan module): the same advisories for the same module versions, stdlib
//     included;
//   - symbol level (-scan symbol): where govulncheck reports a vulnerable function in the
//     binary, Rampart says extra.symbol "present", and where it reports none, Rampart does not.
func TestGovulncheckAgrees(t *testing.T) {
	env := testenv.Load(t)
	govulncheck.path(t)
	dir := t.TempDir()
	db := goVulnDB(t, dir)
	rep := vulnScan(t, rampartDB(t, dir), "docker-archive:"+env.Fixtures.App.DockerArchive)
	if len(env.Fixtures.GoBinaries) < 2 {
		t.Fatalf("the fixture names %d Go binaries, want two toolchains", len(env.Fixtures.GoBinaries))
	}
	for imagePath, ctxPath := range env.Fixtures.GoBinaries {
		bin := filepath.Join(env.Fixtures.Context, ctxPath)
		t.Run(filepath.Base(imagePath), func(t *testing.T) {
			ours := rampartGoFindings(rep, imagePath)
			if len(ours) == 0 {
				t.Fatalf("Rampart reports no Go vulnerability for %s: nothing to compare", imagePath)
			}
			t.Run("module", func(t *testing.T) {
				theirs := map[string]bool{}
				for _, f := range runGovulncheck(t, db, "module", bin) {
					fr := f.Trace[0]
					theirs[goKey(fr.Module, fr.Version, f.OSV)] = true
				}
				checkUsed(t, nil, compareSets(t, "govulncheck -scan module", setOf(maps.Keys(ours)), theirs, nil))
			})
			t.Run("symbol", func(t *testing.T) {
				// The most precise level govulncheck reached for each advisory: a finding with a
				// function means a vulnerable symbol is in the binary.
				called := map[string]bool{}
				for _, f := range runGovulncheck(t, db, "symbol", bin) {
					fr := f.Trace[0]
					k := goKey(fr.Module, fr.Version, f.OSV)
					called[k] = called[k] || fr.Function != ""
				}
				var mismatch []string
				counts := map[string]int{}
				for _, k := range slices.Sorted(maps.Keys(ours)) {
					c, ok := called[k]
					if !ok {
						continue // a module-level difference, reported above
					}
					sym := ours[k]
					counts[fmt.Sprintf("govulncheck called=%v, Rampart %s", c, sym)]++
					if c != (sym == "present") {
						mismatch = append(mismatch, fmt.Sprintf("%s: govulncheck called=%v, Rampart symbol=%q", k, c, sym))
					}
				}
				// The fixture calls golang.org/x/text/language.Parse, which the compiler inlines:
				// only the pclntab's name table shows it is linked in.
				parse := goKey("golang.org/x/text", "v0.3.5", "GO-2021-0113")
				if !called[parse] || ours[parse] != "present" {
					t.Errorf("%s: govulncheck called=%v, Rampart symbol=%q; want both to see the inlined language.Parse", parse, called[parse], ours[parse])
				}
				for _, c := range slices.Sorted(maps.Keys(counts)) {
					t.Logf("%s: %d advisories", c, counts[c])
				}
				if len(mismatch) > 0 {
					t.Errorf("symbol results differ from govulncheck -scan symbol:\n%s", strings.Join(mismatch, "\n"))
				}
			})
		})
	}
}

func setOf(keys iter.Seq[string]) map[string]bool {
	out := map[string]bool{}
	for k := range keys {
		out[k] = true
	}
	return out
}

// expectedDiff is a documented difference between Rampart and a peer: keys only one side
// reports, for a reason docs/vuln-comparison.md explains with the advisory that shows who is
// right. Each rule must match at least one difference, so that a rule that no longer applies
// (a fix on either side) fails the test until it is removed.
type expectedDiff struct {
	onlyRampart bool // the key is Rampart's only; else the peer's only
	match       func(key string) bool
	reason      string
}

// compareSets fails the test on every key that only one side has and no rule in expected
// explains, and returns how many keys each rule explained; the caller fails on a rule that
// explains nothing in any of its comparisons. It logs the counts for the documentation.
func compareSets(t *testing.T, peer string, ours, theirs map[string]bool, expected []expectedDiff) []int {
	t.Helper()
	used := make([]int, len(expected))
	var both, onlyOurs, onlyTheirs, unexplained []string
	classify := func(k string, rampartOnly bool) {
		for i, e := range expected {
			if e.onlyRampart == rampartOnly && e.match(k) {
				used[i]++
				return
			}
		}
		side := peer + " only"
		if rampartOnly {
			side = "Rampart only"
		}
		unexplained = append(unexplained, side+": "+k)
	}
	for _, k := range slices.Sorted(maps.Keys(ours)) {
		if theirs[k] {
			both = append(both, k)
			continue
		}
		onlyOurs = append(onlyOurs, k)
		classify(k, true)
	}
	for _, k := range slices.Sorted(maps.Keys(theirs)) {
		if !ours[k] {
			onlyTheirs = append(onlyTheirs, k)
			classify(k, false)
		}
	}
	t.Logf("%s: %d pairs found by both, %d only by Rampart, %d only by %s", peer, len(both), len(onlyOurs), len(onlyTheirs), peer)
	for i, e := range expected {
		t.Logf("  expected difference (%d pairs): %s", used[i], e.reason)
	}
	if len(both) == 0 {
		t.Errorf("no pair found by both Rampart and %s: the comparison proves nothing", peer)
	}
	if len(unexplained) > 0 {
		t.Errorf("%d differences from %s not in the documented list:\n%s", len(unexplained), peer, strings.Join(unexplained, "\n"))
	}
	return used
}

// checkUsed fails the test for every rule of expected that explained no difference.
func checkUsed(t *testing.T, expected []expectedDiff, used []int) {
	t.Helper()
	for i, e := range expected {
		if used[i] == 0 {
			t.Errorf("expected difference no longer seen, remove it from the list and docs/vuln-comparison.md: %s", e.reason)
		}
	}
}

// osvKey is one package and one OSV record: "ECOSYSTEM NAME VERSION ID". A Debian package is
// named "SOURCE/BINARY" (osv-scanner reports each binary package under its source name); Go
// versions are written without the "v" osv-scanner drops.
func osvKey(eco, source, name, version, id string) string {
	if source != "" {
		name = source + "/" + name
	}
	if eco == "Go" {
		version = strings.TrimPrefix(version, "v")
	}
	return eco + " " + name + " " + version + " " + id
}

// rampartOSVKeys returns a group key for every vulnerability finding: its osvKey with the
// records it merged as the ID, sorted and joined by "+".
func rampartOSVKeys(rep *result.Report) map[string]bool {
	out := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Kind != finding.KindVulnerability || f.Package == nil {
			continue
		}
		source := ""
		if strings.HasPrefix(f.Package.Ecosystem, "Debian") {
			source = cmpOr(f.Package.Source, f.Package.Name)
		}
		out[osvKey(f.Package.Ecosystem, source, f.Package.Name, f.Package.Version, strings.Join(advisories(f), "+"))] = true
	}
	return out
}

// groupRecords splits a group key ("… ID1+ID2") into the record keys it merged.
func groupRecords(group string) []string {
	i := strings.LastIndexByte(group, ' ')
	var out []string
	for id := range strings.SplitSeq(group[i+1:], "+") {
		out = append(out, group[:i+1]+id)
	}
	return out
}

// records returns the record keys of a set of group keys.
func records(groups map[string]bool) map[string]bool {
	out := map[string]bool{}
	for g := range groups {
		for _, k := range groupRecords(g) {
			out[k] = true
		}
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// runOSVScanner scans a docker archive with osv-scanner, offline, on the bundled zips, and
// returns a group key for every package and group of aliased records it reports.
func runOSVScanner(t *testing.T, archive string) map[string]bool {
	t.Helper()
	// osv-scanner reads <dir>/osv-scalibr/<Ecosystem>/all.zip.
	dbDir := filepath.Join(t.TempDir(), "osvdb")
	for _, eco := range osvZips {
		dir := filepath.Join(dbDir, "osv-scalibr", eco)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(vulndataDir, eco+"-all.zip"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "all.zip"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Exit code 1 means "vulnerabilities found". The image's Java package makes osv-scanner
	// complain when its zip is not among osvZips; the comparison covers the ecosystems of osvZips.
	out := osvScanner.run(t, []string{"OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY=" + dbDir}, []int{1},
		"scan", "image", "--archive", archive, "--offline", "--format", "json")
	var res struct {
		Results []struct {
			Packages []struct {
				Package struct {
					Name          string `json:"name"`
					OSPackageName string `json:"os_package_name"`
					Version       string `json:"version"`
					Ecosystem     string `json:"ecosystem"`
				} `json:"package"`
				Groups []struct {
					IDs []string `json:"ids"`
				} `json:"groups"`
			} `json:"packages"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("osv-scanner output is not JSON: %v", err)
	}
	keys := map[string]bool{}
	for _, r := range res.Results {
		for _, p := range r.Packages {
			pk := p.Package
			source, name := "", pk.Name
			if pk.OSPackageName != "" {
				source, name = pk.Name, pk.OSPackageName
			}
			for _, g := range p.Groups {
				ids := slices.Sorted(slices.Values(g.IDs))
				keys[osvKey(pk.Ecosystem, source, name, pk.Version, strings.Join(ids, "+"))] = true
			}
		}
	}
	return keys
}

// pairs returns a rule matcher for the keys of the given packages ("ECOSYSTEM NAME", any
// version) and, when ids is not empty, only those records. Versions are left out on purpose: the
// base image is debootstrapped from the Debian mirror of the day, and its package versions move.
func pairs(packages []string, ids ...string) func(string) bool {
	return func(k string) bool {
		f := strings.Fields(k)
		if len(f) != 4 {
			return false
		}
		return slices.Contains(packages, f[0]+" "+f[1]) && (len(ids) == 0 || slices.Contains(ids, f[3]))
	}
}

// osvScannerDifferences are the differences docs/vuln-comparison.md explains, each with the
// advisory that shows who is right. Keep the two in step.
var osvScannerDifferences = []expectedDiff{
	{
		onlyRampart: true,
		match: pairs([]string{"Debian:12 perl/perl-base", "Debian:12 python3.11/python3.11", "Debian:12 python3.11/python3.11-minimal",
			"Debian:12 ruby3.1/ruby3.1"}),
		reason: "osv-scanner's image scan reports no record for these four binary packages, though it " +
			"reports the same records for their siblings of the same source and version " +
			"(libpython3.11-stdlib, libruby3.1) and for perl-base in an image holding its dpkg entry " +
			"alone; e.g. DEBIAN-CVE-2026-7010 is fixed in perl 5.36.0-7+deb12u4, above the installed deb12u3",
	},
	{
		match: pairs([]string{"PyPI certifi", "PyPI idna"}, "PYSEC-2022-42986", "PYSEC-2023-135", "PYSEC-2024-60"),
		reason: "osv-scanner matches upstream PyPI advisories against the dist-info Debian's python3-certifi " +
			"and python3-idna install; Rampart leaves Debian-owned language packages to Debian's advisories " +
			"(python3-idna 3.3-1+deb12u1 is Debian's fix of CVE-2024-3651, DEBIAN-CVE-2024-3651; Debian's " +
			"certifi returns the system CA bundle, not the bundled roots CVE-2022-23491 and CVE-2023-37920 concern)",
	},
	{
		match: pairs([]string{"Go golang.org/x/sys", "Go stdlib"}, "GO-2026-5024", "GO-2025-3447", "GO-2025-3750"),
		reason: "osv-scanner ignores the platforms Go advisories name; these concern only goos windows " +
			"(GO-2026-5024, GO-2025-3750) or goarch ppc64le (GO-2025-3447), and the binaries are " +
			"linux/amd64 (govulncheck agrees with Rampart)",
	},
}

// TestOSVScannerAgrees compares the (ecosystem, package, version, OSV record) pairs Rampart and
// osv-scanner report for each fixture image, scanned offline with the same OSV zips: every
// difference must be one osvScannerDifferences explains, and every rule must explain one.
func TestOSVScannerAgrees(t *testing.T) {
	env := testenv.Load(t)
	osvScanner.path(t)
	db := rampartDB(t, t.TempDir())
	used := make([]int, len(osvScannerDifferences))
	for _, img := range []struct {
		name string
		fx   testenv.Image
	}{
		{"app", env.Fixtures.App}, {"whiteout", env.Fixtures.Whiteout}, {"second", env.Fixtures.Second}, {"base", env.Fixtures.Base},
	} {
		t.Run(img.name, func(t *testing.T) {
			archive := img.fx.DockerArchive
			if archive == "" {
				t.Fatalf("the %s fixture has no docker archive", img.name)
			}
			ours := vulnScan(t, db, "docker-archive:"+archive)
			oursGroups := rampartOSVKeys(ours)
			theirs := runOSVScanner(t, archive)
			for i, n := range compareSets(t, "osv-scanner", records(oursGroups), records(theirs), osvScannerDifferences) {
				used[i] += n
			}
			compareGroups(t, oursGroups, theirs)
		})
	}
	checkUsed(t, osvScannerDifferences, used)
}

// compareGroups checks alias merging: where both sides report every record of a group, both
// merged the same records into it.
func compareGroups(t *testing.T, ours, theirs map[string]bool) {
	t.Helper()
	ro, rt := records(ours), records(theirs)
	both := func(groups map[string]bool) []string {
		var out []string
		for g := range groups {
			if !slices.ContainsFunc(groupRecords(g), func(k string) bool { return !ro[k] || !rt[k] }) {
				out = append(out, g)
			}
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff(both(theirs), both(ours)); diff != "" {
		t.Errorf("records merged into findings differ from osv-scanner's groups (-osv-scanner +Rampart):\n%s", diff)
	}
	t.Logf("alias groups found by both: %d", len(both(ours)))
}
