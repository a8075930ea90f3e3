package ruby

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/golden"
	"github.com/rampartsec/rampart/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec", true},
		{"usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec", true},
		{"usr/local/bundle/specifications/rails-7.0.0.gemspec", true},
		{"usr/lib/ruby/gems/3.1.0/gems/rack-2.2.22/rack.gemspec", false},
		{"app/foo.gemspec", false},
		{"usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.22.gemspec.bak", false},
		{"usr/lib/ruby/default/x.gemspec", false},
	}
	for _, tt := range tests {
		if got := (Analyzer{}).Required(tt.path, nil); got != tt.want {
			t.Errorf("Required(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // name, version, licenses...
		wantErr  error
	}{
		{"frozen", "Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.22\".freeze\n  s.licenses = [\"MIT\".freeze, \"Ruby\".freeze]\nend\n",
			[]string{"rack", "2.2.22", "MIT", "Ruby"}, nil},
		{"curly block", "Gem::Specification.new { |g| g.name = 'x'; g.version = '1' }", nil, ErrNoSpec},
		{"curly lines", "Gem::Specification.new { |g|\n g.name = 'x'\n g.version = '1'\n}", []string{"x", "1"}, nil},
		{"other var ignored", "Gem::Specification.new do |s|\n t.name = 'x'\n t.version = '1'\nend", nil, ErrNoSpec},
		{"version object", "Gem::Specification.new do |s|\n s.name = %Q(x)\n s.version = Gem::Version.new(\"1.0.0\")\nend", []string{"x", "1.0.0"}, nil},
		{"stub fallback", "# stub: y 3.0 ruby lib\n", []string{"y", "3.0"}, nil},
		{"empty", "", nil, ErrNoSpec},
		{"bad version", "Gem::Specification.new do |s|\n s.name = 'x'\n s.version = '1 0'\nend", nil, ErrNoSpec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(strings.NewReader(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			got := append([]string{p.Name, p.Version}, p.Licenses...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
			if want := "pkg:gem/" + p.Name + "@" + p.Version; p.PURL != want {
				t.Errorf("PURL = %q, want %q", p.PURL, want)
			}
		})
	}
}

// analyzeTree runs the analyzer over every file of root it wants, as the directory walker does,
// and returns the packages keyed by the file's path relative to root.
func analyzeTree(t *testing.T, root string) map[string]inventory.Package {
	t.Helper()
	out := map[string]inventory.Package{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if !(Analyzer{}).Required(rel, nil) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		res, err := Analyzer{}.Analyze(context.Background(), &inventory.File{Path: rel, Content: bytes.NewReader(b), Size: int64(len(b))})
		if err != nil {
			t.Errorf("Analyze(%s): %v", rel, err)
		}
		if res != nil {
			for _, pkg := range res.Packages {
				out[rel] = pkg
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGolden(t *testing.T) {
	got, err := json.MarshalIndent(analyzeTree(t, "testdata"), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const goldenFile = "testdata/specifications.golden"
	golden.Check(t, goldenFile, got, *update)
}

func FuzzParse(f *testing.F) {
	err := filepath.WalkDir("testdata/specifications", func(p string, d fs.DirEntry, err error) error {
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
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(bytes.NewReader(b))
		if err != nil {
			return
		}
		if !validField.MatchString(p.Name) || !validField.MatchString(p.Version) || p.Type != inventory.TypeGem {
			t.Fatalf("invalid package %+v", p)
		}
		if len(p.Licenses) > len(b) {
			t.Fatalf("%d licences from %d bytes", len(p.Licenses), len(b))
		}
	})
}
