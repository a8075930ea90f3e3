package dpkg

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/rampartsec/rampart/internal/golden"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fileInfo is the little of fs.FileInfo that Required may look at.
type fileInfo struct {
	name string
	size int64
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return 0o644 }
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return false }
func (fi fileInfo) Sys() any           { return nil }

// fileResult is one file's result as the golden files record it.
type fileResult struct {
	Path   string
	Result *inventory.Result
}

// analyzeTree runs the analyzer over a txtar file tree as the layer walker would: Required
// first, then Analyze on the files it wants.
func analyzeTree(t *testing.T, archive string) []fileResult {
	t.Helper()
	ar, err := txtar.ParseFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	var a Analyzer
	var out []fileResult
	for _, f := range ar.Files {
		info := fileInfo{name: filepath.Base(f.Name), size: int64(len(f.Data))}
		if !a.Required(f.Name, info) {
			continue
		}
		res, err := a.Analyze(context.Background(), &inventory.File{Path: f.Name, Info: info,
			Content: bytes.NewReader(f.Data), Size: info.size})
		if err != nil {
			t.Fatalf("Analyze(%s): %v", f.Name, err)
		}
		if res != nil {
			out = append(out, fileResult{Path: f.Name, Result: res})
		}
	}
	return out
}

func TestAnalyzeGolden(t *testing.T) {
	for _, name := range []string{"debian12", "distroless"} {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(analyzeTree(t, filepath.Join("testdata", name+".txtar")), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			goldenFile := filepath.Join("testdata", name+".golden")
			golden.Check(t, goldenFile, got, *update)
		})
	}
}

// TestAnalyzeFacts checks, independently of the golden file, the facts the task depends on.
func TestAnalyzeFacts(t *testing.T) {
	res := analyzeTree(t, filepath.Join("testdata", "debian12.txtar"))
	byPath := map[string]*inventory.Result{}
	for _, r := range res {
		byPath[r.Path] = r.Result
	}
	st := byPath["var/lib/dpkg/status"]
	if st == nil || len(st.Packages) != 8 || st.Distroless {
		t.Fatalf("status result = %+v, want 8 packages, not distroless", st)
	}
	pkgs := map[string]inventory.Package{}
	for _, p := range st.Packages {
		pkgs[p.Name] = p
	}
	// bash is a binNMU: the binary version differs from its source's.
	if p := pkgs["bash"]; p.SourceName != "bash" || p.SourceVersion != "5.2.15-2" || p.Version != "5.2.15-2+b8" {
		t.Errorf("bash = %+v", p)
	}
	if p := pkgs["libssl3"]; p.SourceName != "openssl" || p.SourceVersion != p.Version {
		t.Errorf("libssl3 = %+v", p)
	}
	if p := pkgs["tzdata"]; p.Arch != "all" || p.SourceName != "tzdata" {
		t.Errorf("tzdata = %+v", p)
	}
	own := byPath["var/lib/dpkg/info/zlib1g:amd64.list"]
	if own == nil || len(own.Owners["deb:zlib1g"]) == 0 {
		t.Fatalf("zlib1g owners = %+v", own)
	}
	for _, f := range own.Owners["deb:zlib1g"] {
		if strings.HasPrefix(f, "/") || f == "" || f == "." {
			t.Errorf("owner path %q", f)
		}
	}
	if !slices.Contains(byPath["var/lib/dpkg/info/python3-yaml.list"].Owners["deb:python3-yaml"], "usr/lib/python3/dist-packages/yaml") {
		t.Error("python3-yaml owners miss its package directory")
	}
	if _, ok := byPath["var/lib/dpkg/info/python3-yaml.md5sums"]; ok {
		t.Error("md5sums file was analyzed")
	}
	dl := analyzeTree(t, filepath.Join("testdata", "distroless.txtar"))
	if len(dl) != 4 {
		t.Fatalf("distroless: %d results, want 4 (md5sums skipped)", len(dl))
	}
	for _, r := range dl {
		if !r.Result.Distroless || len(r.Result.Packages) != 1 {
			t.Errorf("%s: %+v", r.Path, r.Result)
		}
	}
}

func TestRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"var/lib/dpkg/status", true},
		{"var/lib/dpkg/status-old", false},
		{"var/lib/dpkg/status.d/libc6", true},
		{"var/lib/dpkg/status.d/libc6.md5sums", false},
		{"var/lib/dpkg/status.d/", false},
		{"var/lib/dpkg/status.d/sub/x", false},
		{"var/lib/dpkg/info/libc6:amd64.list", true},
		{"var/lib/dpkg/info/bash.list", true},
		{"var/lib/dpkg/info/.list", false},
		{"var/lib/dpkg/info/bash.md5sums", false},
		{"var/lib/dpkg/info/bash.postinst", false},
		{"usr/var/lib/dpkg/status", false},
	}
	for _, tt := range tests {
		if got := (Analyzer{}).Required(tt.path, fileInfo{}); got != tt.want {
			t.Errorf("Required(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	deb := func(name, version, arch, srcName, srcVersion string) inventory.Package {
		return inventory.Package{Type: inventory.TypeDpkg, Name: name, Version: version, Arch: arch,
			SourceName: srcName, SourceVersion: srcVersion}
	}
	tests := []struct {
		name string
		in   string
		want []inventory.Package
	}{
		{
			name: "states",
			in: "Package: a\nStatus: install ok installed\nVersion: 1\n\n" +
				"Package: b\nStatus: deinstall ok config-files\nVersion: 1\n\n" +
				"Package: c\nStatus: install reinstreq half-installed\nVersion: 2\n\n" +
				"Package: d\nStatus: purge ok not-installed\n\n" +
				"Package: e\nStatus: install ok unpacked\nVersion: 3\n\n" +
				"Package: f\nStatus: hold ok installed\nVersion: 4\n\n" +
				"Package: g\nStatus: install ok triggers-pending\nVersion: 5\n\n" +
				"Package: h\nStatus: \nVersion: 6\n",
			want: []inventory.Package{deb("a", "1", "", "a", "1"), deb("c", "2", "", "c", "2"),
				deb("e", "3", "", "e", "3"), deb("f", "4", "", "f", "4"), deb("g", "5", "", "g", "5")},
		},
		{
			name: "crlf continuation and case",
			in: "package: x\r\nstatus: install ok installed\r\nDescription: one\r\n two\r\n .\r\n" +
				"VERSION: 1:2.0-1\r\nArchitecture: arm64\r\nSource: y (2.0-0.1)\r\n\r\n\r\n",
			want: []inventory.Package{deb("x", "1:2.0-1", "arm64", "y", "2.0-0.1")},
		},
		{
			name: "no status line counts as installed",
			in:   "Package: z\nVersion: 1\nSource: zz\n",
			want: []inventory.Package{deb("z", "1", "", "zz", "1")},
		},
		{
			name: "no package field",
			in:   "Version: 1\nStatus: install ok installed\n\nnot a field\n",
		},
		{
			name: "source without closing paren keeps binary version",
			in:   "Package: p\nVersion: 1\nSource: q (2\n",
			want: []inventory.Package{deb("p", "1", "", "q", "1")},
		},
		{
			name: "huge line",
			in:   "Package: big\nDescription: " + strings.Repeat("x", 3*maxLine) + "\nVersion: 9\n",
			want: []inventory.Package{deb("big", "9", "", "big", "9")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(context.Background(), strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Parse(ctx, strings.NewReader("Package: a\n")); err == nil {
		t.Error("Parse with a canceled context returned no error")
	}
}

// TestHostStatus parses this machine's whole dpkg database and compares it with what dpkg-query,
// the independent truth, says is installed.
func TestHostStatus(t *testing.T) {
	const status = "/var/lib/dpkg/status"
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		testenv.Missing(t, "dpkg-query not installed")
	}
	if _, err := os.Stat(status); err != nil {
		testenv.Missing(t, fmt.Sprintf("no dpkg database: %v", err))
	}
	// An apt run between reading the file and asking dpkg-query would make them disagree: take a
	// snapshot that is the same before and after the query.
	var db, out []byte
	for attempt := 0; ; attempt++ {
		before, err := os.ReadFile(status)
		if err != nil {
			t.Fatal(err)
		}
		out, err = exec.Command("dpkg-query", "-W", "-f", "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n").Output()
		if err != nil {
			t.Fatalf("dpkg-query: %v", err)
		}
		after, err := os.ReadFile(status)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(before, after) {
			db = after
			break
		}
		if attempt == 5 {
			t.Skip("dpkg database keeps changing (apt running?)")
		}
		time.Sleep(2 * time.Second)
	}
	var want []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 4 || len(fields[3]) < 2 {
			t.Fatalf("dpkg-query line %q", sc.Text())
		}
		// Second letter of the abbreviation is the state: n(ot-installed) and c(onfig-files) leave
		// no program files; i, U, F, H, W and t do.
		if strings.ContainsRune("iUFHWt", rune(fields[3][1])) {
			want = append(want, strings.Join(fields[:3], " "))
		}
	}
	pkgs, err := Parse(context.Background(), bytes.NewReader(db))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, 0, len(pkgs))
	for _, p := range pkgs {
		got = append(got, p.Name+" "+p.Version+" "+p.Arch)
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) == 0 {
		t.Fatal("dpkg-query lists no installed package")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("host packages mismatch (-dpkg-query +Parse):\n%s", diff)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"debian12.txtar", "distroless.txtar"} {
		ar, err := txtar.ParseFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			f.Add(file.Data)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, err := Parse(context.Background(), bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		// Every package comes from a Package line: at most one per line of input.
		if len(pkgs) > bytes.Count(b, []byte("\n"))+1 {
			t.Fatalf("%d packages from %d lines", len(pkgs), bytes.Count(b, []byte("\n"))+1)
		}
		for _, p := range pkgs {
			if p.Name == "" || p.SourceName == "" || len(p.Name) > maxLine {
				t.Fatalf("bad package %+v", p)
			}
		}
		res, err := (Analyzer{}).Analyze(context.Background(), &inventory.File{Path: "var/lib/dpkg/info/x:amd64.list",
			Content: bytes.NewReader(b), Size: int64(len(b))})
		if err != nil {
			t.Fatal(err)
		}
		if res != nil {
			for _, p := range res.Owners["deb:x"] {
				if strings.HasPrefix(p, "/") || p == "" {
					t.Fatalf("owner path %q", p)
				}
			}
		}
	})
}
