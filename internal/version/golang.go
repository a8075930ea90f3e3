package version

import (
	"regexp"
	"strings"

	"golang.org/x/mod/semver"
)

// goToolchain matches the Go toolchain's own spellings ("go1.21rc2", "1.20", "go1.9.2beta1"),
// which are not semver; the "go" prefix is optional since inventories drop it.
var goToolchain = regexp.MustCompile(`^(?:go)?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(beta|rc|-pre)(\d+))?$`)

func parseGo(s string) (Version, error) {
	in := s
	if strings.HasPrefix(s, "go") || !strings.HasPrefix(s, "v") {
		if m := goToolchain.FindStringSubmatch(s); m != nil && (strings.HasPrefix(s, "go") || m[4] != "" || m[3] == "") {
			// As Go's vulnerability database does: go1.21rc2 → v1.21.0-rc.2, go1.20 → v1.20.0.
			minor, patch := m[2], m[3]
			if minor == "" {
				minor = "0"
			}
			if patch == "" {
				patch = "0"
			}
			s = "v" + m[1] + "." + minor + "." + patch
			if m[4] != "" {
				s += "-" + strings.TrimPrefix(m[4], "-") + "." + m[5]
			}
		} else {
			s = "v" + s
		}
	}
	if !semver.IsValid(s) {
		return nil, errorString("not a Go module or toolchain version")
	}
	return parsed[string]{key: semver.Canonical(s), s: in, kind: &goKind}, nil
}

// goKind orders Go module and toolchain versions by golang.org/x/mod/semver, as the go command
// does: pseudo-versions sort as the pre-releases they are, and build metadata ("+incompatible")
// is ignored. Keys are canonical semver with "v".
var goKind = kind[string]{"go", semver.Compare}
