package version

import (
	"fmt"
	"strings"

	"golang.org/x/mod/semver"
)

// semverKind is Semantic Versioning 2.0.0 precedence; build metadata is ignored, so versions
// that differ only in it compare equal. Keys are the versions with the "v" that
// golang.org/x/mod/semver wants.
var semverKind = kind[string]{"semver", semver.Compare}

// ParseSemver parses v as a strict SemVer 2.0.0 version (MAJOR.MINOR.PATCH[-PRE][+BUILD], no
// leading zeros, no "v" prefix), the ordering of OSV's "SEMVER" range type whatever the
// ecosystem. It returns an error wrapping [ErrInvalid] for anything else.
func ParseSemver(v string) (Version, error) {
	if err := checkLen(v); err != nil {
		return nil, fmt.Errorf("parse semver %q: %w", clip(v), err)
	}
	p, err := parseSemver(v)
	if err != nil {
		return nil, fmt.Errorf("parse semver %q: %w: %w", v, ErrInvalid, err)
	}
	return p, nil
}

// CompareSemver parses a and b with [ParseSemver] and returns -1, 0 or +1 as a has lower, equal
// or higher precedence than b.
func CompareSemver(a, b string) (int, error) {
	va, err := ParseSemver(a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseSemver(b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

// parseSemver parses strict SemVer; crates.io versions are that too, as Cargo requires.
func parseSemver(v string) (Version, error) {
	canon, err := strictSemver(v)
	if err != nil {
		return nil, err
	}
	return parsed[string]{key: canon, s: v, kind: &semverKind}, nil
}

// strictSemver checks v is full SemVer 2.0.0 and returns it with the "v" that x/mod/semver wants.
func strictSemver(v string) (string, error) {
	if strings.HasPrefix(v, "v") {
		return "", errorString(`leading "v"`)
	}
	core, _, _ := strings.Cut(v, "+")
	core, _, _ = strings.Cut(core, "-")
	// x/mod/semver accepts the shorthands v1 and v1.2; SemVer does not.
	if strings.Count(core, ".") != 2 {
		return "", errorString("not MAJOR.MINOR.PATCH")
	}
	if !semver.IsValid("v" + v) {
		return "", errorString("not SemVer 2.0.0")
	}
	return "v" + v, nil
}
