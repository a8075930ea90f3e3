package ruby

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/testenv"
)

// realDebs are Debian packages that ship gemspecs under rubygems-integration.
var realDebs = []string{"ruby-rack", "ruby-json"}

// extractedDebs downloads pkgs with apt-get and extracts them all into one root with dpkg-deb.
// The root is cached under the user cache directory, keyed by the package list.
func extractedDebs(t *testing.T, pkgs []string) string {
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
	sum := sha256.Sum256([]byte("extracted\n" + strings.Join(pkgs, "\n")))
	dir := filepath.Join(cache, "rampart-test", "debs-"+hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return filepath.Join(dir, "root")
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "tmp-debs-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	command(t, tmp, append([]string{"apt-get", "download", "-q"}, pkgs...)...)
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != len(pkgs) {
		t.Fatalf("apt-get download gave %d .debs for %d packages", len(debs), len(pkgs))
	}
	for _, deb := range debs {
		command(t, tmp, "dpkg-deb", "-x", deb, "root")
	}
	if err := os.WriteFile(filepath.Join(tmp, "complete"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "root")
}

func command(t *testing.T, dir string, args ...string) string {
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

// rubyLoad asks RubyGems itself, by evaluating each gemspec, for "name version licences".
func rubyLoad(t *testing.T, files []string) []string {
	t.Helper()
	rb, err := exec.LookPath("ruby")
	if err != nil {
		testenv.Missing(t, "ruby not installed")
	}
	const script = `ARGV.each do |f|
  s = Gem::Specification.load(f) or abort("cannot load #{f}")
  puts [s.name, s.version, *s.licenses].join(" ")
end`
	out := command(t, "", append([]string{rb, "-e", script}, files...)...)
	return strings.Split(strings.TrimSpace(out), "\n")
}

// TestRealGemspecs compares, file by file, what the analyzer reads from real gemspecs (Debian's
// ruby-* packages, and the gems installed with Ruby on this machine) with what
// Gem::Specification.load makes of them.
func TestRealGemspecs(t *testing.T) {
	roots := []string{extractedDebs(t, realDebs)}
	if sys, _ := filepath.Glob("/usr/lib/ruby/gems/*"); len(sys) > 0 {
		roots = append(roots, sys...)
	}
	for _, root := range roots {
		found := analyzeTree(t, root)
		if len(found) == 0 {
			t.Errorf("%s: no gems found", root)
			continue
		}
		var files, got []string
		for _, p := range found {
			got = append(got, strings.Join(append([]string{p.Name, p.Version}, p.Licenses...), " "))
		}
		// Ruby reads every gemspec under a specifications directory, not only those the
		// analyzer chose, so a gemspec it skipped shows up as a difference.
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, ".gemspec") && strings.Contains(p, "/specifications/") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := rubyLoad(t, files)
		sort.Strings(want)
		sort.Strings(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: mismatch with Gem::Specification.load (-want +got):\n%s", root, diff)
		}
		t.Logf("%s: %d gemspecs agree", root, len(got))
	}
}
