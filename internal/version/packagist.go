package version

import (
	"cmp"
	"regexp"
	"strings"
)

// composerKind orders Packagist versions as Composer does: each version is normalised by
// Composer's VersionParser::normalize ("v1.2" → "1.2.0.0", "1.0-b2" → "1.0.0.0-beta2",
// "2.x-dev" → "2.9999999.9999999.9999999-dev"), then compared with PHP's version_compare,
// which is what Composer's Comparator does. Keys are the normalised strings.
//
// It is Rampart's own implementation of both steps (no Go module implements them).
var composerKind = kind[string]{"composer", phpVersionCompare}

// The patterns of Composer's VersionParser, without PCRE's possessive quantifiers, which RE2
// lacks and which change nothing for the strings these anchored patterns accept.
const composerModifier = `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?`

var (
	composerAlias     = regexp.MustCompile(`^([^,\s]+) +as +([^,\s]+)$`)
	composerStability = regexp.MustCompile(`(?i)@(?:stable|RC|beta|alpha|dev)$`)
	composerBuild     = regexp.MustCompile(`^([^,\s+]+)\+[^\s]+$`)
	composerClassical = regexp.MustCompile(`(?i)^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?` + composerModifier + `$`)
	composerDate      = regexp.MustCompile(`(?i)^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?)` + composerModifier + `$`)
	composerDevSuffix = regexp.MustCompile(`(?i)^(.*?)[.-]?dev$`)
	composerBranch    = regexp.MustCompile(`(?i)^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$`)
	nonDigit          = regexp.MustCompile(`\D`)
)

func parsePackagist(s string) (Version, error) {
	if err := checkDigits(s); err != nil {
		return nil, err // PHP's version_compare saturates longer numbers
	}
	n, err := composerNormalize(s)
	if err != nil {
		return nil, err
	}
	return parsed[string]{key: n, s: s, kind: &composerKind}, nil
}

// composerNormalize is VersionParser::normalize, except that named branches ("dev-main",
// "master") are refused, since Composer orders them against nothing.
func composerNormalize(v string) (string, error) {
	v = strings.Trim(v, " \t\n\r\x00\x0b")
	if m := composerAlias.FindStringSubmatch(v); m != nil {
		v = m[1] // "1.0 as 2.0" is 1.0
	}
	if m := composerStability.FindString(v); m != "" {
		v = v[:len(v)-len(m)]
	}
	lower := strings.ToLower(v)
	if strings.HasPrefix(lower, "dev-") || v == "master" || v == "trunk" || v == "default" {
		return "", errorString("a branch, not a version")
	}
	if m := composerBuild.FindStringSubmatch(v); m != nil {
		v = m[1]
	}
	var out string
	var mod []string // stability, its number, dev
	if m := composerClassical.FindStringSubmatch(v); m != nil {
		out = m[1]
		for _, part := range m[2:5] {
			if part == "" {
				part = ".0"
			}
			out += part
		}
		mod = m[5:8]
	} else if m := composerDate.FindStringSubmatch(v); m != nil {
		out = nonDigit.ReplaceAllString(m[1], ".")
		mod = m[2:5]
	} else if m := composerDevSuffix.FindStringSubmatch(v); m != nil {
		if b := composerBranch.FindStringSubmatch(strings.Trim(m[1], " \t\n\r\x00\x0b")); b != nil {
			// A numeric branch: 2.x-dev is 2.9999999.9999999.9999999-dev.
			for _, part := range b[1:5] {
				if part == "" {
					part = ".x"
				}
				out += strings.NewReplacer("*", "x", "X", "x").Replace(part)
			}
			return strings.ReplaceAll(out, "x", "9999999") + "-dev", nil
		}
		return "", errorString("a branch, not a version")
	} else {
		return "", errorString("not a Composer version")
	}
	if mod[0] != "" {
		if mod[0] == "stable" {
			return out, nil
		}
		out += "-" + expandStability(mod[0]) + strings.TrimLeft(mod[1], ".-")
	}
	if mod[2] != "" {
		out += "-dev"
	}
	return out, nil
}

