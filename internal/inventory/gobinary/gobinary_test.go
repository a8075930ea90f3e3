package gobinary

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/testenv"
)

// analyzeFile runs the analyzer on a file on disk as the layer walker would.
func analyzeFile(t *testing.T, path, rel string) (*inventory.Result, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return Analyzer{}.Analyze(context.Background(), &inventory.File{Path: rel, Info: info, Content: f, Size: info.Size()})
}

// versionM is the independent truth: the modules `go version -m` prints, turned into packages
// by the rules in the package doc (replacement reported, local replacement as "(devel)").
func versionM(t *testing.T, bin, rel string) []inventory.Package {
	t.Helper()
	cmd := exec.Command("go", "version", "-m", bin)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	lines := strings.Split(string(out), "\n")
	_, goVersion, ok := strings.Cut(lines[0], ": ")
	if !ok {
		t.Fatalf("go version -m: first line %q", lines[0])
	}
	mk := func(name, version string) inventory.Package {
		return inventory.Package{Type: "golang", Ecosystem: "Go", Name: name, Version: version, Path: rel, GoVersion: goVersion}
	}
	var pkgs []inventory.Package
	var goos, goarch string
	for _, l := range lines[1:] {
		f := strings.Split(strings.TrimPrefix(l, "\t"), "\t")
		switch f[0] {
		case "build":
			if v, ok := strings.CutPrefix(f[1], "GOOS="); ok {
				goos = v
			}
			if v, ok := strings.CutPrefix(f[1], "GOARCH="); ok {
				goarch = v
			}
		case "mod":
			p := mk(f[1], f[2])
			p.Main = true
			pkgs = append(pkgs, p)
		case "dep":
			pkgs = append(pkgs, mk(f[1], f[2]))
		case "=>":
			last := &pkgs[len(pkgs)-1]
			if strings.HasPrefix(f[1], ".") || strings.HasPrefix(f[1], "/") {
				last.Version = "(devel)"
			} else {
				last.Name, last.Version = f[1], f[2]
			}
		}
	}
	pkgs = append(pkgs, mk("stdlib", strings.TrimPrefix(goVersion, "go")))
	if goos != "" && goarch != "" {
		for i := range pkgs {
			pkgs[i].GoPlatform = goos + "/" + goarch
		}
	}
	return pkgs
}

func symbolsOf(pkgs []inventory.Package, name string) []string {
	for _, p := range pkgs {
		if p.Name == name {
			return p.Symbols
		}
	}
	return nil
}

func TestAnalyzeBuiltBinaries(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			bin := probe(t, v)
			const rel = "usr/local/bin/probe"
			res, err := analyzeFile(t, bin, rel)
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			if res == nil {
				t.Fatal("Analyze returned nil for a Go binary")
			}
			want := versionM(t, bin, rel)
			// Build settings, GOOS and GOARCH among them, are recorded from Go 1.18 on.
			if wantPlatform := v.goos + "/" + v.goarch; v.goos != "" && want[0].GoPlatform != wantPlatform {
				t.Errorf("go version -m gives platform %q, want %q", want[0].GoPlatform, wantPlatform)
			}
			if got := want[0].GoPlatform == ""; got != v.oldTable {
				t.Errorf("go version -m gives platform %q for toolchain %s", want[0].GoPlatform, v.toolchain)
			}
			opts := []cmp.Option{cmpopts.IgnoreFields(inventory.Package{}, "Symbols", "PURL")}
			if diff := cmp.Diff(want, res.Packages, opts...); diff != "" {
				t.Errorf("packages mismatch with go version -m (-want +got):\n%s", diff)
			}
			if v.toolchain != "local" {
				if got := res.Packages[len(res.Packages)-1]; got.Name != "stdlib" || got.Version != strings.TrimPrefix(v.toolchain, "go") {
					t.Errorf("stdlib = %s@%s, want %s", got.Name, got.Version, v.toolchain)
				}
			}
			// language.Parse and fmt.Println are inlined: only Go 1.16+ tables name them.
			for _, tt := range []struct {
				module, symbol string
				want           bool
			}{
				{"golang.org/x/text", "golang.org/x/text/language.Parse", !v.oldTable},
				{"golang.org/x/text", "golang.org/x/text/internal/language.Parse", true},
				{"stdlib", "fmt.Println", !v.oldTable},
				{"stdlib", "fmt.Fprintln", true},
				// currency is part of x/text but never imported.
				{"golang.org/x/text", "golang.org/x/text/currency.ParseISO", false},
				{"golang.org/x/sync", "golang.org/x/sync/errgroup.Group.Wait", true},
				{"example.com/localdep", "example.com/localdep.Greeting", true},
				{"example.com/rampartprobe", "main.main", true},
				// Symbols of one module never land in another's list.
				{"stdlib", "golang.org/x/text/language.Parse", false},
			} {
				syms := symbolsOf(res.Packages, tt.module)
				if _, got := slices.BinarySearch(syms, tt.symbol); got != tt.want {
					t.Errorf("%s symbols hold %s = %v, want %v (%d symbols)", tt.module, tt.symbol, got, tt.want, len(syms))
				}
			}
			for _, p := range res.Packages {
				if !slices.IsSorted(p.Symbols) || len(slices.Compact(slices.Clone(p.Symbols))) != len(p.Symbols) {
					t.Errorf("%s symbols are not sorted and unique", p.Name)
				}
				for _, s := range p.Symbols {
					if strings.ContainsAny(s, "()*[]") || strings.Contains(s, "golang.org/x/text/currency") {
						t.Errorf("%s: unexpected symbol %q", p.Name, s)
					}
				}
			}
		})
	}
}

