package dotnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/testenv"
)

// jqPackages is the independent truth: the "package" and "runtimepack" libraries jq finds,
// as "name@version".
func jqPackages(t *testing.T, file string) []string {
	t.Helper()
	jq, err := exec.LookPath("jq")
	if err != nil {
		testenv.Missing(t, "jq not installed")
	}
	out, err := exec.Command(jq, "-r", `.libraries | to_entries[] | select(.value.type == "package" or .value.type == "runtimepack") | .key | sub("/"; "@") | sub("^runtimepack[.]"; "")`, file).Output()
	if err != nil {
		t.Fatalf("jq: %v", err)
	}
	pkgs := strings.Fields(string(out))
	slices.Sort(pkgs)
	return pkgs
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		file     string
		indirect []string // names expected to be marked Indirect
	}{
		{"webapp.deps.json", []string{"Microsoft.Extensions.DependencyModel", "Serilog", "System.Text.Encodings.Web", "System.Text.Json"}},
		// The runtime pack is a dependency of the project like the others.
		{"selfcontained.deps.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := filepath.Join("testdata", tt.file)
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			info, err := f.Stat()
			if err != nil {
				t.Fatal(err)
			}
			rel := "app/" + tt.file
			if !(Analyzer{}).Required(rel, info) {
				t.Fatalf("Required(%s) = false", rel)
			}
			res, err := Analyzer{}.Analyze(context.Background(), &inventory.File{Path: rel, Info: info, Content: f, Size: info.Size()})
			if err != nil {
				t.Fatal(err)
			}
			var got, gotIndirect []string
			for _, pkg := range res.Packages {
				got = append(got, pkg.Name+"@"+pkg.Version)
				if pkg.Type != inventory.TypeNuGet || pkg.Ecosystem != "NuGet" || pkg.Path != rel ||
					pkg.PURL != "pkg:nuget/"+pkg.Name+"@"+pkg.Version {
					t.Errorf("package %+v: wrong type, ecosystem, path or purl", pkg)
				}
				if pkg.Indirect {
					gotIndirect = append(gotIndirect, pkg.Name)
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(jqPackages(t, p), got); diff != "" {
				t.Errorf("packages differ from jq (-jq +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.indirect, gotIndirect); diff != "" {
				t.Errorf("indirect packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, name := range []string{"badkey.deps.json.txt", "truncated.deps.json.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if pkgs, err := Parse(bytes.NewReader(b)); err == nil {
			t.Errorf("Parse(%s) = %v, want an error", name, pkgs)
		}
	}
	if _, err := Parse(bytes.NewReader(bytes.Repeat([]byte(" "), maxSize+1))); err == nil {
		t.Error("Parse(oversized) gave no error")
	}
}

func TestRequired(t *testing.T) {
	info, err := os.Stat("testdata/webapp.deps.json")
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"app/WebApp.deps.json":            true,
		"usr/share/dotnet/x.deps.json":    true,
		"app/WebApp.runtimeconfig.json":   false,
		"app/deps.json.bak":               false,
		"app/WebApp.deps.json/inner.json": false,
	} {
		if got := (Analyzer{}).Required(p, info); got != want {
			t.Errorf("Required(%q) = %v, want %v", p, got, want)
		}
	}
}

// FuzzParse checks that no input panics and that every package reported is named in the input.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"webapp.deps.json", "selfcontained.deps.json", "badkey.deps.json.txt", "truncated.deps.json.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"libraries":{"A/1.0.0":{"type":"package"},"B/":{"type":"package"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, err := Parse(bytes.NewReader(b))
		// A package named without a version is named in the error, which comes with the others.
		if len(b) <= maxSize && !bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
			var doc depsFile
			if json.Unmarshal(b, &doc) == nil {
				bad, unversioned := false, false
				for key, lib := range doc.Libraries {
					if lib.Type == "package" || lib.Type == "runtimepack" {
						name, version, ok := strings.Cut(key, "/")
						name = strings.TrimPrefix(name, "runtimepack.")
						bad = bad || !ok || name == ""
						unversioned = unversioned || ok && name != "" && version == ""
					}
				}
				if !bad && unversioned && !errors.Is(err, inventory.ErrNoVersion) {
					t.Fatalf("a library without a version, and no warning: %v", err)
				}
			}
		}
		if err != nil && !errors.Is(err, inventory.ErrNoVersion) {
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("empty name or version: %+v", p)
			}
		}
	})
}
