package version

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzOrdering checks the invariants of one ordering on arbitrary input: Parse never panics and
// bounds what it keeps, and Compare is reflexive and antisymmetric on whatever parses.
func fuzzOrdering(f *testing.F, ecosystem, seeds string) {
	b, err := os.ReadFile(filepath.Join("testdata", "truth", seeds))
	if err != nil {
		f.Fatal(err)
	}
	var prev string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			f.Add(prev, l)
			prev = l
		}
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := Parse(ecosystem, a)
		vb, errB := Parse(ecosystem, b)
		if errA != nil || errB != nil {
			return
		}
		if len(va.String()) > MaxLen {
			t.Fatalf("Parse kept %d bytes", len(va.String()))
		}
		if c := va.Compare(va); c != 0 {
			t.Fatalf("%q.Compare(itself) = %d", a, c)
		}
		ab, ba := va.Compare(vb), vb.Compare(va)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("%q vs %q = %d, reverse %d", a, b, ab, ba)
		}
	})
}

func FuzzDebian(f *testing.F)    { fuzzOrdering(f, "Debian", "dpkg.versions") }
func FuzzRPM(f *testing.F)       { fuzzOrdering(f, "Red Hat", "rpm.versions") }
func FuzzAlpine(f *testing.F)    { fuzzOrdering(f, "Alpine", "apk.versions") }
func FuzzGo(f *testing.F)        { fuzzOrdering(f, "Go", "go.versions") }
func FuzzNPM(f *testing.F)       { fuzzOrdering(f, "npm", "npm.versions") }
func FuzzSemver(f *testing.F)    { fuzzOrdering(f, "crates.io", "semver.versions") }
func FuzzPyPI(f *testing.F)      { fuzzOrdering(f, "PyPI", "pypi.versions") }
func FuzzMaven(f *testing.F)     { fuzzOrdering(f, "Maven", "maven.versions") }
func FuzzRubyGems(f *testing.F)  { fuzzOrdering(f, "RubyGems", "rubygems.versions") }
func FuzzPackagist(f *testing.F) { fuzzOrdering(f, "Packagist", "composer.versions") }
func FuzzNuGet(f *testing.F)     { fuzzOrdering(f, "NuGet", "nuget.versions") }
