package version

import (
	"cmp"
	"strings"
)

// mavenKind orders Maven versions as Maven's ComparableVersion does (numbers, then qualifiers
// alpha < beta < milestone < rc < snapshot < release < sp, then other qualifiers
// alphabetically; "." and "-" and the switch between digits and letters open sublists).
//
// It is Rampart's own, written to agree with ComparableVersion of Maven 3.8 rather than using
// github.com/masahiro331/go-mvn-version, which follows an older parse: it orders 1.0.0.Beta2
// before 1-beta-2, where Maven treats ".X" like "-X" and calls them equal.
var mavenKind = kind[*mvnList]{"maven", func(a, b *mvnList) int { return a.compare(b) }}

// An mvnItem is one parsed piece of a Maven version: a number, a qualifier or a sublist.
type mvnItem interface {
	// compare orders the item against another, or against nothing (nil) when the other version
	// has run out of items.
	compare(other mvnItem) int
	isNull() bool
}

// mvnNum is a number, as digits without leading zeros; Maven's int, long and BigInteger items
// sort by value, and by digit count between them, which is what compareDecimal does.
type mvnNum string

// mvnStr is a qualifier, lower-cased and with its aliases resolved.
type mvnStr string

// mvnList is a sublist opened by "-" or a digit/letter switch.
type mvnList struct{ items []mvnItem }

// mvnQualifiers are the known qualifiers in order; "" is the release itself.
var mvnQualifiers = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

var mvnAliases = map[string]string{"ga": "", "final": "", "release": "", "cr": "rc"}

// mvnRelease is the comparable form of the release qualifier "".
var mvnRelease = comparableQualifier("")

// comparableQualifier maps a known qualifier to its index and an unknown one after all of them,
// by name. The result is compared as a string, as Maven does.
func comparableQualifier(q string) string {
	for i, k := range mvnQualifiers {
		if k == q {
			return string(rune('0' + i))
		}
	}
	return string(rune('0'+len(mvnQualifiers))) + "-" + q
}

func newMvnStr(s string, followedByDigit bool) mvnStr {
	if followedByDigit && len(s) == 1 {
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	if a, ok := mvnAliases[s]; ok {
		s = a
	}
	return mvnStr(s)
}

func (n mvnNum) isNull() bool { return n == "0" }

func (n mvnNum) compare(o mvnItem) int {
	switch o := o.(type) {
	case nil:
		if n.isNull() {
			return 0
		}
		return 1
	case mvnNum:
		return compareDecimal(string(n), string(o))
	default:
		return 1 // 1.1 > 1-sp, 1.1 > 1-1
	}
}

func (s mvnStr) isNull() bool { return comparableQualifier(string(s)) == mvnRelease }

func (s mvnStr) compare(o mvnItem) int {
	switch o := o.(type) {
	case nil:
		return cmp.Compare(comparableQualifier(string(s)), mvnRelease) // 1-rc < 1, 1-sp > 1
	case mvnStr:
		return cmp.Compare(comparableQualifier(string(s)), comparableQualifier(string(o)))
	default:
		return -1 // 1-sp < 1.1, 1-sp < 1-1
	}
}

func (l *mvnList) isNull() bool { return len(l.items) == 0 }

func (l *mvnList) compare(o mvnItem) int {
	switch o := o.(type) {
	case nil:
		for _, it := range l.items {
			if c := it.compare(nil); c != 0 {
				return c
			}
		}
		return 0
	case mvnNum:
		return -1 // 1-1 < 1.1
	case mvnStr:
		return 1 // 1-1 > 1-sp
	case *mvnList:
		for i := range max(len(l.items), len(o.items)) {
			var c int
			switch {
			case i >= len(l.items):
				c = -o.items[i].compare(nil)
			case i >= len(o.items):
				c = l.items[i].compare(nil)
			default:
				c = l.items[i].compare(o.items[i])
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}
	return 0
}

// normalize drops the null items that end the list (zeros, release qualifiers, empty
// sublists), looking through trailing sublists.
func (l *mvnList) normalize() {
	for i := len(l.items) - 1; i >= 0; i-- {
		it := l.items[i]
		if it.isNull() {
			l.items = append(l.items[:i], l.items[i+1:]...)
		} else if _, ok := it.(*mvnList); !ok {
			break
		}
	}
}

func parseMaven(s string) (Version, error) {
	// Maven takes any string as a version; refuse what no real one looks like.
	if s == "" {
		return nil, errorString("empty")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return nil, errorString("space, control or non-ASCII character")
		}
	}
	return parsed[*mvnList]{key: parseMavenItems(strings.ToLower(s)), s: s, kind: &mavenKind}, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseMavenItems splits a lower-cased version into items the way ComparableVersion does.
func parseMavenItems(v string) *mvnList {
	root := &mvnList{}
	cur := root
	stack := []*mvnList{root}
	open := func() { // start a sublist inside the current list
		sub := &mvnList{}
		cur.items = append(cur.items, sub)
		cur = sub
		stack = append(stack, sub)
	}
	item := func(digits bool, tok string) mvnItem {
		if digits {
			return mvnNum(trimZeros(tok))
		}
		return newMvnStr(tok, false)
	}
	digits := false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.' || c == '-':
			if i == start {
				cur.items = append(cur.items, mvnNum("0"))
			} else {
				cur.items = append(cur.items, item(digits, v[start:i]))
			}
			start = i + 1
			if c == '-' {
				open()
			}
		case isDigit(c):
			if !digits && i > start {
				// A qualifier followed by digits: "1.0.0.X1" reads like "1.0.0-X-1".
				if len(cur.items) > 0 {
					open()
				}
				cur.items = append(cur.items, newMvnStr(v[start:i], true))
				start = i
				open()
			}
			digits = true
		default:
			if digits && i > start {
				cur.items = append(cur.items, item(true, v[start:i]))
				start = i
				open()
			}
			digits = false
		}
	}
	if len(v) > start {
		// A trailing qualifier after other items: ".X" reads like "-X".
		if !digits && len(cur.items) > 0 {
			open()
		}
		cur.items = append(cur.items, item(digits, v[start:]))
	}
	for i := len(stack) - 1; i >= 0; i-- {
		stack[i].normalize()
	}
	return root
}
