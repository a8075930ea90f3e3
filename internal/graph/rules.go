package graph

import (
	_ "embed"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rampartsec/rampart/internal/finding"
)

//go:embed rules.yaml
var rulesYAML []byte

// Rule is one risk rule, as written in rules.yaml.
type Rule struct {
	ID          string           `yaml:"id" json:"id"`
	Title       string           `yaml:"title" json:"title"`
	Severity    finding.Severity `yaml:"severity" json:"severity"`
	Impact      float64          `yaml:"impact" json:"impact"`
	Remediation string           `yaml:"remediation" json:"remediation"`
	Workload    *WorkloadMatch   `yaml:"workload,omitempty" json:"workload,omitempty"`
	Path        *PathMatch       `yaml:"path,omitempty" json:"path,omitempty"`
}

// WorkloadMatch is a combination of facts about one workload; every field set must hold.
// Exposed, when set, must equal whether the Internet can reach the workload.
type WorkloadMatch struct {
	Exposed                   *bool      `yaml:"exposed" json:"exposed,omitempty"`
	Vulnerability             *VulnMatch `yaml:"vulnerability" json:"vulnerability,omitempty"`
	EscapesToNode             bool       `yaml:"escapes_to_node" json:"escapes_to_node,omitempty"`
	SAReadsSecretsClusterWide bool       `yaml:"sa_reads_secrets_cluster_wide" json:"sa_reads_secrets_cluster_wide,omitempty"`
	LeakedSecret              *LeakMatch `yaml:"leaked_secret" json:"leaked_secret,omitempty"`
}

// VulnMatch selects vulnerabilities: at least MinSeverity (or KEV-listed when OrKEV), with a fix
// when Fix, with an EPSS of at least MinEPSS. A vulnerability whose Go symbol is absent never matches.
type VulnMatch struct {
	MinSeverity finding.Severity `yaml:"min_severity" json:"min_severity,omitempty"`
	OrKEV       bool             `yaml:"or_kev" json:"or_kev,omitempty"`
	Fix         bool             `yaml:"fix" json:"fix,omitempty"`
	MinEPSS     float64          `yaml:"min_epss" json:"min_epss,omitempty"`
}

// LeakMatch selects secrets found in images: at least MinSeverity.
type LeakMatch struct {
	MinSeverity finding.Severity `yaml:"min_severity" json:"min_severity,omitempty"`
}

// Entry points and targets of path rules.
const (
	FromInternet      = "internet"
	FromAuthenticated = "authenticated"
	FromPod           = "pod"
)

// PathMatch asks for attack paths from an entry point to a class of crown jewels.
// By default it reports the best path to each target (secrets and crown jewels: per namespace);
// PerEntry (from the Internet only) reports the best path through each workload the Internet can
// exploit directly instead.
type PathMatch struct {
	From     string `yaml:"from" json:"from"`
	To       string `yaml:"to" json:"to"`
	PerEntry bool   `yaml:"per_entry" json:"per_entry,omitempty"`
}

// Matches reports whether v is selected.
func (m *VulnMatch) Matches(v VulnFact) bool {
	if v.Symbol == "absent" {
		return false
	}
	sevOK := m.MinSeverity == "" || v.Severity.Rank() >= m.MinSeverity.Rank()
	if !sevOK && !(m.OrKEV && v.KEV) {
		return false
	}
	if m.Fix && v.Fixed == "" {
		return false
	}
	return v.EPSS >= m.MinEPSS
}

// DefaultRules returns the embedded rules.
func DefaultRules() ([]Rule, error) { return ParseRules(rulesYAML) }

// ParseRules reads and checks a rules document.
func ParseRules(data []byte) ([]Rule, error) {
	var doc struct {
		Rules []Rule `yaml:"rules"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("graph rules: %w", err)
	}
	seen := map[string]bool{}
	for i := range doc.Rules {
		r := &doc.Rules[i]
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("graph rule %d (%s): %w", i, r.ID, err)
		}
		if seen[r.ID] {
			return nil, fmt.Errorf("graph rule %s: duplicate id", r.ID)
		}
		seen[r.ID] = true
	}
	return doc.Rules, nil
}

func (r *Rule) check() error {
	switch {
	case r.ID == "" || r.Title == "" || r.Remediation == "":
		return fmt.Errorf("id, title and remediation are required")
	case r.Impact <= 0 || r.Impact > 1:
		return fmt.Errorf("impact %v: want (0, 1]", r.Impact)
	case (r.Workload == nil) == (r.Path == nil):
		return fmt.Errorf("want exactly one of workload and path")
	}
	if _, err := finding.ParseSeverity(string(r.Severity)); err != nil {
		return err
	}
	if v := r.Workload; v != nil {
		if *v == (WorkloadMatch{}) {
			return fmt.Errorf("workload: no condition")
		}
		if v.LeakedSecret != nil && v.LeakedSecret.MinSeverity != "" {
			if _, err := finding.ParseSeverity(string(v.LeakedSecret.MinSeverity)); err != nil {
				return fmt.Errorf("leaked_secret: %w", err)
			}
		}
		if v.Vulnerability != nil && v.Vulnerability.MinSeverity != "" {
			if _, err := finding.ParseSeverity(string(v.Vulnerability.MinSeverity)); err != nil {
				return fmt.Errorf("vulnerability: %w", err)
			}
		}
	}
	if p := r.Path; p != nil {
		switch p.From {
		case FromInternet, FromAuthenticated, FromPod:
		default:
			return fmt.Errorf("path.from %q: want internet, authenticated or pod", p.From)
		}
		if p.PerEntry && p.From != FromInternet {
			return fmt.Errorf("path.per_entry: only from internet")
		}
		switch p.To {
		case CrownClusterAdmin, CrownNode, CrownSecret, CrownNamespace:
		default:
			return fmt.Errorf("path.to %q: want %s", p.To, strings.Join([]string{CrownClusterAdmin, CrownNode, CrownSecret, CrownNamespace}, ", "))
		}
	}
	return nil
}
