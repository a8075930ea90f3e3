package match

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
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

// ignoreShape is what an ignore file looks like, for errors about one that does not.
const ignoreShape = `a mapping whose "ignore:" key lists the rules, each with id and reason, optionally package and expires (docs/vulnerabilities.md#ignore-file)`

// ruleKeys are the keys of one rule, in the order errors list them.
var ruleKeys = []string{"id", "package", "reason", "expires"}

// ParseIgnoreFile reads an ignore file. A file of another shape, unknown keys, a rule without id
// or reason and an unparsable expiry date are errors wrapping [ErrInvalidIgnoreFile]; they name
// the line and say what was expected there.
func ParseIgnoreFile(b []byte) (*IgnoreFile, error) {
	if len(b) > maxIgnoreFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidIgnoreFile, maxIgnoreFile)
	}
	var f IgnoreFile
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &f, nil
		}
		return nil, fmt.Errorf("%w: not YAML: %s", ErrInvalidIgnoreFile, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	lines, err := checkIgnoreShape(&doc)
	if err != nil {
		return nil, err
	}
	if err := doc.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidIgnoreFile, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	for i := range f.Ignore {
		r := &f.Ignore[i]
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		r.ID, r.Package, r.Reason, r.Expires = strings.TrimSpace(r.ID), strings.TrimSpace(r.Package), strings.TrimSpace(r.Reason), strings.TrimSpace(r.Expires)
		if r.ID == "" {
			return nil, ignoreError(line, "rule %d: no id; every rule needs the vulnerability's id (or an alias) and a reason", i+1)
		}
		if r.Reason == "" {
			return nil, ignoreError(line, "rule %d (%s): no reason; every rule says why the finding does not apply", i+1, r.ID)
		}
		if r.Expires != "" {
			d, err := time.Parse(time.DateOnly, r.Expires)
			if err != nil {
				return nil, ignoreError(line, "rule %d (%s): expires %q: want YYYY-MM-DD", i+1, r.ID, r.Expires)
			}
			r.expires = d.AddDate(0, 0, 1) // the whole named day still counts
		}
	}
	return &f, nil
}

// ignoreError is an ErrInvalidIgnoreFile error about a line of the file (0: none known).
func ignoreError(line int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	return fmt.Errorf("%w: %s", ErrInvalidIgnoreFile, msg)
}

// checkIgnoreShape checks that doc, a decoded YAML document, has the shape of an ignore file,
// and returns the line of each rule.
func checkIgnoreShape(doc *yaml.Node) ([]int, error) {
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		root = root.Content[0]
	}
	root = resolveAlias(root)
	if isNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		hint := ""
		if root.Kind == yaml.SequenceNode {
			hint = ` (put "ignore:" on the first line and indent the list under it)`
		}
		return nil, ignoreError(root.Line, "the file is %s; want %s%s", describeNode(root), ignoreShape, hint)
	}
	var lines []int
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolveAlias(root.Content[i+1])
		if k.Value != "ignore" {
			return nil, ignoreError(k.Line, "unknown key %q; want %s", k.Value, ignoreShape)
		}
		if isNull(v) {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return nil, ignoreError(v.Line, `"ignore:" holds %s; want a list of rules, each starting with "- id:"`, describeNode(v))
		}
		for j, r := range v.Content {
			r = resolveAlias(r)
			if r.Kind != yaml.MappingNode {
				return nil, ignoreError(r.Line, "rule %d is %s; want a mapping of %s (id and reason required)", j+1, describeNode(r), strings.Join(ruleKeys, ", "))
			}
			for n := 0; n+1 < len(r.Content); n += 2 {
				rk, rv := r.Content[n], resolveAlias(r.Content[n+1])
				if !slices.Contains(ruleKeys, rk.Value) {
					return nil, ignoreError(rk.Line, "rule %d: unknown key %q; want %s", j+1, rk.Value, strings.Join(ruleKeys, ", "))
				}
				if rv.Kind != yaml.ScalarNode {
					return nil, ignoreError(rv.Line, "rule %d: %s is %s; want a string", j+1, rk.Value, describeNode(rv))
				}
			}
			lines = append(lines, r.Line)
		}
	}
	return lines, nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// describeNode names a node's shape for an error: "a list", "a mapping", "the string \"x\"".
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("the value %q", v)
	}
	return "not a mapping"
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
