package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/golden"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/inventory/inventorytest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"node_modules/lodash/package.json", true},
		{"app/node_modules/@babel/code-frame/package.json", true},
		{"node_modules/a/node_modules/b/package.json", true},
		{"node_modules/.pnpm/lodash@4.17.15/node_modules/lodash/package.json", true},
		{"node_modules/lodash/lib/package.json", false},
		{"node_modules/@babel/package.json", false},
		{"node_modules/package.json", false},
		{"node_modules/.cache/package.json", false},
		{"app/package.json", false},
		{"package.json", false},
		{"app/package-lock.json", true},
		{"package-lock.json", true},
		{"app/npm-shrinkwrap.json", true},
		{"app/yarn.lock", true},
		{"pnpm-lock.yaml", true},
		{"node_modules/.package-lock.json", false},
		{"node_modules/x/package-lock.json", false},
		{"app/node_modules/x/yarn.lock", false},
		{"app/package-lock.json.bak", false},
	}
	for _, tt := range tests {
		if got := (Analyzer{}).Required(tt.path, nil); got != tt.want {
			t.Errorf("Required(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// TestGolden runs the analyzer over each directory of testdata (lock files written by the real
// tools, plus hand-written edge cases) and compares the packages with <dir>.golden.
func TestGolden(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "fuzz" {
			continue
		}
		t.Run(d.Name(), func(t *testing.T) {
			pkgs := analyzeTree(t, filepath.Join("testdata", d.Name()))
			inv := inventory.Inventory{Packages: pkgs}
			inv.Sort()
			got, err := json.MarshalIndent(inv.Packages, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			goldenFile := filepath.Join("testdata", d.Name()+".golden")
			golden.Check(t, goldenFile, got, *update)
		})
	}
}

func TestAnalyzeErrors(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		content string
		size    int64 // 0: len(content)
		wantErr string
		wantNil bool
	}{
		{name: "bad json", path: "node_modules/x/package.json", content: "{", wantErr: "decode package.json"},
		{name: "no name", path: "node_modules/x/package.json", content: `{"version":"1.0.0"}`, wantNil: true},
		{name: "bad name", path: "node_modules/x/package.json", content: `{"name":"a b","version":"1"}`, wantNil: true},
		{name: "manifest too big", path: "node_modules/x/package.json", content: "{}", size: maxManifestSize + 1, wantErr: "over the"},
		{name: "lock too big", path: "yarn.lock", content: "", size: maxLockSize + 1, wantErr: "over the"},
		{name: "bad lock", path: "package-lock.json", content: "[1,2]", wantErr: "decode package lock"},
		{name: "empty lock", path: "package-lock.json", content: `{"lockfileVersion":3,"packages":{"":{}}}`, wantNil: true},
		{name: "bad yarn header", path: "yarn.lock", content: "lodash@^4.17.15\n  version \"1\"\n", wantErr: "line 1"},
		{name: "bad berry", path: "yarn.lock", content: "__metadata:\n  version: [\n", wantErr: "decode yarn lock"},
		{name: "bad pnpm", path: "pnpm-lock.yaml", content: "packages: [\n", wantErr: "decode pnpm lock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size == 0 {
				size = int64(len(tt.content))
			}
			f := &inventory.File{Path: tt.path, Content: strings.NewReader(tt.content), Size: size}
			res, err := Analyzer{}.Analyze(context.Background(), f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Analyze() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Analyze() error = %v", err)
			}
			if tt.wantNil != (res == nil) {
				t.Errorf("Analyze() = %+v, want nil result %v", res, tt.wantNil)
			}
		})
	}
}

