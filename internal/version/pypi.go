package version

import (
	"strings"

	pep440 "github.com/aquasecurity/go-pep440-version"
)

// pypiKind orders Python package versions by PEP 440 (epochs, pre-, post- and development
// releases, local versions), by github.com/aquasecurity/go-pep440-version.
var pypiKind = kind[pep440.Version]{"pep440", pep440.Version.Compare}

func parsePyPI(s string) (Version, error) {
	if err := checkDigits(s); err != nil {
		return nil, err // the library parses numbers into uint64 and fails past it anyway
	}
	v, err := pep440.Parse(pep440Normalize(s))
	if err != nil {
		return nil, err
	}
	return parsed[pep440.Version]{key: v, s: s, kind: &pypiKind}, nil
}

// pep440Normalize applies the normalisation PEP 440 asks for that the library skips: the
// separators "-" and "_" in a local version are ".", so 1.0+ubuntu-1 is 1.0+ubuntu.1.
func pep440Normalize(s string) string {
	pub, local, ok := strings.Cut(s, "+")
	if !ok {
		return s
	}
	return pub + "+" + strings.NewReplacer("-", ".", "_", ".").Replace(local)
}
