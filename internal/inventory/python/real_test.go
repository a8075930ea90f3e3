package python

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/testenv"
)

// realDebs ship dist-info directories (python3-yaml, python3-chardet) and egg-info
// directories (the others).
var realDebs = []string{"python3-yaml", "python3-requests", "python3-urllib3", "python3-six", "python3-chardet"}

// debFixture downloads Debian packages with apt-get and extracts each with dpkg-deb into
// root/<package>. It returns the fixture directory and each package's Debian version. The result
// is cached under the user cache directory, keyed by the package list.
func debFixture(t *testing.T, pkgs []string) (string, map[string]string) {
	t.Helper()
	if testing.Short() {
		t.Skip("downloads Debian packages")
	}
	for _, tool := range []string{"apt-get", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, fmt.Sprintf("%s not installed", tool))
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(strings.Join(pkgs, "\n")))
	dir := filepath.Join(cache, "rampart-test", "debs-"+hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			t.Fatal(err)
		}
		tmp, err := os.MkdirTemp(filepath.Dir(dir), "tmp-debs-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		run(t, tmp, append([]string{"apt-get", "download", "-q"}, pkgs...)...)
		debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
		if err := os.Mkdir(filepath.Join(tmp, "root"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, deb := range debs {
			name := strings.TrimSpace(run(t, tmp, "dpkg-deb", "-f", deb, "Package"))
			run(t, tmp, "dpkg-deb", "-x", deb, filepath.Join(tmp, "root", name))
		}
		if err := os.WriteFile(filepath.Join(tmp, "complete"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(dir)
		if err := os.Rename(tmp, dir); err != nil {
			t.Fatal(err)
		}
	}
	debs, err := filepath.Glob(filepath.Join(dir, "*.deb"))
	if err != nil || len(debs) != len(pkgs) {
		t.Fatalf("want %d .debs in %s, have %d (%v)", len(pkgs), dir, len(debs), err)
	}
	versions := map[string]string{}
	for _, deb := range debs {
		fields := strings.Fields(run(t, dir, "dpkg-deb", "-f", deb, "Package", "Version"))
		if len(fields) != 4 {
			t.Fatalf("dpkg-deb -f %s: %q", deb, fields)
		}
		versions[fields[1]] = fields[3]
	}
	return dir, versions
}

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// upstream strips the epoch, the Debian revision and a repack suffix from a Debian version:
// "2.28.1+dfsg-1" → "2.28.1".
func upstream(v string) string {
	if _, rest, ok := strings.Cut(v, ":"); ok {
		v = rest
	}
	if i := strings.LastIndex(v, "-"); i > 0 {
		v = v[:i]
	}
	for _, s := range []string{"+dfsg", "+ds", "+repack"} {
		if i := strings.Index(v, s); i > 0 {
			v = v[:i]
		}
	}
	return v
}

// TestRealDebianPackages checks each python3-* package against two independent readings: the
// version dpkg records for the .deb, and what importlib.metadata finds in the extracted tree.
func TestRealDebianPackages(t *testing.T) {
	dir, versions := debFixture(t, realDebs)
	var dirs []string
	var all []string
	for deb, v := range versions {
		root := filepath.Join(dir, "root", deb)
		pkgs := analyzeTree(t, root)
		if len(pkgs) != 1 {
			t.Errorf("%s: found %d packages, want 1: %+v", deb, len(pkgs), pkgs)
			continue
		}
		if got, want := pkgs[0].Version, upstream(v); got != want {
			t.Errorf("%s: version %q, want %q (from %s)", deb, got, want, v)
		}
		all = append(all, nameVersions(pkgs)...)
		dirs = append(dirs, filepath.Join(root, "usr/lib/python3/dist-packages"))
	}
	slices.Sort(all)
	want := importlibMetadata(t, dirs...)
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("mismatch with importlib.metadata (-want +got):\n%s", diff)
	}
}
