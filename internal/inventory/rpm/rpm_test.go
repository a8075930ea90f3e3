package rpm

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"hash/adler32"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/golden"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files and, where rpm is installed, the committed databases")

// The committed databases, by backend. rpmdb.sqlite was written by rpm 4.18 installing the
// packages built from testdata/specs; Packages is a Berkeley DB hash database written by
// db5.3_load with the same headers (rpm 4.18 reads but no longer writes that backend), and
// Packages.bigendian the same in big-endian byte order, as a big-endian host writes it; Packages.db
// is an ndb file written by writeNDB below, since Debian's rpm is built without ndb.
var committed = []struct{ file, path string }{
	{"rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite"},
	{"Packages", "var/lib/rpm/Packages"},
	{"Packages.bigendian", "var/lib/rpm/Packages"},
	{"Packages.db", "usr/lib/sysimage/rpm/Packages.db"},
}

// goldenPackage is a package as the golden file records it: with its files, which the JSON
// form of inventory.Package leaves out.
type goldenPackage struct {
	inventory.Package
	Files []string `json:"files"`
}

func analyzeFile(t testing.TB, name, path string) []inventory.Package {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := (Analyzer{TempDir: t.TempDir()}).Analyze(context.Background(),
		&inventory.File{Path: path, Content: bytes.NewReader(b), Size: int64(len(b))})
	if err != nil {
		t.Fatalf("Analyze(%s): %v", name, err)
	}
	if res == nil {
		t.Fatalf("Analyze(%s): no result", name)
	}
	return res.Packages
}

func sortPackages(pkgs []inventory.Package) {
	slices.SortFunc(pkgs, func(a, b inventory.Package) int { return strings.Compare(a.Name, b.Name) })
}

