package npm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/inventory/inventorytest"
	"github.com/rampartsec/rampart/internal/testenv"
)

// realPackageJSON is the project the real-tool tests install: pinned old versions, a scoped
// package with transitive dependencies, and a dev-only dependency.
const realPackageJSON = `{
  "name": "rampart-npm-fixture",
  "version": "1.0.0",
  "private": true,
  "dependencies": {
    "lodash": "4.17.15",
    "minimist": "1.2.0",
    "@babel/code-frame": "7.0.0"
  },
  "devDependencies": {
    "ms": "2.0.0"
  }
}
`

// generators write one lock file (or node_modules tree) each, in its own sub-directory of the
// fixture. Every step that fails is logged and its test skipped, so one missing tool does not
// hide the others.
var generators = []struct {
	dir  string
	file string
	cmds [][]string
}{
	{"npm", "package-lock.json", [][]string{
		{"npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"},
		{"sh", "-c", "npm ls --all --json > npm-ls.json"},
		{"sh", "-c", "npm ls --all --json --omit=dev > npm-ls-prod.json"},
	}},
	{"npm-v1", "package-lock.json", [][]string{{"npm", "install", "--package-lock-only", "--no-audit", "--no-fund", "--lockfile-version=1"}}},
	{"npm-v2", "package-lock.json", [][]string{{"npm", "install", "--package-lock-only", "--no-audit", "--no-fund", "--lockfile-version=2"}}},
	{"yarn-v1", "yarn.lock", [][]string{{"npx", "--yes", "yarn@1", "install", "--ignore-scripts", "--non-interactive"}}},
	{"yarn-berry", "yarn.lock", [][]string{
		{"touch", "yarn.lock"},
		{"npx", "--yes", "@yarnpkg/cli-dist@4", "install", "--mode=update-lockfile"},
	}},
	{"pnpm-v5", "pnpm-lock.yaml", [][]string{{"npx", "--yes", "pnpm@7", "install", "--lockfile-only"}}},
	{"pnpm-v6", "pnpm-lock.yaml", [][]string{{"npx", "--yes", "pnpm@8", "install", "--lockfile-only"}}},
	{"pnpm-v9", "pnpm-lock.yaml", [][]string{{"npx", "--yes", "pnpm@9", "install", "--lockfile-only"}}},
}

