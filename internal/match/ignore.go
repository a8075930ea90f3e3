package match

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rampartsec/rampart/internal/finding"
)

// ErrInvalidIgnoreFile is wrapped by [ParseIgnoreFile] for files that are not a valid ignore file.
var ErrInvalidIgnoreFile = errors.New("match: invalid ignore file")

// IgnoreRule suppresses one vulnerability, optionally only in one package, until it expires.
type IgnoreRule struct {
	// ID is a vulnerability ID or any of its aliases ("CVE-2021-23337", "GHSA-…").
	ID string `yaml:"id"`
	// Package, when set, limits the rule to packages of that name, of that source package
	// name (an OS package's), or of that package URL; a PURL without a version matches every
	// version.
	Package string `yaml:"package,omitempty"`
	// Reason says why the finding does not apply. It is required.
	Reason string `yaml:"reason"`
	// Expires is the last day ("2026-12-31", UTC) the rule applies; empty means never.
	Expires string `yaml:"expires,omitempty"`

	expires time.Time // the first instant the rule no longer applies; zero for never
}

// IgnoreFile is a list of rules, read from YAML:
//
//	ignore:
//	  - id: CVE-2021-23337
//	    package: lodash
//	    reason: template() is never called with user input
//	    expires: 2026-12-31
type IgnoreFile struct {
	Ignore []IgnoreRule `yaml:"ignore"`
}

// maxIgnoreFile bounds what ParseIgnoreFile reads: ignore files are written by hand.
const maxIgnoreFile = 4 << 20

// ParseIgnoreFile reads an ignore file. Unknown fields, a rule without id or reason and an
// unparsable expiry date are errors wrapping [ErrInvalidIgnoreFile].
func ParseIgnoreFile(b []byte) (*IgnoreFile, error) {
	if len(b) > maxIgnoreFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidIgnoreFile, maxIgnoreFile)
	}
	var f IgnoreFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidIgnoreFile, err)
	}
	for i := range f.Ignore {
		r := &f.Ignore[i]
		r.ID, r.Package, r.Reason, r.Expires = strings.TrimSpace(r.ID), strings.TrimSpace(r.Package), strings.TrimSpace(r.Reason), strings.TrimSpace(r.Expires)
		if r.ID == "" {
			return nil, fmt.Errorf("%w: rule %d: no id", ErrInvalidIgnoreFile, i+1)
		}
		if r.Reason == "" {
			return nil, fmt.Errorf("%w: rule %d (%s): no reason", ErrInvalidIgnoreFile, i+1, r.ID)
		}
		if r.Expires != "" {
			d, err := time.Parse(time.DateOnly, r.Expires)
			if err != nil {
				return nil, fmt.Errorf("%w: rule %d (%s): expires %q: want YYYY-MM-DD", ErrInvalidIgnoreFile, i+1, r.ID, r.Expires)
			}
			r.expires = d.AddDate(0, 0, 1) // the whole named day still counts
		}
	}
	return &f, nil
}

// Apply returns the findings no live rule ignores, how many were ignored, and a warning for
// each expired rule: an expired rule ignores nothing. now decides expiry.
func (f *IgnoreFile) Apply(fs []finding.Finding, now time.Time) ([]finding.Finding, int, []string) {
	if f == nil {
		return fs, 0, nil
	}
	var warnings []string
	var live []*IgnoreRule
	for i := range f.Ignore {
		r := &f.Ignore[i]
		if !r.expires.IsZero() && !now.Before(r.expires) {
			warnings = append(warnings, fmt.Sprintf("ignore rule for %s expired on %s: it no longer ignores anything (reason was: %s)", r.ID, r.Expires, r.Reason))
			continue
		}
		live = append(live, r)
	}
	var kept []finding.Finding
	ignored := 0
	for _, fd := range fs {
		hit := false
		for _, r := range live {
			if namesVuln(&fd, r.ID) && (r.Package == "" || matchesPackage(fd.Package, r.Package)) {
				hit = true
				break
			}
		}
		if hit {
			ignored++
			continue
		}
		kept = append(kept, fd)
	}
	return kept, ignored, warnings
}

// namesVuln reports whether id is the finding's ID or one of its aliases.
func namesVuln(f *finding.Finding, id string) bool {
	if strings.EqualFold(f.ID, id) {
		return true
	}
	for _, a := range f.Aliases {
		if strings.EqualFold(a, id) {
			return true
		}
	}
	return false
}

// matchesPackage reports whether want, a package name, source package name or PURL, names p.
func matchesPackage(p *finding.Package, want string) bool {
	if p == nil {
		return false
	}
	if strings.HasPrefix(want, "pkg:") {
		return p.PURL != "" && samePURL(want, p.PURL)
	}
	return want == p.Name || want == p.Source
}