func TestCommittedGolden(t *testing.T) {
	pkgs := analyzeFile(t, filepath.Join("testdata", "rpmdb.sqlite"), "var/lib/rpm/rpmdb.sqlite")
	sortPackages(pkgs)
	var gp []goldenPackage
	for _, p := range pkgs {
		gp = append(gp, goldenPackage{Package: p, Files: p.Files})
	}
	got, err := json.MarshalIndent(gp, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	goldenFile := filepath.Join("testdata", "rpmdb.golden")
	golden.Check(t, goldenFile, got, *update)
}

// TestCommittedBackends reads the same three headers from each backend: the results must agree,
// and match what the specs say.
func TestCommittedBackends(t *testing.T) {
	var first []inventory.Package
	for _, c := range committed {
		t.Run(c.file, func(t *testing.T) {
			pkgs := analyzeFile(t, filepath.Join("testdata", c.file), c.path)
			sortPackages(pkgs)
			for i := range pkgs {
				if pkgs[i].Path != c.path {
					t.Errorf("%s: Path = %q", pkgs[i].Name, pkgs[i].Path)
				}
				pkgs[i].Path = ""
			}
			if first == nil {
				first = pkgs
				checkSpecFacts(t, pkgs)
				return
			}
			if diff := cmp.Diff(first, pkgs); diff != "" {
				t.Errorf("%s differs from rpmdb.sqlite (-sqlite +%s):\n%s", c.file, c.file, diff)
			}
		})
	}
}

// checkSpecFacts checks what testdata/specs declares, independently of any golden file.
func checkSpecFacts(t *testing.T, pkgs []inventory.Package) {
	t.Helper()
	want := []inventory.Package{
		{Type: inventory.TypeRPM, Name: "rampart-hello", Version: "2:1.2.3-4.el9", Arch: "x86_64",
			SourceName: "rampart-hello", SourceVersion: "2:1.2.3-4.el9", Licenses: []string{"MIT"},
			Files: []string{"etc/rampart-hello.conf", "usr/bin/rampart-hello", "usr/share/rampart-hello", "usr/share/rampart-hello/README"}},
		{Type: inventory.TypeRPM, Name: "rampart-libs", Version: "0.9-1", Arch: "noarch",
			SourceName: "rampart-tools", SourceVersion: "0.9-1", Licenses: []string{"BSD-3-Clause"},
			Files: []string{"usr/lib/rampart/libdata.txt"}},
		{Type: inventory.TypeRPM, Name: "rampart-tools", Version: "0.9-1", Arch: "noarch",
			SourceName: "rampart-tools", SourceVersion: "0.9-1", Licenses: []string{"Apache-2.0 AND BSD-3-Clause"},
			Files: []string{"usr/bin/rampart-tool"}},
	}
	if diff := cmp.Diff(want, pkgs); diff != "" {
		t.Errorf("packages differ from the specs (-want +got):\n%s", diff)
	}
}

// TestGenerated builds the spec packages with rpmbuild, installs them with rpm into a fresh root,
// derives the Berkeley DB and ndb files from that database, and compares the analyzer with what
// rpm itself reports (for the Berkeley DB file through rpm's read-only bdb_ro backend). With
// -update it replaces the committed databases.
func TestGenerated(t *testing.T) {
	for _, tool := range []string{"rpm", "rpmbuild", "db5.3_load"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, fmt.Sprintf("%s not installed (apt-get install rpm db5.3-util)", tool))
		}
	}
	dir := t.TempDir()
	top, root := filepath.Join(dir, "top"), filepath.Join(dir, "root")
	specs, err := filepath.Glob(filepath.Join("testdata", "specs", "*.spec"))
	if err != nil || len(specs) == 0 {
		t.Fatalf("specs: %v %v", specs, err)
	}
	for _, s := range specs {
		run(t, "rpmbuild", "--define", "_topdir "+top, "--define", "_buildhost rampart.test", "-bb", s)
	}
	rpms, err := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
	if err != nil || len(rpms) != 3 {
		t.Fatalf("built %v, %v; want 3 packages", rpms, err)
	}
	run(t, "rpm", append([]string{"--root", root, "--dbpath", "/var/lib/rpm", "--nodeps", "--noscripts", "--ignoreos", "-i"}, rpms...)...)
	sqlitePath := filepath.Join(root, "var", "lib", "rpm", "rpmdb.sqlite")
	truth := query(t, root, "sqlite")
	if len(truth) != 3 {
		t.Fatalf("rpm -qa lists %d packages, want 3", len(truth))
	}

	blobs := headers(t, sqlitePath)
	bdbPaths := map[binary.AppendByteOrder]string{}
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		bdbRoot := filepath.Join(dir, "bdb-"+order.String())
		bdbPaths[order] = filepath.Join(bdbRoot, "var", "lib", "rpm", "Packages")
		writeBDB(t, bdbPaths[order], blobs, order)
		if diff := cmp.Diff(truth, query(t, bdbRoot, "bdb_ro")); diff != "" {
			t.Fatalf("rpm reads the %s Berkeley DB differently (-sqlite +bdb):\n%s", order, diff)
		}
	}
	bdbPath, bdbBE := bdbPaths[binary.LittleEndian], bdbPaths[binary.BigEndian]
	ndbPath := filepath.Join(dir, "Packages.db")
	writeNDB(t, ndbPath, blobs)

	for _, c := range []struct{ name, file, path string }{
		{"sqlite", sqlitePath, "var/lib/rpm/rpmdb.sqlite"},
		{"bdb", bdbPath, "var/lib/rpm/Packages"},
		{"bdb big-endian", bdbBE, "var/lib/rpm/Packages"},
		{"ndb", ndbPath, "usr/lib/sysimage/rpm/Packages.db"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pkgs := analyzeFile(t, c.file, c.path)
			got := map[string]string{}
			for _, p := range pkgs {
				got[p.Name] = describe(p.Name, p.Version, p.Arch, p.SourceName+" "+p.SourceVersion, strings.Join(p.Licenses, ","), p.Files)
			}
			if diff := cmp.Diff(truth, got); diff != "" {
				t.Errorf("analyzer differs from rpm -qa (-rpm +analyzer):\n%s", diff)
			}
		})
	}
	if *update {
		for _, c := range []struct{ from, to string }{{sqlitePath, "rpmdb.sqlite"}, {bdbPath, "Packages"}, {bdbBE, "Packages.bigendian"}, {ndbPath, "Packages.db"}} {
			b, err := os.ReadFile(c.from)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata", c.to), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// query asks rpm for every package of root's database, as name → description.
func query(t *testing.T, root, backend string) map[string]string {
	t.Helper()
	const sep = "\x1f"
	qf := strings.Join([]string{"%{NAME}", "%{EPOCH}", "%{VERSION}", "%{RELEASE}", "%{ARCH}", "%{SOURCERPM}", "%{LICENSE}", "[%{FILENAMES}:]"}, sep) + "\n"
	out, err := exec.Command("rpm", "--root", root, "--dbpath", "/var/lib/rpm", "--define", "_db_backend "+backend,
		"-qa", "--qf", qf).Output()
	if err != nil {
		t.Fatalf("rpm -qa (%s): %v", backend, err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, sep)
		if len(f) != 8 {
			t.Fatalf("rpm -qa line %q", line)
		}
		epoch := ""
		if f[1] != "(none)" && f[1] != "0" {
			epoch = f[1] + ":"
		}
		srcName, srcVR, ok := ParseSourceRPM(f[5])
		if !ok {
			t.Fatalf("source rpm %q", f[5])
		}
		var files []string
		for _, p := range strings.Split(strings.TrimSuffix(f[7], ":"), ":") {
			files = append(files, strings.TrimPrefix(p, "/"))
		}
		m[f[0]] = describe(f[0], epoch+f[2]+"-"+f[3], f[4], srcName+" "+epoch+srcVR, f[6], files)
	}
	return m
}

func describe(name, version, arch, source, license string, files []string) string {
	return fmt.Sprintf("%s %s %s src=%s lic=%s files=%v", name, version, arch, source, license, files)
}

// headers returns the header blobs of an rpm SQLite database, by package number.
func headers(t *testing.T, name string) map[uint32][]byte {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+name+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT hnum, blob FROM Packages")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[uint32][]byte{}
	for rows.Next() {
		var n uint32
		var b []byte
		if err := rows.Scan(&n, &b); err != nil {
			t.Fatal(err)
		}
		m[n] = b
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// writeBDB writes blobs as rpm's Berkeley DB Packages file: a hash database keyed by the
// package number, in the byte order of the host that wrote it, by db5.3_load.
func writeBDB(t *testing.T, name string, blobs map[uint32][]byte, order binary.AppendByteOrder) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	lorder := 1234
	if order == binary.BigEndian {
		lorder = 4321
	}
	fmt.Fprintf(&in, "VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\ndb_lorder=%d\nHEADER=END\n", lorder)
	for _, n := range slices.Sorted(maps.Keys(blobs)) {
		key := order.AppendUint32(nil, n)
		fmt.Fprintf(&in, " %s\n %s\n", hex.EncodeToString(key), hex.EncodeToString(blobs[n]))
	}
	in.WriteString("DATA=END\n")
	cmd := exec.Command("db5.3_load", name)
	cmd.Stdin = strings.NewReader(in.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("db5.3_load: %v\n%s", err, out)
	}
}

// writeNDB writes blobs in rpm's ndb format (lib/backend/ndb/rpmpkg.c): a 32-byte header, one
// 4 KiB page of 16-byte slots, then 16-byte-aligned blobs with a header and a checksummed tail.
func writeNDB(t *testing.T, name string, blobs map[uint32][]byte) {
	t.Helper()
	le := binary.LittleEndian
	const page, blk = 4096, 16
	out := make([]byte, page)
	nums := slices.Sorted(maps.Keys(blobs))
	le.PutUint32(out[0:], ndbMagic)
	le.PutUint32(out[8:], 1)                    // generation
	le.PutUint32(out[12:], 1)                   // slot pages
	le.PutUint32(out[16:], nums[len(nums)-1]+1) // next package index
	for i := 32; i < page; i += blk {
		le.PutUint32(out[i:], ndbSlot)
	}
	for i, n := range nums {
		b := blobs[n]
		off := len(out)
		blob := make([]byte, 16, 16+len(b)+12+blk)
		le.PutUint32(blob[0:], ndbBlob)
		le.PutUint32(blob[4:], n)
		le.PutUint32(blob[8:], 1)
		le.PutUint32(blob[12:], uint32(len(b)))
		blob = append(blob, b...)
		for (len(blob)+12)%blk != 0 {
			blob = append(blob, 0)
		}
		blob = le.AppendUint32(blob, adler32.Checksum(blob))
		blob = le.AppendUint32(blob, uint32(len(b)))
		blob = le.AppendUint32(blob, 'B'|'l'<<8|'b'<<16|'E'<<24)
		out = append(out, blob...)
		slot := out[32+i*blk:]
		le.PutUint32(slot[4:], n)
		le.PutUint32(slot[8:], uint32(off/blk))
		le.PutUint32(slot[12:], uint32(len(blob)/blk))
	}
	if err := os.WriteFile(name, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseSourceRPM(t *testing.T) {
	tests := []struct {
		in, name, vr string
		ok           bool
	}{
		{"bash-5.1.8-6.el9.src.rpm", "bash", "5.1.8-6.el9", true},
		{"python3-pip-21.3.1-1.fc36.src.rpm", "python3-pip", "21.3.1-1.fc36", true},
		{"kernel-5.14.0-362.8.1.el9_3.nosrc.rpm", "kernel", "5.14.0-362.8.1.el9_3", true},
		{"(none)", "", "", false},
		{"", "", "", false},
		{"bash-5.1.src.rpm", "", "", false},
		{"-1-2.src.rpm", "", "", false},
		{"a--2.src.rpm", "", "", false},
		{"a-1-.src.rpm", "", "", false},
		{"bash-5.1.8-6.el9.x86_64.rpm", "", "", false},
	}
	for _, tt := range tests {
		name, vr, ok := ParseSourceRPM(tt.in)
		if name != tt.name || vr != tt.vr || ok != tt.ok {
			t.Errorf("ParseSourceRPM(%q) = %q, %q, %v; want %q, %q, %v", tt.in, name, vr, ok, tt.name, tt.vr, tt.ok)
		}
	}
}

func TestRequired(t *testing.T) {
	for p, want := range map[string]bool{
		"var/lib/rpm/rpmdb.sqlite":          true,
		"usr/lib/sysimage/rpm/rpmdb.sqlite": true,
		"var/lib/rpm/Packages":              true,
		"var/lib/rpm/Packages.db":           true,
		"usr/lib/sysimage/rpm/Packages.db":  true,
		"var/lib/rpm/Name":                  false,
		"var/lib/rpm/rpmdb.sqlite-wal":      false,
		"usr/lib/sysimage/rpm/Packages":     false,
	} {
		if got := (Analyzer{}).Required(p, nil); got != want {
			t.Errorf("Required(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestInvalid(t *testing.T) {
	sqliteDB, err := os.ReadFile(filepath.Join("testdata", "rpmdb.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	ndb, err := os.ReadFile(filepath.Join("testdata", "Packages.db"))
	if err != nil {
		t.Fatal(err)
	}
	badNDB := bytes.Clone(ndb)
	binary.LittleEndian.PutUint32(badNDB[4096+12:], 1<<31) // first blob claims 2 GiB
	tests := []struct {
		name, path string
		data       []byte
	}{
		{"text", "var/lib/rpm/Packages", []byte("not a database at all, but long enough to be read as one ......................................................................")},
		{"short", "var/lib/rpm/Packages", []byte{1, 2, 3}},
		{"truncated sqlite", "var/lib/rpm/rpmdb.sqlite", sqliteDB[:4096]},
		{"ndb blob length", "var/lib/rpm/Packages.db", badNDB},
		{"truncated ndb", "var/lib/rpm/Packages.db", ndb[:4000]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := (Analyzer{TempDir: t.TempDir()}).Analyze(context.Background(),
				&inventory.File{Path: tt.path, Content: bytes.NewReader(tt.data), Size: int64(len(tt.data))})
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, c := range committed {
		b, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	paths := []string{"var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/Packages", "var/lib/rpm/Packages.db"}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		// The backend is chosen by content; the path only names the file.
		res, err := (Analyzer{TempDir: dir}).Analyze(context.Background(),
			&inventory.File{Path: paths[len(b)%len(paths)], Content: bytes.NewReader(b), Size: int64(len(b))})
		if err != nil {
			return
		}
		if res != nil {
			for _, p := range res.Packages {
				if p.Name == "" || p.Type != inventory.TypeRPM {
					t.Fatalf("bad package %+v", p)
				}
			}
		}
	})
}
