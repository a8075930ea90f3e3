package vulndb

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// TestDependencies keeps the database independent of the scanners: vulndb reads hash lists with
// the leaf package internal/hashlist, never through internal/malware (which pulls in YARA and
// the layer walker). The check follows the module's own packages transitively.
func TestDependencies(t *testing.T) {
	const module = "github.com/rampartsec/rampart/"
	forbidden := []string{module + "internal/malware", module + "internal/cli", module + "internal/match"}
	seen := map[string]bool{}
	var walk func(dir, path string, chain []string)
	walk = func(dir, path string, chain []string) {
		if seen[path] {
			return
		}
		seen[path] = true
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			for _, f := range forbidden {
				if imp == f {
					t.Errorf("vulndb depends on %s: %s", f, strings.Join(append(chain, imp), " → "))
				}
			}
			walk(filepath.Join("..", "..", strings.TrimPrefix(imp, module)), imp, append(chain, imp))
		}
	}
	walk(".", module+"internal/vulndb", []string{module + "internal/vulndb"})
	if !seen[module+"internal/hashlist"] {
		t.Error("vulndb no longer uses internal/hashlist: update this test")
	}
}