// TestNoVersionWarns: a package a manifest or lock file names without a version cannot be
// matched and is left out, but never silently: the result warns, naming it.
func TestNoVersionWarns(t *testing.T) {
	tests := []struct {
		name, path, content string
		kept                []string // name@version of the packages kept
	}{
		{"package.json", "node_modules/b/package.json", `{"name":"b"}`, nil},
		{"package-lock v3", "app/package-lock.json",
			`{"lockfileVersion":3,"packages":{"":{},"node_modules/a":{"version":"1.0.0"},"node_modules/b":{},"node_modules/c":{"version":"file:../c"}}}`,
			[]string{"a@1.0.0"}},
		{"package-lock v1", "app/package-lock.json",
			`{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{}}}}}`, []string{"a@1.0.0"}},
		{"yarn classic", "app/yarn.lock", "a@^1.0.0:\n  version \"1.0.0\"\n\nb@^2:\n  resolved \"x\"\n", []string{"a@1.0.0"}},
		{"yarn berry", "app/yarn.lock", "__metadata:\n  version: 6\n\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n\"b@npm:^2\":\n  resolution: \"b@npm:2.0.0\"\n",
			[]string{"a@1.0.0"}},
		{"pnpm", "app/pnpm-lock.yaml", "lockfileVersion: '6.0'\npackages:\n  /a@1.0.0:\n    dev: false\n  /b@:\n    dev: false\n", []string{"a@1.0.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inventorytest.WantNoVersion(t, inventorytest.AnalyzeText(t, Analyzer{}, tt.path, tt.content), "b", tt.kept...)
		})
	}
}

func TestPURL(t *testing.T) {
	tests := []struct{ name, version, want string }{
		{"lodash", "4.17.15", "pkg:npm/lodash@4.17.15"},
		{"@babel/code-frame", "7.0.0", "pkg:npm/%40babel/code-frame@7.0.0"},
		{"x", "1.0.0+build.1", "pkg:npm/x@1.0.0%2Bbuild.1"},
	}
	for _, tt := range tests {
		if got := purl(tt.name, tt.version); got != tt.want {
			t.Errorf("purl(%q, %q) = %q, want %q", tt.name, tt.version, got, tt.want)
		}
	}
}

// seeds returns every file in testdata with the given base name, for the fuzz corpora.
func seeds(f *testing.F, base string) {
	f.Helper()
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && filepath.Base(p) == base {
			b, rerr := os.ReadFile(p)
			if rerr != nil {
				return rerr
			}
			f.Add(b)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
}

// checkFuzzed holds the invariants every parser keeps on arbitrary input.
func checkFuzzed(t *testing.T, in []byte, pkgs []inventory.Package) {
	if len(pkgs) > len(in) {
		t.Fatalf("%d packages from %d bytes", len(pkgs), len(in))
	}
	for _, p := range pkgs {
		if !validName(p.Name) || p.Version == "" || p.Type != inventory.TypeNpm || p.PURL == "" {
			t.Fatalf("invalid package %+v", p)
		}
	}
}

func FuzzParsePackageLock(f *testing.F) {
	seeds(f, "package-lock.json")
	f.Add([]byte(`{"lockfileVersion":3,"packages":{"node_modules/a":{"version":"1"},"node_modules/b":{}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, err := ParsePackageLock(bytes.NewReader(b))
		checkFuzzed(t, b, pkgs)
		// An installed entry without a version is named, never dropped in silence.
		var lock packageLock
		if json.Unmarshal(b, &lock) != nil {
			return
		}
		for key, e := range lock.Packages {
			i := strings.LastIndex(key, "node_modules/")
			if i >= 0 && !e.Link && e.Name == "" && validName(key[i+len("node_modules/"):]) && strings.TrimSpace(e.Version) == "" && !errors.Is(err, inventory.ErrNoVersion) {
				t.Fatalf("entry %q without a version, and no warning: %v", key, err)
			}
		}
	})
}

func FuzzParseYarnLock(f *testing.F) {
	seeds(f, "yarn.lock")
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, _ := ParseYarnLock(bytes.NewReader(b))
		checkFuzzed(t, b, pkgs)
	})
}

func FuzzParsePnpmLock(f *testing.F) {
	seeds(f, "pnpm-lock.yaml")
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, _ := ParsePnpmLock(bytes.NewReader(b))
		checkFuzzed(t, b, pkgs)
	})
}

func FuzzParsePackageJSON(f *testing.F) {
	seeds(f, "package.json")
	f.Add([]byte(`{"name":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePackageJSON(bytes.NewReader(b))
		if p != nil {
			checkFuzzed(t, b, []inventory.Package{*p})
		}
		// A package named without a version is named in the error, never dropped in silence.
		var pj packageJSON
		if json.Unmarshal(b, &pj) == nil && validName(strings.TrimSpace(pj.Name)) && strings.TrimSpace(pj.Version) == "" && !errors.Is(err, inventory.ErrNoVersion) {
			t.Fatalf("package %q without a version, and no warning: %v", pj.Name, err)
		}
	})
}