// TestStrippedSymbolsMatchUnstripped checks the pclntab found without a symbol table against
// the unstripped build's, and that against `go tool nm`.
func TestStrippedSymbolsMatchUnstripped(t *testing.T) {
	full := probe(t, variants[0])
	stripped := probe(t, variants[1])
	symbols := func(bin string) map[string][]string {
		res, err := analyzeFile(t, bin, "probe")
		if err != nil || res == nil {
			t.Fatalf("Analyze(%s) = %v, %v", bin, res, err)
		}
		m := map[string][]string{}
		for _, p := range res.Packages {
			m[p.Name] = p.Symbols
		}
		return m
	}
	want := symbols(full)
	if diff := cmp.Diff(want, symbols(stripped)); diff != "" {
		t.Errorf("stripped binary symbols differ (-unstripped +stripped):\n%s", diff)
	}

	// go tool nm reads the ELF symbol table, not the pclntab: an independent list of functions.
	out, err := exec.Command("go", "tool", "nm", full).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	nm := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || f[1] != "T" {
			continue
		}
		name := strings.Join(f[2:], " ")
		if pkg, sym, ok := Normalize(name); ok && strings.HasPrefix(pkg, "golang.org/x/") {
			nm[pkg+"."+sym] = true
		}
	}
	// Every out-of-line function nm lists must be found; the pclntab adds inlined ones.
	var got []string
	for _, m := range []string{"golang.org/x/text", "golang.org/x/sync"} {
		got = append(got, want[m]...)
	}
	slices.Sort(got)
	for s := range nm {
		if _, ok := slices.BinarySearch(got, s); !ok {
			t.Errorf("go tool nm lists %s; the pclntab symbols lack it", s)
		}
	}
	if nm["golang.org/x/text/language.Parse"] {
		t.Log("language.Parse was not inlined: the inlined-function check proves nothing this time")
	}
}

// TestPclntabScan hides the .gopclntab section under another name, so that only the header
// scan can find the table.
func TestPclntabScan(t *testing.T) {
	stripped := probe(t, variants[1])
	objcopy, err := exec.LookPath("objcopy")
	if err != nil {
		testenv.Missing(t, "objcopy not installed")
	}
	renamed := filepath.Join(t.TempDir(), "renamed")
	if out, err := exec.Command(objcopy, "--rename-section", ".gopclntab=.rodata.hidden", stripped, renamed).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	ef, err := elf.Open(renamed)
	if err != nil {
		t.Fatal(err)
	}
	if ef.Section(".gopclntab") != nil {
		t.Fatal("objcopy kept .gopclntab")
	}
	ef.Close()
	want, err := analyzeFile(t, stripped, "probe")
	if err != nil {
		t.Fatal(err)
	}
	got, err := analyzeFile(t, renamed, "probe")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("scan found different symbols (-section +scan):\n%s", diff)
	}
}

// TestNoPclntab removes the table: the modules are still reported, without symbols.
func TestNoPclntab(t *testing.T) {
	stripped := probe(t, variants[1])
	objcopy, err := exec.LookPath("objcopy")
	if err != nil {
		testenv.Missing(t, "objcopy not installed")
	}
	removed := filepath.Join(t.TempDir(), "removed")
	if out, err := exec.Command(objcopy, "--remove-section", ".gopclntab", stripped, removed).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	got, err := analyzeFile(t, removed, "probe")
	if err != nil || got == nil {
		t.Fatalf("Analyze = %v, %v; want packages", got, err)
	}
	if diff := cmp.Diff(versionM(t, stripped, "probe"), got.Packages, cmpopts.IgnoreFields(inventory.Package{}, "PURL")); diff != "" {
		t.Errorf("packages (-go version -m +got):\n%s", diff)
	}
}

// TestNotGo checks that executables and scripts that are not Go give nil without error.
func TestNotGo(t *testing.T) {
	script := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"+strings.Repeat("echo hello\n", 200)), 0o755); err != nil {
		t.Fatal(err)
	}
	// A Java class file starts with 0xcafebabe, the fat Mach-O magic.
	class := filepath.Join(t.TempDir(), "Hello.class")
	if err := os.WriteFile(class, append([]byte("\xca\xfe\xba\xbe\x00\x00\x00\x3d"), make([]byte, 2048)...), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/bin/ls", "/usr/bin/objcopy", script, class} {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		res, err := analyzeFile(t, path, strings.TrimPrefix(path, "/"))
		if res != nil || err != nil {
			t.Errorf("Analyze(%s) = %v, %v; want nil, nil", path, res, err)
		}
	}
}