// realFixture returns a directory holding one sub-directory per generator, built with the real
// npm, yarn and pnpm from the npm registry. It is cached under the user cache directory, keyed
// by the project and the generator commands, so only the first run needs the network.
func realFixture(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("installs packages from the npm registry")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		testenv.Missing(t, "npm not installed")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	h.Write([]byte(realPackageJSON))
	for _, g := range generators {
		h.Write([]byte(g.dir + fmtCmds(g.cmds)))
	}
	dir := filepath.Join(cache, "rampart-test", "npm-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "tmp-npm-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for _, g := range generators {
		gd := filepath.Join(tmp, g.dir)
		if err := os.MkdirAll(gd, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(gd, "package.json"), []byte(realPackageJSON), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, c := range g.cmds {
			cmd := exec.Command(c[0], c[1:]...)
			cmd.Dir = gd
			// Keep the tools' own caches out of the fixture and away from the user's settings.
			cmd.Env = append(os.Environ(), "COREPACK_ENABLE_STRICT=0", "YARN_ENABLE_TELEMETRY=0",
				"YARN_ENABLE_GLOBAL_CACHE=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Logf("%s: %v: %v\n%s", g.dir, c, err, out)
				os.Remove(filepath.Join(gd, g.file)) // marks the generator as unavailable
				break
			}
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "complete"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func fmtCmds(cmds [][]string) string {
	var b strings.Builder
	for _, c := range cmds {
		b.WriteString(strings.Join(c, " ") + "\n")
	}
	return b.String()
}

// npmLs flattens `npm ls --all --json` output into sorted "name@version" strings.
func npmLs(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	type node struct {
		Version      string          `json:"version"`
		Dependencies map[string]node `json:"dependencies"`
	}
	var root node
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("decode %s: %v", file, err)
	}
	set := map[string]bool{}
	var walk func(deps map[string]node)
	walk = func(deps map[string]node) {
		for name, n := range deps {
			set[name+"@"+n.Version] = true
			walk(n.Dependencies)
		}
	}
	walk(root.Dependencies)
	return sortedKeys(set)
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// analyzeTree runs the analyzer over every file of root it wants, as the directory walker does.
func analyzeTree(t *testing.T, root string) []inventory.Package {
	return inventorytest.AnalyzeTree(t, Analyzer{}, root)
}

func nameVersions(pkgs []inventory.Package, keep func(inventory.Package) bool) []string {
	set := map[string]bool{}
	for _, p := range pkgs {
		if keep == nil || keep(p) {
			set[p.Name+"@"+p.Version] = true
		}
	}
	return sortedKeys(set)
}

// TestRealNodeModules compares the packages found in a node_modules tree that npm installed
// with what `npm ls --all` reports for it.
func TestRealNodeModules(t *testing.T) {
	dir := filepath.Join(realFixture(t), "npm")
	want := npmLs(t, filepath.Join(dir, "npm-ls.json"))
	if len(want) < 10 {
		t.Fatalf("npm ls lists only %d packages: fixture broken", len(want))
	}
	var pkgs []inventory.Package
	for _, p := range analyzeTree(t, dir) {
		if p.Path != "package-lock.json" {
			pkgs = append(pkgs, p)
		}
	}
	if diff := cmp.Diff(want, nameVersions(pkgs, nil)); diff != "" {
		t.Errorf("installed packages mismatch with npm ls (-want +got):\n%s", diff)
	}
	for _, p := range pkgs {
		if p.Name == "lodash" && !slices.Equal(p.Licenses, []string{"MIT"}) {
			t.Errorf("lodash licenses = %q, want [MIT]", p.Licenses)
		}
		if !strings.HasPrefix(p.Path, "node_modules/") || !strings.HasSuffix(p.Path, "/package.json") {
			t.Errorf("%s: path %q is not its package.json", p.Name, p.Path)
		}
	}
}

// TestRealLockFiles compares every lock file the real tools wrote with npm ls: the same
// name@version set, and dev-only exactly where `npm ls --omit=dev` leaves a package out.
func TestRealLockFiles(t *testing.T) {
	root := realFixture(t)
	all := npmLs(t, filepath.Join(root, "npm", "npm-ls.json"))
	prod := npmLs(t, filepath.Join(root, "npm", "npm-ls-prod.json"))
	var dev []string
	for _, p := range all {
		if !slices.Contains(prod, p) {
			dev = append(dev, p)
		}
	}
	if len(dev) == 0 {
		t.Fatal("fixture has no dev-only package")
	}
	for _, g := range generators {
		t.Run(g.dir, func(t *testing.T) {
			file := filepath.Join(root, g.dir, g.file)
			if _, err := os.Stat(file); err != nil {
				testenv.Missing(t, fmt.Sprintf("%s not generated (tool unavailable): %v", g.file, err))
			}
			// Analyze the lock file alone: node_modules has its own test.
			pkgs := analyzeTree(t, filepath.Dir(file))
			var locked []inventory.Package
			for _, p := range pkgs {
				if p.Path == g.file {
					locked = append(locked, p)
				}
			}
			if diff := cmp.Diff(all, nameVersions(locked, nil)); diff != "" {
				t.Errorf("packages mismatch with npm ls (-want +got):\n%s", diff)
			}
			// Classic yarn.lock and Berry record no dev flag.
			if !strings.HasPrefix(g.dir, "yarn") {
				got := nameVersions(locked, func(p inventory.Package) bool { return p.Dev })
				if diff := cmp.Diff(dev, got); diff != "" {
					t.Errorf("dev packages mismatch with npm ls --omit=dev (-want +got):\n%s", diff)
				}
			}
		})
	}
}
