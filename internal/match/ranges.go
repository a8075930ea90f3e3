package match

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/inventory/gobinary"
	"github.com/rampartsec/rampart/internal/osv"
	"github.com/rampartsec/rampart/internal/version"
)

// verdict is what one affected entry says about one installed version.
type verdict struct {
	affected bool
	// fixed is the lowest fixed version above the installed one in the ranges that matched;
	// empty when none is known.
	fixed string
	// problems are reasons part of the entry could not be evaluated.
	problems []string
}

// evalAffected decides whether the installed version v falls in entry a. eco is the ecosystem
// the ECOSYSTEM ranges are ordered in.
func evalAffected(a *osv.Affected, eco, v string) verdict {
	var out verdict
	eq := ecosystemOrder(eco)
	for _, listed := range a.Versions {
		// An explicit list is an enumeration: equality decides, no ordering needed. Where the
		// ecosystem has an ordering, equal-but-differently-spelled versions count too
		// ("1.0" and "1.0.0" in PyPI, "v0.3.5" and "0.3.5" in Go).
		if listed == v {
			out.affected = true
			break
		}
		if c, err := eq(listed, v); err == nil && c == 0 {
			out.affected = true
			break
		}
	}
	for i := range a.Ranges {
		r := &a.Ranges[i]
		var cmp func(x, y string) (int, error)
		switch r.Type {
		case osv.RangeGit:
			// Commit ranges need the source repository; the versions list covers them.
			continue
		case osv.RangeSemver:
			cmp = semverOrder(eco)
		case osv.RangeEcosystem:
			cmp = ecosystemOrder(eco)
		default:
			out.problems = append(out.problems, fmt.Sprintf("range type %q is not supported", r.Type))
			continue
		}
		hit, fixed, err := inRange(r.Events, v, cmp)
		if err != nil {
			out.problems = append(out.problems, fmt.Sprintf("%s range: %v", r.Type, err))
			continue
		}
		if hit {
			out.affected = true
			if fixed != "" && (out.fixed == "" || lower(cmp, fixed, out.fixed)) {
				out.fixed = fixed
			}
		}
	}
	return out
}

func lower(cmp func(x, y string) (int, error), a, b string) bool {
	c, err := cmp(a, b)
	return err == nil && c < 0
}

// event is one range event with its kind, for sorting.
type event struct {
	kind    int // order among equal versions: introduced first, so an empty range stays empty
	version string
}

const (
	evIntroduced = iota
	evLastAffected
	evFixed
	evLimit
)

// inRange evaluates one range's events for v, following the OSV schema: events are sorted by
// version ("introduced: 0" first) and walked; introduced at or below v opens the range, fixed
// at or below v closes it, last_affected below v closes it. A limit at or below v excludes v
// whatever the other events say. It returns the lowest fixed event above v when v is affected.
func inRange(events []osv.Event, v string, cmp func(x, y string) (int, error)) (bool, string, error) {
	if _, err := cmp(v, v); err != nil {
		return false, "", fmt.Errorf("installed version: %w", err)
	}
	evs := make([]event, 0, len(events))
	for _, e := range events {
		switch {
		case e.Introduced != "":
			evs = append(evs, event{evIntroduced, e.Introduced})
		case e.Fixed != "":
			evs = append(evs, event{evFixed, e.Fixed})
		case e.LastAffected != "":
			evs = append(evs, event{evLastAffected, e.LastAffected})
		case e.Limit != "":
			evs = append(evs, event{evLimit, e.Limit})
		}
	}
	for _, e := range evs {
		if isZero(e) || e.version == "*" && e.kind == evLimit {
			continue
		}
		if _, err := cmp(e.version, e.version); err != nil {
			return false, "", fmt.Errorf("event version %q: %w", e.version, err)
		}
	}
	// Every version was checked above, so the comparisons below cannot fail.
	order := func(x, y event) int {
		switch {
		case isZero(x) && isZero(y):
			return 0
		case isZero(x):
			return -1
		case isZero(y):
			return 1
		}
		c, _ := cmp(x.version, y.version)
		if c == 0 {
			return x.kind - y.kind
		}
		return c
	}
	slices.SortStableFunc(evs, order)

	affected := false
	fixed := ""
	for _, e := range evs {
		if e.kind == evLimit {
			if e.version != "*" {
				if c, _ := cmp(v, e.version); c >= 0 {
					return false, "", nil
				}
			}
			continue
		}
		var c int
		if !isZero(e) {
			c, _ = cmp(v, e.version)
		}
		switch e.kind {
		case evIntroduced:
			if isZero(e) || c >= 0 {
				affected = true
			}
		case evFixed:
			if c >= 0 {
				affected = false
			} else if fixed == "" {
				fixed = e.version
			}
		case evLastAffected:
			if c > 0 {
				affected = false
			}
		}
	}
	if !affected {
		return false, "", nil
	}
	return true, fixed, nil
}

func isZero(e event) bool { return e.kind == evIntroduced && e.version == "0" }

// semverOrder is the ordering of SEMVER ranges: SemVer 2.0 precedence. Go module versions
// carry a "v" the Go database's ranges do not; it is dropped for the Go ecosystem only.
func semverOrder(eco string) func(x, y string) (int, error) {
	if eco != "Go" {
		return version.CompareSemver
	}
	return func(x, y string) (int, error) {
		return version.CompareSemver(strings.TrimPrefix(x, "v"), strings.TrimPrefix(y, "v"))
	}
}

// ecosystemOrder is the ordering of ECOSYSTEM ranges in eco; its errors wrap
// version.ErrUnsupported when Rampart knows no ordering for eco.
func ecosystemOrder(eco string) func(x, y string) (int, error) {
	return func(x, y string) (int, error) { return version.Compare(eco, x, y) }
}

// goToolchainSemver turns a Go toolchain version ("1.21rc2", "1.20", "1.22.1") into the SemVer
// form the Go vulnerability database uses for "stdlib" ("1.21.0-rc.2", "1.20.0", "1.22.1").
func goToolchainSemver(v string) string {
	v = gobinary.StdlibVersion(v)
	pre := ""
	for _, tag := range []string{"rc", "beta", "alpha"} {
		if i := strings.Index(v, tag); i > 0 {
			pre = "-" + tag + "." + v[i+len(tag):]
			v = v[:i]
			break
		}
	}
	switch strings.Count(v, ".") {
	case 0:
		v += ".0.0"
	case 1:
		v += ".0"
	}
	return v + pre
}