func TestTruncatedBinary(t *testing.T) {
	bin := probe(t, variants[1])
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{64, 4096, len(b) / 2} {
		info, _ := os.Stat(bin)
		f := &inventory.File{Path: "probe", Info: info, Content: bytes.NewReader(b[:n]), Size: int64(n)}
		// Any answer will do but a panic; a cut-off Go binary should not pass for a whole one.
		res, _ := Analyzer{}.Analyze(context.Background(), f)
		if res != nil && n < 4096 {
			t.Errorf("Analyze(first %d bytes) found %d packages", n, len(res.Packages))
		}
	}
}

func TestRequired(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int, mode os.FileMode) os.FileInfo {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, size), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	tests := []struct {
		name string
		info os.FileInfo
		want bool
	}{
		{"executable", write("exe", 8192, 0o755), true},
		{"group exec only", write("gexe", 8192, 0o610), true},
		{"not executable", write("data", 8192, 0o644), false},
		{"tiny", write("tiny", 10, 0o755), false},
	}
	dinfo, _ := os.Stat(dir)
	tests = append(tests, struct {
		name string
		info os.FileInfo
		want bool
	}{"directory", dinfo, false})
	for _, tt := range tests {
		if got := (Analyzer{}).Required("x", tt.info); got != tt.want {
			t.Errorf("Required(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStdlibVersion(t *testing.T) {
	for in, want := range map[string]string{
		"go1.20.14":                       "1.20.14",
		"go1.22.1 X:boringcrypto":         "1.22.1",
		"go1.21.0-X:nocoverageredesign":   "1.21.0",
		"go1.23rc1":                       "1.23rc1",
		"go1.24.2 X:loopvar,rangefunc":    "1.24.2",
		"devel go1.25-abcdef Mon Jan 1 1": "devel",
	} {
		if got := StdlibVersion(in); got != want {
			t.Errorf("StdlibVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in       string
		pkg, sym string
		ok       bool
	}{
		{"golang.org/x/text/language.Parse", "golang.org/x/text/language", "Parse", true},
		{"golang.org/x/text/language.(*Tag).String", "golang.org/x/text/language", "Tag.String", true},
		{"golang.org/x/text/language.Tag.String", "golang.org/x/text/language", "Tag.String", true},
		{"golang.org/x/sync/errgroup.(*Group).Go.func1", "golang.org/x/sync/errgroup", "Group.Go", true},
		{"main.main.func1.2", "main", "main", true},
		{"main.main.gowrap1", "main", "main", true},
		{"fmt.init.0", "fmt", "init", true},
		{"gopkg.in/yaml%2ev3.Unmarshal", "gopkg.in/yaml.v3", "Unmarshal", true},
		{"slices.Sort[go.shape.[]string,go.shape.string]", "slices", "Sort", true},
		{"example.com/m/p.(*List[go.shape.int]).Push", "example.com/m/p", "List.Push", true},
		{"net/http.(*Server).Serve-fm", "net/http", "Server.Serve", true},
		{"go.uber.org/zap.New", "go.uber.org/zap", "New", true},
		{"type:.eq.main.T", "", "", false},
		{"type..eq.main.T", "", "", false},
		{"go:buildid", "", "", false},
		{"go.buildid", "", "", false},
		{"runtime.text", "runtime", "text", true},
		{"nodot", "", "", false},
		{"example.com/p.glob..func1", "", "", false},
	}
	for _, tt := range tests {
		pkg, sym, ok := Normalize(tt.in)
		if pkg != tt.pkg || sym != tt.sym || ok != tt.ok {
			t.Errorf("Normalize(%q) = %q, %q, %v; want %q, %q, %v", tt.in, pkg, sym, ok, tt.pkg, tt.sym, tt.ok)
		}
	}
}

func TestPURL(t *testing.T) {
	for _, tt := range []struct{ name, version, want string }{
		{"golang.org/x/text", "v0.3.5", "pkg:golang/golang.org/x/text@v0.3.5"},
		{"github.com/docker/docker", "v20.10.7+incompatible", "pkg:golang/github.com/docker/docker@v20.10.7%2Bincompatible"},
		{"example.com/m", "(devel)", "pkg:golang/example.com/m@%28devel%29"},
		{"stdlib", "1.20.14", "pkg:golang/stdlib@1.20.14"},
	} {
		if got := purl(tt.name, tt.version); got != tt.want {
			t.Errorf("purl(%q, %q) = %q, want %q", tt.name, tt.version, got, tt.want)
		}
	}
}

// BenchmarkAssignSymbols attributes the function names of this test binary (a real Go binary of
// a few thousand functions) to its modules, as Analyze does for every Go binary in an image.
func BenchmarkAssignSymbols(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	bi, err := buildinfo.ReadFile(exe)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	names, err := Symbols(f)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		assignSymbols(Packages(bi, "bin/x"), bi, names)
	}
	b.ReportMetric(float64(len(names)), "names")
}
