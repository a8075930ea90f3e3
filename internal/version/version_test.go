package version

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSupported(t *testing.T) {
	for _, eco := range []string{
		"Debian", "Debian:12", "Ubuntu:22.04:LTS", "Ubuntu:Pro:18.04:LTS", "Alpine:v3.20", "Wolfi",
		"Red Hat", "Red Hat:enterprise_linux:9::appstream", "Rocky Linux:9", "AlmaLinux:8", "SUSE:Linux Enterprise Server 15 SP5",
		"openSUSE:Leap 15.5", "Oracle Linux", "Amazon Linux:2023", "Fedora",
		"Go", "npm", "crates.io", "go", "DEBIAN",
	} {
		if !Supported(eco) {
			t.Errorf("Supported(%q) = false", eco)
		}
	}
	for _, eco := range []string{"", "Hackage", "GitHub Actions", "Debianx", ":Debian", "OSS-Fuzz"} {
		if Supported(eco) {
			t.Errorf("Supported(%q) = true", eco)
		}
		_, err := Parse(eco, "1.0")
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("Parse(%q) error = %v, want ErrUnsupported", eco, err)
		}
		if _, err := Compare(eco, "1.0", "2.0"); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Compare(%q) error = %v, want ErrUnsupported", eco, err)
		}
	}
}

func TestErrors(t *testing.T) {
	_, err := Parse("Debian:12", "a1.0")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"a1.0"`) || !strings.Contains(err.Error(), `"Debian:12"`) {
		t.Errorf("Parse error %q: want ErrInvalid naming the version and ecosystem", err)
	}
	long := strings.Repeat("1.", MaxLen)
	for _, eco := range []string{"Debian", "Go", "npm", "Red Hat", "Alpine"} {
		if _, err := Parse(eco, long); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q, long) = %v, want ErrInvalid", eco, err)
		}
	}
	if _, err := ParseSemver(long); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseSemver(long) = %v, want ErrInvalid", err)
	}
	if _, err := Compare("npm", "1.0.0", "bad"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Compare with a bad second version: %v", err)
	}
}

// foreign is a Version from outside the package.
type foreign string

func (f foreign) Compare(Version) int { return 0 }
func (f foreign) String() string      { return string(f) }

// TestCrossOrdering checks that versions of different orderings compare without panicking and
// antisymmetrically, by ordering name.
func TestCrossOrdering(t *testing.T) {
	mustParse := func(eco, s string) Version {
		v, err := Parse(eco, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	vs := []Version{
		mustParse("Debian", "1.0"), mustParse("Go", "1.0.0"), mustParse("npm", "1.0.0"),
		mustParse("crates.io", "1.0.0"), mustParse("Red Hat", "1.0"), mustParse("Alpine", "1.0"),
	}
	for i, a := range vs {
		for j, b := range vs {
			if i == j {
				continue
			}
			if ab, ba := a.Compare(b), b.Compare(a); ab == 0 || ab != -ba {
				t.Errorf("%T %s vs %T %s: %d and %d", a, a, b, b, ab, ba)
			}
		}
		if c := a.Compare(foreign("1.0")); c != -1 {
			t.Errorf("%s.Compare(foreign) = %d, want -1", a, c)
		}
		if c := a.Compare(nil); c != 1 {
			t.Errorf("%s.Compare(nil) = %d, want 1", a, c)
		}
	}
	// A crates.io version and a SEMVER one share an ordering.
	s, _ := ParseSemver("1.0.0")
	if c := mustParse("crates.io", "1.0.0").Compare(s); c != 0 {
		t.Errorf("crates.io vs SEMVER 1.0.0 = %d", c)
	}
}

func TestParseString(t *testing.T) {
	var got []string
	for _, c := range []struct{ eco, v string }{
		{"Debian", "1:2.3-4"}, {"Go", "v1.2.3"}, {"Go", "1.21rc2"}, {"npm", " v1.2.3"}, {"Red Hat", "0:1-2.el9"},
	} {
		v, err := Parse(c.eco, c.v)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v.String())
	}
	want := []string{"1:2.3-4", "v1.2.3", "1.21rc2", " v1.2.3", "0:1-2.el9"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("String() mismatch (-want +got):\n%s", diff)
	}
}
