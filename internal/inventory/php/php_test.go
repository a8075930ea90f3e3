package php

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
		{"var/www/app/vendor/composer/installed.json", true},
		{"vendor/composer/installed.json", true},
		{"var/www/app/composer.lock", true},
		{"composer.lock", true},
		{"var/www/app/vendor/acme/lib/composer.lock", false},
		{"vendor/acme/lib/composer.lock", false},
		{"var/www/app/installed.json", false},
		{"var/www/app/vendor/composer/installed.php", false},
		{"var/www/app/composer.json", false},
	}
	for _, tt := range tests {
		if got := (Analyzer{}).Required(tt.path, nil); got != tt.want {
			t.Errorf("Required(%q) = %v, want %v", tt.path, got, tt.want)
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
	const goldenFile = "testdata/packages.golden"
	golden.Check(t, goldenFile, got, *update)
}

func TestAnalyzeErrors(t *testing.T) {
	tests := []struct {
		name, path, content string
		size                int64
		wantErr             string
	}{
		{"not json", "composer.lock", "{", 0, "decode composer.lock"},
		{"array lock", "composer.lock", "[]", 0, "decode composer.lock"},
		{"bad installed", "vendor/composer/installed.json", `{"packages": 3}`, 0, "decode installed.json"},
		{"too big", "composer.lock", "{}", maxFileSize + 1, "over the"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size == 0 {
				size = int64(len(tt.content))
			}
			_, err := Analyzer{}.Analyze(context.Background(), &inventory.File{Path: tt.path, Content: strings.NewReader(tt.content), Size: size})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Analyze() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func seeds(f *testing.F) {
	f.Helper()
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".lock")) {
			b, rerr := os.ReadFile(p)
			f.Add(b)
			return rerr
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
}

func checkFuzzed(t *testing.T, in []byte, pkgs []inventory.Package) {
	if len(pkgs) > len(in) {
		t.Fatalf("%d packages from %d bytes", len(pkgs), len(in))
	}
	for _, p := range pkgs {
		if p.Version == "" || strings.Count(p.Name, "/") != 1 || p.Type != inventory.TypeComposer || p.PURL == "" {
			t.Fatalf("invalid package %+v", p)
		}
	}
}

func FuzzParseInstalled(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, _ := ParseInstalled(bytes.NewReader(b))
		checkFuzzed(t, b, pkgs)
	})
}

func FuzzParseLock(f *testing.F) {
	seeds(f)
	f.Add([]byte(`{"packages":[{"name":"a/b","version":"1.0"},{"name":"c/d"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, err := ParseLock(bytes.NewReader(b))
		checkFuzzed(t, b, pkgs)
		// A package named without a version is named in the error, never dropped in silence.
		var lock struct {
			Packages []composerPackage `json:"packages"`
		}
		if json.Unmarshal(b, &lock) != nil {
			return
		}
		for _, c := range lock.Packages {
			vendor, name, ok := strings.Cut(strings.TrimSpace(c.Name), "/")
			if ok && validPart(vendor) && validPart(name) && strings.TrimSpace(c.Version) == "" && !errors.Is(err, inventory.ErrNoVersion) {
				t.Fatalf("%q without a version, and no warning: %v", c.Name, err)
			}
		}
	})
}