func expandStability(s string) string {
	switch s = strings.ToLower(s); s {
	case "a":
		return "alpha"
	case "b":
		return "beta"
	case "p", "pl":
		return "patch"
	case "rc":
		return "RC"
	}
	return s
}

// phpCanonical is PHP's php_canonicalize_version: "-", "_" and "+" become ".", and a "." goes
// between digits and non-digits, so "1.0.0.0-beta2" reads as 1.0.0.0.beta.2.
func phpCanonical(v string) string {
	if v == "" {
		return v
	}
	isDig := func(c byte) bool { return c >= '0' && c <= '9' }
	isNonDig := func(c byte) bool { return !isDig(c) && c != '.' }
	isAlnum := func(c byte) bool { return isDig(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	b := make([]byte, 0, 2*len(v))
	b = append(b, v[0])
	lp := v[0]
	for i := 1; i < len(v); i++ {
		c := v[i]
		lq := b[len(b)-1]
		switch {
		case c == '-' || c == '_' || c == '+':
			if lq != '.' {
				b = append(b, '.')
			}
		case isNonDig(lp) && isDig(c) || isDig(lp) && isNonDig(c):
			if lq != '.' {
				b = append(b, '.')
			}
			b = append(b, c)
		case !isAlnum(c):
			if lq != '.' {
				b = append(b, '.')
			}
		default:
			b = append(b, c)
		}
		lp = c
	}
	return string(b)
}

// phpSpecialForms are version_compare's named parts in order; a part matches the first name
// it starts with, "#" stands for a number, and a part matching none sorts before them all.
var phpSpecialForms = []struct {
	name  string
	order int
}{{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"RC", 3}, {"rc", 3}, {"#", 4}, {"pl", 5}, {"p", 5}}

func phpSpecialOrder(part string) int {
	for _, f := range phpSpecialForms {
		if strings.HasPrefix(part, f.name) {
			return f.order
		}
	}
	return -1
}

// phpVersionCompare is PHP's version_compare($a, $b). Numbers are compared by value at any
// length, where PHP's strtol saturates; Parse refuses numbers that long.
func phpVersionCompare(a, b string) int {
	if a == "" || b == "" {
		return cmp.Compare(len(a), len(b)) // an empty version sorts first
	}
	if a[0] != '#' {
		a = phpCanonical(a)
	}
	if b[0] != '#' {
		b = phpCanonical(b)
	}
	startsDigit := func(s string) bool { return s != "" && isDigit(s[0]) }
	p1, p2 := a, b
	more1, more2 := true, true // whether a "." followed the part last read
	c := 0
	for p1 != "" && p2 != "" && more1 && more2 {
		var s1, s2, r1, r2 string
		s1, r1, more1 = strings.Cut(p1, ".")
		s2, r2, more2 = strings.Cut(p2, ".")
		switch d1, d2 := startsDigit(s1), startsDigit(s2); {
		case d1 && d2:
			c = compareDecimal(trimZeros(leadingDigits(s1)), trimZeros(leadingDigits(s2)))
		case !d1 && !d2:
			c = cmp.Compare(phpSpecialOrder(s1), phpSpecialOrder(s2))
		case d1:
			c = cmp.Compare(phpSpecialOrder("#N#"), phpSpecialOrder(s2))
		default:
			c = cmp.Compare(phpSpecialOrder(s1), phpSpecialOrder("#N#"))
		}
		if c != 0 {
			return c
		}
		if more1 {
			p1 = r1
		}
		if more2 {
			p2 = r2
		}
	}
	switch {
	case more1 && startsDigit(p1):
		return 1
	case more1:
		return phpVersionCompare(p1, "#N#")
	case more2 && startsDigit(p2):
		return -1
	case more2:
		return phpVersionCompare("#N#", p2)
	}
	return 0
}

// leadingDigits is the digit run strtol would read.
func leadingDigits(s string) string {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i]
}
