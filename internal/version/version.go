package version

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
)

// Errors returned by [Parse], [Compare] and [ParseSemver], wrapped with the ecosystem and the
// version; test for them with errors.Is.
var (
	// ErrUnsupported means Rampart has no ordering for the ecosystem.
	ErrUnsupported = errors.New("version: unsupported ecosystem")
	// ErrInvalid means the string is not a version of the ecosystem.
	ErrInvalid = errors.New("version: invalid version")
)

// MaxLen is the longest version string accepted, in bytes. Real versions are far shorter (a Go
// pseudo-version is about 40 bytes); the bound keeps hostile input from costing much.
const MaxLen = 256

// Version is a parsed version of one ordering. Values are immutable and safe for concurrent use.
type Version interface {
	// Compare returns -1, 0 or +1 as the version sorts before, equal to or after other. Versions
	// of different orderings never panic: they sort by the ordering's name, which is a total order
	// but meaningless for matching.
	Compare(other Version) int
	// String returns the version as it was given to Parse.
	String() string
}

// ordered is implemented by every Version of this package: it names the ordering, so that
// Compare can tell versions of different orderings apart.
type ordered interface {
	ordering() string
}

// kind is one ordering: its name and how it compares two parsed keys of type K.
type kind[K any] struct {
	name string
	cmp  func(a, b K) int
}

// parsed is a Version of every ordering: the parsed key, the string it came from, its kind.
type parsed[K any] struct {
	key  K
	s    string
	kind *kind[K]
}

func (v parsed[K]) ordering() string { return v.kind.name }
func (v parsed[K]) String() string   { return v.s }

func (v parsed[K]) Compare(other Version) int {
	o, ok := other.(parsed[K])
	if !ok || o.kind != v.kind {
		return crossCompare(v, other)
	}
	return sign(v.kind.cmp(v.key, o.key))
}

// parser parses one ordering's versions; its errors say why a string is invalid.
type parser func(s string) (Version, error)

// ecosystems maps an OSV ecosystem name (without its ":release" suffix) to its parser.
var ecosystems = map[string]parser{
	"Debian": parseDeb,
	"Ubuntu": parseDeb,

	"Alpine":     parseAPK,
	"Wolfi":      parseAPK,
	"Chainguard": parseAPK,

	"Red Hat":      parseRPM,
	"Rocky Linux":  parseRPM,
	"AlmaLinux":    parseRPM,
	"Fedora":       parseRPM,
	"SUSE":         parseRPM,
	"openSUSE":     parseRPM,
	"Oracle Linux": parseRPM,
	"Amazon Linux": parseRPM,
	"Photon OS":    parseRPM,
	"Mageia":       parseRPM,
	"openEuler":    parseRPM,
	"Azure Linux":  parseRPM,

	"Go":        parseGo,
	"npm":       parseNPM,
	"crates.io": parseSemver,
	"PyPI":      parsePyPI,
	"Maven":     parseMaven,
	"RubyGems":  parseGem,
	"Packagist": parsePackagist,
	"NuGet":     parseNuGet,
}

// folded holds the same parsers keyed by lower-cased name, for callers that spell a name in
// another case ("pypi", "DEBIAN").
var folded = func() map[string]parser {
	m := make(map[string]parser, len(ecosystems))
	for k, p := range ecosystems {
		m[strings.ToLower(k)] = p
	}
	return m
}()

// lookup finds the parser of ecosystem, ignoring a ":release" suffix and letter case.
func lookup(ecosystem string) (parser, bool) {
	name, _, _ := strings.Cut(ecosystem, ":")
	name = strings.TrimSpace(name)
	if p, ok := ecosystems[name]; ok {
		return p, true
	}
	p, ok := folded[strings.ToLower(name)]
	return p, ok
}

// Supported reports whether Parse and Compare know the ordering of ecosystem.
func Supported(ecosystem string) bool {
	_, ok := lookup(ecosystem)
	return ok
}

// Parse parses v in the ordering of ecosystem, an OSV ecosystem name with or without a
// ":release" suffix ("Debian:12" orders like "Debian"); the name's letter case is ignored.
//
// It returns an error wrapping [ErrUnsupported] for an ecosystem without an ordering and one
// wrapping [ErrInvalid] for a string that is not a version of it, longer than [MaxLen] included.
func Parse(ecosystem, v string) (Version, error) {
	p, ok := lookup(ecosystem)
	if !ok {
		return nil, fmt.Errorf("parse %q in %q: %w", v, ecosystem, ErrUnsupported)
	}
	if err := checkLen(v); err != nil {
		return nil, fmt.Errorf("parse %q in %q: %w", clip(v), ecosystem, err)
	}
	ver, err := p(v)
	if err != nil {
		return nil, fmt.Errorf("parse %q in %q: %w: %w", v, ecosystem, ErrInvalid, err)
	}
	return ver, nil
}

// Compare parses a and b in the ordering of ecosystem and returns -1, 0 or +1 as a sorts before,
// equal to or after b. Its errors are those of [Parse].
func Compare(ecosystem, a, b string) (int, error) {
	va, err := Parse(ecosystem, a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(ecosystem, b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

func checkLen(v string) error {
	if len(v) > MaxLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalid, MaxLen)
	}
	return nil
}

// clip shortens an over-long version for an error message.
func clip(v string) string {
	if len(v) > 64 {
		return v[:64] + "…"
	}
	return v
}

// crossCompare orders versions of different orderings by the ordering's name, then by their
// strings, so that Compare stays antisymmetric whatever it is given; a nil one sorts first.
func crossCompare(a, b Version) int {
	if b == nil {
		return 1 // a nil Version sorts first
	}
	if c := cmp.Compare(orderingOf(a), orderingOf(b)); c != 0 {
		return c
	}
	return cmp.Compare(a.String(), b.String())
}

func orderingOf(v Version) string {
	if o, ok := v.(ordered); ok {
		return o.ordering()
	}
	return "~" // any Version not of this package
}

// sign folds a library's comparison result to -1, 0 or +1.
func sign(c int) int {
	return cmp.Compare(c, 0)
}
