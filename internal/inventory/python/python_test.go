package python

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/golden"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/inventory/inventorytest"
	"github.com/rampartsec/rampart/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA", true},
		{"usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO", true},
		{"usr/lib/python3.11/site-packages/x-1.0-py3.11.egg-info", true},
		{"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/RECORD", false},
		{"usr/lib/python3/dist-packages/requests-2.28.1.egg-info/requires.txt", false},
		{"src/pkg/PKG-INFO", false},
		{"src/METADATA", false},
		{"x.dist-info", false},
	}
	for _, tt := range tests {
		if got := (Analyzer{}).Required(tt.path, nil); got != tt.want {
			t.Errorf("Required(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestNormalizeAndPURL(t *testing.T) {
	tests := []struct{ name, norm string }{
		{"PyYAML", "pyyaml"},
		{"zope.interface", "zope-interface"},
		{"Foo__Bar-.baz", "foo-bar-baz"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.name); got != tt.norm {
			t.Errorf("Normalize(%q) = %q, want %q", tt.name, got, tt.norm)
		}
	}
	p, err := Parse(strings.NewReader("Name: PyYAML\nVersion: 6.0+local.1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "pkg:pypi/pyyaml@6.0%2Blocal.1"; p.PURL != want || p.Name != "PyYAML" {
		t.Errorf("Parse() = name %q purl %q, want PyYAML %q", p.Name, p.PURL, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "Name: x\n", "Version: 1\n", "\nName: x\nVersion: 1\n", "Name: a b\nVersion: 1\n"} {
		if _, err := Parse(strings.NewReader(in)); !errors.Is(err, ErrNoMetadata) {
			t.Errorf("Parse(%q) error = %v, want ErrNoMetadata", in, err)
		}
	}
}

// analyzeTree runs the analyzer over every file of root it wants, as the directory walker does.
func analyzeTree(t *testing.T, root string) []inventory.Package {
	return inventorytest.AnalyzeTree(t, Analyzer{}, root)
}

func TestGolden(t *testing.T) {
	got, err := json.MarshalIndent(analyzeTree(t, "testdata"), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const goldenFile = "testdata/site-packages.golden"
	golden.Check(t, goldenFile, got, *update)
}

// importlibMetadata lists "name version" for every distribution Python's own
// importlib.metadata finds in dirs: the independent reading of the same files.
func importlibMetadata(t *testing.T, dirs ...string) []string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		testenv.Missing(t, "python3 not installed")
	}
	const script = `import importlib.metadata as m, sys
for d in m.distributions(path=sys.argv[1:]):
    if d.metadata["Name"] and d.version:
        print(d.metadata["Name"], d.version)`
	out, err := exec.Command(py, append([]string{"-c", script}, dirs...)...).Output()
	if err != nil {
		t.Fatalf("python3 importlib.metadata: %v", err)
	}
	lines := strings.Fields(strings.ReplaceAll(string(out), " ", "@"))
	slices.Sort(lines)
	return slices.Compact(lines)
}

func nameVersions(pkgs []inventory.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name+"@"+p.Version)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestTestdataMatchesImportlib checks the committed samples against Python's own reader.
func TestTestdataMatchesImportlib(t *testing.T) {
	want := importlibMetadata(t, "testdata/site-packages")
	if diff := cmp.Diff(want, nameVersions(analyzeTree(t, "testdata"))); diff != "" {
		t.Errorf("mismatch with importlib.metadata (-want +got):\n%s", diff)
	}
}

func FuzzParse(f *testing.F) {
	err := filepath.WalkDir("testdata/site-packages", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, rerr := os.ReadFile(p)
			f.Add(b)
			return rerr
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("Metadata-Version: 2.1\nName: no-version\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(bytes.NewReader(b))
		// A distribution named without a version is said so, never dropped in silence.
		if h, herr := readHeaders(bytes.NewReader(b)); herr == nil {
			name := first(h["name"])
			if name != "" && !strings.ContainsAny(name, " \t/") && first(h["version"]) == "" && !errors.Is(err, inventory.ErrNoVersion) {
				t.Fatalf("%q without a version, and no warning: %v", name, err)
			}
		}
		if err != nil {
			return
		}
		if p.Name == "" || p.Version == "" || p.PURL == "" || p.Type != inventory.TypePython {
			t.Fatalf("incomplete package %+v", p)
		}
		if len(p.Name)+len(p.Version) > len(b) {
			t.Fatalf("name and version longer than the input")
		}
	})
}
