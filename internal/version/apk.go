package version

import (
	"regexp"

	apkver "github.com/knqyf263/go-apk-version"
)

// apkGrammar is apk-tools' version grammar. The library's own check lets through strings apk
// refuses ("", "a1.0", "1..0", "1.0-r"), and what it then compares is not defined.
var apkGrammar = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(-r[0-9]+)?$`)

func parseAPK(s string) (Version, error) {
	if !apkGrammar.MatchString(s) {
		return nil, errorString("not an apk version")
	}
	if err := checkDigits(s); err != nil {
		return nil, err // the library reads numbers into an int without overflow checks
	}
	v, err := apkver.NewVersion(s)
	if err != nil {
		return nil, err
	}
	return parsed[apkver.Version]{key: v, s: s, kind: &apkKind}, nil
}

// apkKind orders Alpine (apk-tools) versions, as Alpine, Wolfi and Chainguard use:
// 1.2.3[letter][_suffix[N]]…[-rN].
var apkKind = kind[apkver.Version]{"apk", apkver.Version.Compare}
