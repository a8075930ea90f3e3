package version

import (
	"strconv"
	"strings"

	rpmver "github.com/knqyf263/go-rpm-version"
)

func parseRPM(s string) (Version, error) {
	if s == "" {
		return nil, errorString("empty")
	}
	if strings.TrimSpace(s) != s {
		return nil, errSpace
	}
	// The library reads a bad epoch as 0; an advisory with one is broken, so say so.
	if e, rest, ok := strings.Cut(s, ":"); ok {
		if _, err := strconv.ParseUint(e, 10, 31); err != nil {
			return nil, errorString("bad epoch")
		}
		if rest == "" {
			return nil, errorString("empty version after epoch")
		}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return nil, errorString("non-printable or non-ASCII character")
		}
	}
	return parsed[rpmver.Version]{key: rpmver.NewVersion(s), s: s, kind: &rpmKind}, nil
}

// rpmKind orders RPM versions (Red Hat and its rebuilds, Fedora, SUSE, Amazon, …):
// [epoch:]version[-release], compared with rpmvercmp.
var rpmKind = kind[rpmver.Version]{"rpm", rpmver.Version.Compare}
