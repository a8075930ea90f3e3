package version

import (
	"strings"

	debver "github.com/knqyf263/go-deb-version"
)

func parseDeb(s string) (Version, error) {
	if strings.TrimSpace(s) != s {
		return nil, errSpace
	}
	if err := checkDigits(s); err != nil {
		return nil, err
	}
	if i := strings.LastIndexByte(s, '-'); i == len(s)-1 {
		return nil, errorString("empty revision") // dpkg rejects "1.0-"
	}
	v, err := debver.NewVersion(s)
	if err != nil {
		return nil, err
	}
	return parsed[debver.Version]{key: v, s: s, kind: &dpkgKind}, nil
}

// dpkgKind orders Debian and Ubuntu versions: [epoch:]upstream[-revision].
var dpkgKind = kind[debver.Version]{"dpkg", func(a, b debver.Version) int { return a.Compare(b) }}

// checkDigits rejects digit runs the libraries cannot hold: they read each run into an int, and
// a longer run would silently read as 0 where dpkg compares it digit by digit.
func checkDigits(s string) error {
	run := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			if run > 0 || s[i] != '0' {
				run++
			}
			if run > maxDigits {
				return errorString("number too long")
			}
		default:
			run = 0
		}
	}
	return nil
}

// maxDigits is the longest digit run (leading zeros aside) that fits an int64.
const maxDigits = 18

// errorString is a constant error message for a parse failure.
type errorString string

func (e errorString) Error() string { return string(e) }

const errSpace = errorString("leading or trailing space")
