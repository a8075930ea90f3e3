package secret

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rampartsec/rampart/internal/finding"
)

//go:embed rules.yaml
var builtinRules []byte

// Rule is one secret detector, as written in rules.yaml.
type Rule struct {
	ID          string   `yaml:"id"`
	Title       string   `yaml:"title"`
	Severity    string   `yaml:"severity"`
	Keywords    []string `yaml:"keywords"`
	Regex       string   `yaml:"regex"`
	Entropy     float64  `yaml:"entropy"`
	Paths       []string `yaml:"paths"`
	Validate    string   `yaml:"validate"`
	Allow       []string `yaml:"allow"`
	Remediation string   `yaml:"remediation"`
	// Lines widens the text the regex runs on to this many lines before and after the keyword's
	// line, for secrets whose record spans lines. Default 0: the keyword's line only.
	Lines int `yaml:"lines"`
	// Fallback rules yield to any other rule matching on the same line.
	Fallback bool `yaml:"fallback"`
	// KeyDeny, when the regex has a group named "key", drops matches whose key name matches it
	// (identifiers such as private_key_id are not secrets).
	KeyDeny string `yaml:"key-deny"`

	re       *regexp.Regexp
	group    int
	paths    []*regexp.Regexp
	allow    []*regexp.Regexp
	severity finding.Severity
	validate validator
	keyDeny  *regexp.Regexp
}

// Config is the layout of rules.yaml and of a user's rules file.
type Config struct {
	Version int    `yaml:"version"`
	Rules   []Rule `yaml:"rules"`
	// Disable lists built-in rule IDs to turn off.
	Disable []string `yaml:"disable"`
	// AllowPaths are RE2 patterns of file paths never scanned (in addition to the defaults).
	AllowPaths []string `yaml:"allow-paths"`
	// NoDefaultAllowPaths scans the paths skipped by default too (documentation, language
	// runtimes' standard libraries, package databases, media).
	NoDefaultAllowPaths bool `yaml:"no-default-allow-paths"`
}

// ErrConfig is wrapped by errors about an invalid rules file.
var ErrConfig = errors.New("secret: invalid rules")

// LoadConfig reads a user rules file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret rules: %w", err)
	}
	return parseConfig(b, path)
}

func parseConfig(b []byte, name string) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
	}
	if err := checkKeys(&doc, name); err != nil {
		return nil, err
	}
	var c Config
	if err := doc.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
	}
	return &c, nil
}

// checkKeys rejects keys that neither [Config] nor [Rule] has: a misspelt "disable" or
// "allow-paths" would otherwise be ignored, and the user would believe a rule off or a path
// skipped.
func checkKeys(doc *yaml.Node, name string) error {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil // empty, or not a mapping: Decode says what is wrong
	}
	top := doc.Content[0]
	if err := knownKeys(top, name, "at the top level", yamlKeys(reflect.TypeFor[Config]())); err != nil {
		return err
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "rules" || top.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for _, r := range top.Content[i+1].Content {
			if r.Kind != yaml.MappingNode {
				continue
			}
			if err := knownKeys(r, name, "in a rule", yamlKeys(reflect.TypeFor[Rule]())); err != nil {
				return err
			}
		}
	}
	return nil
}

// knownKeys checks the keys of the mapping m against want.
func knownKeys(m *yaml.Node, name, where string, want []string) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if !slices.Contains(want, k.Value) {
			return fmt.Errorf("%w: %s:%d: unknown key %q %s (expected one of: %s)", ErrConfig, name, k.Line, k.Value, where, strings.Join(want, ", "))
		}
	}
	return nil
}

// yamlKeys lists the yaml keys of a struct type's fields, in declaration order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if k, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); f.IsExported() && k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}

// compile checks and prepares a rule.
func (r *Rule) compile() error {
	if r.ID == "" {
		return fmt.Errorf("%w: a rule has no id", ErrConfig)
	}
	if len(r.Keywords) == 0 {
		return fmt.Errorf("%w: rule %s: no keywords (every rule needs at least one, for the prefilter)", ErrConfig, r.ID)
	}
	for _, k := range r.Keywords {
		if k == "" {
			return fmt.Errorf("%w: rule %s: empty keyword", ErrConfig, r.ID)
		}
	}
	re, err := regexp.Compile(r.Regex)
	if err != nil {
		return fmt.Errorf("%w: rule %s: regex: %w", ErrConfig, r.ID, err)
	}
	r.re = re
	r.group = re.SubexpIndex("secret")
	if r.group < 0 && re.NumSubexp() > 0 {
		r.group = 1
	} else if r.group < 0 {
		r.group = 0
	}
	sev, err := finding.ParseSeverity(r.Severity)
	if err != nil {
		return fmt.Errorf("%w: rule %s: %w", ErrConfig, r.ID, err)
	}
	r.severity = sev
	for _, p := range r.Paths {
		re, err := regexp.Compile(p)
		if err != nil {
			return fmt.Errorf("%w: rule %s: path %q: %w", ErrConfig, r.ID, p, err)
		}
		r.paths = append(r.paths, re)
	}
	for _, p := range r.Allow {
		re, err := regexp.Compile(p)
		if err != nil {
			return fmt.Errorf("%w: rule %s: allow %q: %w", ErrConfig, r.ID, p, err)
		}
		r.allow = append(r.allow, re)
	}
	if r.KeyDeny != "" {
		re, err := regexp.Compile(r.KeyDeny)
		if err != nil {
			return fmt.Errorf("%w: rule %s: key-deny: %w", ErrConfig, r.ID, err)
		}
		r.keyDeny = re
	}
	if r.Validate != "" {
		v, ok := validators[r.Validate]
		if !ok {
			return fmt.Errorf("%w: rule %s: unknown validate %q", ErrConfig, r.ID, r.Validate)
		}
		r.validate = v
	}
	return nil
}

// rules merges the built-in rules with a user's config: user rules with a built-in ID replace it.
func rules(user *Config) ([]*Rule, []*regexp.Regexp, error) {
	base, err := parseConfig(builtinRules, "built-in rules")
	if err != nil {
		return nil, nil, err
	}
	list := base.Rules
	var allowPaths []string
	if user != nil {
		for _, ur := range user.Rules {
			if i := slices.IndexFunc(list, func(r Rule) bool { return r.ID == ur.ID }); i >= 0 {
				list[i] = ur
			} else {
				// User rules go before the generic catch-all so they win overlaps.
				list = append(list[:len(list)-1:len(list)-1], ur, list[len(list)-1])
			}
		}
		list = slices.DeleteFunc(list, func(r Rule) bool { return slices.Contains(user.Disable, r.ID) })
		allowPaths = user.AllowPaths
	}
	out := make([]*Rule, 0, len(list))
	for i := range list {
		r := list[i]
		if err := r.compile(); err != nil {
			return nil, nil, err
		}
		out = append(out, &r)
	}
	var ap []*regexp.Regexp
	for _, p := range allowPaths {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: allow-paths %q: %w", ErrConfig, p, err)
		}
		ap = append(ap, re)
	}
	return out, ap, nil
}
