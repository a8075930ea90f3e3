package version

import (
	"cmp"
	"strconv"
	"strings"
)

// nugetKind orders NuGet versions as NuGet.Versioning's default comparer does: up to four
// numbers (1.0 = 1.0.0 = 1.0.0.0), then a version with release labels before one without,
// labels compared part by part (numbers by value and before text, text case-insensitively,
// fewer parts first), build metadata ignored.
//
// It is Rampart's own: no Go module implements NuGet's rules, and no NuGet client runs here to
// check it against, so its tests follow NuGet.Versioning's documented behaviour.
var nugetKind = kind[nugetKey]{"nuget", compareNuGet}

type nugetKey struct {
	nums   [4]int64
	labels []string
}

func parseNuGet(s string) (Version, error) {
	// NuGetVersion.TryParse trims the value, then splits off "+metadata" and "-labels".
	v := strings.TrimSpace(s)
	v, meta, hasMeta := strings.Cut(v, "+")
	v, label, hasLabel := strings.Cut(v, "-")
	var k nugetKey
	parts := strings.Split(v, ".")
	if len(parts) > 4 {
		return nil, errorString("more than four numbers")
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 31)
		if err != nil {
			return nil, errorString("version parts must be numbers up to 2^31-1")
		}
		k.nums[i] = int64(n)
	}
	if hasLabel {
		k.labels = strings.Split(label, ".")
		for _, l := range k.labels {
			if !nugetPart(l) || len(l) > 1 && l[0] == '0' && allDigits(l) {
				return nil, errorString("bad release label")
			}
		}
	}
	if hasMeta {
		for _, m := range strings.Split(meta, ".") {
			if !nugetPart(m) {
				return nil, errorString("bad build metadata")
			}
		}
	}
	return parsed[nugetKey]{key: k, s: s, kind: &nugetKind}, nil
}

// nugetPart reports whether s is a non-empty run of [0-9A-Za-z-].
func nugetPart(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func compareNuGet(a, b nugetKey) int {
	for i := range a.nums {
		if c := cmp.Compare(a.nums[i], b.nums[i]); c != 0 {
			return c
		}
	}
	switch {
	case a.labels == nil && b.labels == nil:
		return 0
	case a.labels == nil:
		return 1 // a release sorts after its pre-releases
	case b.labels == nil:
		return -1
	}
	for i := range max(len(a.labels), len(b.labels)) {
		if i >= len(a.labels) {
			return -1
		}
		if i >= len(b.labels) {
			return 1
		}
		if c := compareNuGetLabel(a.labels[i], b.labels[i]); c != 0 {
			return c
		}
	}
	return 0
}

// compareNuGetLabel compares one release label part: numbers (as Int32.TryParse reads them) by
// value and before text; text by ordinal comparison ignoring case.
func compareNuGetLabel(a, b string) int {
	na, errA := strconv.ParseInt(a, 10, 32)
	nb, errB := strconv.ParseInt(b, 10, 32)
	switch {
	case errA == nil && errB == nil:
		return cmp.Compare(na, nb)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return cmp.Compare(strings.ToUpper(a), strings.ToUpper(b))
}
