package version

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/mod/semver"
)

// npmKind orders npm package versions, parsed and ordered as node-semver's (strict, not
// "loose") compare does: SemVer 2.0.0 precedence, after trimming white space and an optional
// leading "v".
//
// It is built on golang.org/x/mod/semver rather than github.com/aquasecurity/go-npm-version:
// that library reads the pre-release identifiers "x", "X" and "*" as range wildcards, so it
// calls 1.0.0-x equal to 1.0.0-alpha, where node-semver orders x after alpha.
var npmKind = kind[string]{"npm", semver.Compare}

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER: node-semver rejects larger major,
// minor and patch numbers.
const maxSafeInteger = 1<<53 - 1

func parseNPM(s string) (Version, error) {
	v := strings.TrimFunc(s, unicode.IsSpace)
	v = strings.TrimPrefix(v, "v")
	canon, err := strictSemver(v)
	if err != nil {
		return nil, err
	}
	core, _, _ := strings.Cut(strings.TrimPrefix(semver.Canonical(canon), "v"), "-")
	for _, n := range strings.Split(core, ".") {
		if u, err := strconv.ParseUint(n, 10, 64); err != nil || u > maxSafeInteger {
			return nil, errorString("number larger than 2^53-1")
		}
	}
	return parsed[string]{key: canon, s: s, kind: &npmKind}, nil
}
