package version

import (
	"cmp"
	"regexp"
	"strings"
)

// gemKind orders RubyGems versions as Gem::Version#<=> does.
//
// It is Rampart's own, after RubyGems' lib/rubygems/version.rb, rather than
// github.com/aquasecurity/go-gem-version: that library splits letters one at a time where
// RubyGems takes runs of them, so it puts 1.0.a after 1.0.alpha and 1.0.beta before 1.0.b.
var gemKind = kind[[]gemSegment]{"rubygems", compareGem}

// gemPattern is Gem::Version::ANCHORED_VERSION_PATTERN, less the empty version it allows (read
// as "0", which no advisory means).
var gemPattern = regexp.MustCompile(`^\s*[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\s*$`)

// gemSegments splits runs of digits and runs of letters, as Gem::Version#_segments does.
var gemSegments = regexp.MustCompile(`[0-9]+|[a-zA-Z]+`)

// gemSegment is a number (digits without leading zeros, so that any length compares) or a
// string.
type gemSegment struct {
	s   string
	num bool
}

func parseGem(s string) (Version, error) {
	if !gemPattern.MatchString(s) {
		return nil, errorString("not a RubyGems version")
	}
	// RubyGems reads "-" as ".pre.": 1.0-rc1 is 1.0.pre.rc1, a pre-release.
	norm := strings.ReplaceAll(strings.TrimSpace(s), "-", ".pre.")
	var segs []gemSegment
	for _, m := range gemSegments.FindAllString(norm, -1) {
		if m[0] >= '0' && m[0] <= '9' {
			segs = append(segs, gemSegment{s: trimZeros(m), num: true})
		} else {
			segs = append(segs, gemSegment{s: m})
		}
	}
	return parsed[[]gemSegment]{key: canonicalGem(segs), s: s, kind: &gemKind}, nil
}

// canonicalGem drops the zeros that end the numeric part and those that end the rest, as
// Gem::Version#canonical_segments does: 1.0.0 is 1, 1.0.a.0 is 1.a.
func canonicalGem(segs []gemSegment) []gemSegment {
	i := 0
	for i < len(segs) && segs[i].num {
		i++
	}
	return append(dropZeros(segs[:i]), dropZeros(segs[i:])...)
}

func dropZeros(segs []gemSegment) []gemSegment {
	for len(segs) > 0 && segs[len(segs)-1].num && segs[len(segs)-1].s == "0" {
		segs = segs[:len(segs)-1]
	}
	return segs
}

// compareGem is Gem::Version#<=> on canonical segments: a missing segment is 0, a string sorts
// before a number, strings compare bytewise and numbers by value.
func compareGem(a, b []gemSegment) int {
	zero := gemSegment{s: "0", num: true}
	for i := range max(len(a), len(b)) {
		l, r := zero, zero
		if i < len(a) {
			l = a[i]
		}
		if i < len(b) {
			r = b[i]
		}
		switch {
		case l == r:
			continue
		case !l.num && r.num:
			return -1
		case l.num && !r.num:
			return 1
		case l.num:
			return compareDecimal(l.s, r.s)
		default:
			return cmp.Compare(l.s, r.s)
		}
	}
	return 0
}

// trimZeros strips leading zeros from a digit run, keeping one digit.
func trimZeros(d string) string {
	t := strings.TrimLeft(d, "0")
	if t == "" {
		return "0"
	}
	return t
}

// compareDecimal compares digit runs without leading zeros by value, whatever their length.
func compareDecimal(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}
