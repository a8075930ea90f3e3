package e2e

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.Cleanup()
	os.Exit(code)
}

// scan runs `rampart image -f json` on ref with a private cache and returns the report; any exit
// code but 0 fails the test.
func scan(t *testing.T, env []string, ref string, flags ...string) *result.Report {
	t.Helper()
	// Only packages: what these tests check, and no vulnerability database is needed.
	args := append([]string{"image", "-q", "-f", "json", "--scanners", "pkg", "--cache-dir", t.TempDir()}, flags...)
	res := testenv.Run(t, env, append(args, ref)...)
	if res.Code != 0 {
		t.Fatalf("%v", res)
	}
	var rep result.Report
	if err := json.Unmarshal(res.Stdout, &rep); err != nil {
		t.Fatalf("rampart image %s: output is not a JSON report: %v", ref, err)
	}
	return &rep
}

// pkgLine is one package as the comparisons see it. withLayer adds the layer diffID, which every
// image source must agree on (a directory has none).
func pkgLine(p inventory.Package, withLayer bool) string {
	s := fmt.Sprintf("%s %s %s %s %s", p.Type, p.Name, p.Version, p.Arch, p.Path)
	if withLayer {
		s += " " + p.Layer
	}
	return s
}

func pkgLines(pkgs []inventory.Package, withLayer bool) []string {
	out := make([]string, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, pkgLine(p, withLayer))
	}
	slices.Sort(out)
	return out
}

// ofType returns the packages of type typ, filtered by keep when it is not nil.
func ofType(pkgs []inventory.Package, typ inventory.Type, keep func(inventory.Package) bool) []inventory.Package {
	var out []inventory.Package
	for _, p := range pkgs {
		if p.Type == typ && (keep == nil || keep(p)) {
			out = append(out, p)
		}
	}
	return out
}

// dpkgLines lists the Debian packages as dpkg-query prints them ("name version arch"), sorted.
func dpkgLines(pkgs []inventory.Package) []string {
	var out []string
	for _, p := range ofType(pkgs, inventory.TypeDpkg, nil) {
		out = append(out, p.Name+" "+p.Version+" "+p.Arch)
	}
	slices.Sort(out)
	return out
}

// dpkgQueryFormat makes dpkg-query print the status first, so that only installed packages count.
const dpkgQueryFormat = `${db:Status-Status} ${Package} ${Version} ${Architecture}\n`

// installedDebs parses dpkg-query output in dpkgQueryFormat into sorted "name version arch" lines
// of the installed packages.
func installedDebs(t *testing.T, out []byte) []string {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			t.Fatalf("dpkg-query printed %q", sc.Text())
		}
		if f[0] == "installed" {
			lines = append(lines, strings.Join(f[1:], " "))
		}
	}
	slices.Sort(lines)
	if len(lines) == 0 {
		t.Fatal("dpkg-query lists no installed package")
	}
	return lines
}

// dpkgQueryRootfs is the truth about a root filesystem's Debian packages.
func dpkgQueryRootfs(t *testing.T, rootfs string) []string {
	t.Helper()
	out, err := exec.Command("dpkg-query", "--admindir="+filepath.Join(rootfs, "var/lib/dpkg"), "-W", "-f", dpkgQueryFormat).Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	return installedDebs(t, out)
}

// dpkgQueryImage is the truth about an image's Debian packages: dpkg-query run inside it, in a
// container without a network.
func dpkgQueryImage(t *testing.T, image string) []string {
	t.Helper()
	out, err := exec.Command("docker", "run", "--rm", "--network", "none", "--entrypoint", "dpkg-query",
		image, "-W", "-f", dpkgQueryFormat).Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("docker run %s dpkg-query: %v\n%s", image, err, stderr)
	}
	return installedDebs(t, out)
}

// goModules is the truth about a Go binary: `go version -m` gives its toolchain and the
// "module version" lines of its dependencies (replacements resolved).
func goModules(t *testing.T, bin string) (goVersion string, deps []string) {
	t.Helper()
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m %s: %v", bin, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if goVersion == "" {
			_, goVersion, _ = strings.Cut(line, ": ")
			continue
		}
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "dep":
			deps = append(deps, f[1]+" "+f[2])
		case len(f) >= 3 && f[0] == "=>":
			deps[len(deps)-1] = f[1] + " " + f[2]
		}
	}
	slices.Sort(deps)
	if goVersion == "" || len(deps) == 0 {
		t.Fatalf("go version -m %s printed no toolchain or dependencies:\n%s", bin, out)
	}
	return goVersion, deps
}

// npmInstalled is the truth about an npm project's node_modules: every installed package's own
// package.json, as "PATH name@version" with PATH under imageDir.
func npmInstalled(t *testing.T, project, imageDir string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(project, "node_modules")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "package.json" {
			return err
		}
		rel, _ := filepath.Rel(project, p)
		dir := filepath.Dir(rel)
		// An installed package is node_modules/NAME or node_modules/@SCOPE/NAME; other
		// package.json files (test fixtures, nested sub-packages) describe no installed package.
		parent := filepath.Dir(dir)
		if filepath.Base(parent) == "node_modules" || (strings.HasPrefix(filepath.Base(parent), "@") && filepath.Base(filepath.Dir(parent)) == "node_modules") {
			var m struct{ Name, Version string }
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if json.Unmarshal(b, &m) == nil && m.Name != "" && m.Version != "" {
				out = append(out, imageDir+"/"+filepath.ToSlash(rel)+" "+m.Name+"@"+m.Version)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	slices.Sort(out)
	if len(out) == 0 {
		t.Fatalf("%s holds no installed package", root)
	}
	return out
}

// dockerConfig writes a Docker client config directory holding credentials for registry and
// returns the DOCKER_CONFIG=… variable naming it. Empty user and password write no credentials.
func dockerConfig(t *testing.T, registry, user, password string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := map[string]any{"auths": map[string]any{}}
	if user != "" {
		cfg["auths"] = map[string]any{registry: map[string]string{
			"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password)),
		}}
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return "DOCKER_CONFIG=" + dir
}

// errorLine checks that a failed run said what went wrong on exactly one stderr line, prefixed
// "rampart: ", and returns it.
func errorLine(t *testing.T, res testenv.Result) string {
	t.Helper()
	s := strings.TrimSuffix(string(res.Stderr), "\n")
	if s == "" || strings.Contains(s, "\n") || !strings.HasPrefix(s, "rampart: ") {
		t.Errorf("rampart %s: want one error line starting \"rampart: \" on stderr, got:\n%s", strings.Join(res.Args, " "), res.Stderr)
	}
	return s
}
