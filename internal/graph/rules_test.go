package graph

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
)

func TestDefaultRules(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 10 {
		t.Errorf("%d rules", len(rules))
	}
	// docs/graph.md lists every rule.
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "graph.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if !strings.Contains(string(doc), "| "+r.ID+" |") {
			t.Errorf("docs/graph.md has no row for %s", r.ID)
		}
	}
}

func TestParseRulesErrors(t *testing.T) {
	for _, tt := range []struct{ name, doc, want string }{
		{"no match", "rules: [{id: A, title: t, severity: HIGH, impact: 1, remediation: r}]", "exactly one"},
		{"both", "rules: [{id: A, title: t, severity: HIGH, impact: 1, remediation: r, workload: {exposed: true}, path: {from: internet, to: node}}]", "exactly one"},
		{"bad impact", "rules: [{id: A, title: t, severity: HIGH, impact: 2, remediation: r, workload: {exposed: true}}]", "impact"},
		{"bad severity", "rules: [{id: A, title: t, severity: BAD, impact: 1, remediation: r, workload: {exposed: true}}]", "severity"},
		{"empty workload", "rules: [{id: A, title: t, severity: HIGH, impact: 1, remediation: r, workload: {}}]", "no condition"},
		{"bad from", "rules: [{id: A, title: t, severity: HIGH, impact: 1, remediation: r, path: {from: moon, to: node}}]", "path.from"},
		{"bad to", "rules: [{id: A, title: t, severity: HIGH, impact: 1, remediation: r, path: {from: pod, to: moon}}]", "path.to"},
		{"duplicate", "rules: [{id: A, title: t, severity: HIGH, impact: 1, remediation: r, path: {from: pod, to: node}}, {id: A, title: t, severity: HIGH, impact: 1, remediation: r, path: {from: pod, to: node}}]", "duplicate"},
		{"not yaml", "rules: [", "graph rules"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestVulnMatch(t *testing.T) {
	m := VulnMatch{MinSeverity: finding.SeverityCritical, OrKEV: true, Fix: true}
	for _, tt := range []struct {
		name string
		v    VulnFact
		want bool
	}{
		{"critical fixed", VulnFact{Severity: finding.SeverityCritical, Fixed: "2"}, true},
		{"critical unfixed", VulnFact{Severity: finding.SeverityCritical}, false},
		{"high kev fixed", VulnFact{Severity: finding.SeverityHigh, KEV: true, Fixed: "2"}, true},
		{"high fixed", VulnFact{Severity: finding.SeverityHigh, Fixed: "2"}, false},
		{"critical fixed symbol absent", VulnFact{Severity: finding.SeverityCritical, Fixed: "2", Symbol: "absent"}, false},
		{"critical fixed symbol present", VulnFact{Severity: finding.SeverityCritical, Fixed: "2", Symbol: "present"}, true},
	} {
		if got := m.Matches(tt.v); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestExploitability(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    VulnFact
		want float64
	}{
		{"low", VulnFact{Severity: finding.SeverityLow}, 0},
		{"medium with high EPSS", VulnFact{Severity: finding.SeverityMedium, EPSS: 0.4}, 0.4},
		{"critical", VulnFact{Severity: finding.SeverityCritical}, 0.6},
		{"high KEV", VulnFact{Severity: finding.SeverityHigh, KEV: true}, 0.95},
		{"high KEV fixed", VulnFact{Severity: finding.SeverityHigh, KEV: true, Fixed: "2"}, 0.99},
		{"critical fixed", VulnFact{Severity: finding.SeverityCritical, Fixed: "2"}, 0.65},
		{"low fixed", VulnFact{Severity: finding.SeverityLow, Fixed: "2"}, 0},
		{"critical symbol absent", VulnFact{Severity: finding.SeverityCritical, KEV: true, Symbol: "absent"}, 0},
		{"critical symbol present", VulnFact{Severity: finding.SeverityCritical, Symbol: "present"}, 0.65},
		{"unrated symbol present", VulnFact{Severity: finding.SeverityUnknown, Symbol: "present"}, 0.35},
		{"unrated symbol unknown", VulnFact{Severity: finding.SeverityUnknown, Symbol: "unknown"}, 0},
	} {
		if got := Exploitability(tt.v); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzParseRules(f *testing.F) {
	f.Add(rulesYAML)
	f.Add([]byte("rules: [{id: A}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParseRules(data)
		if err != nil {
			return
		}
		for _, r := range rules {
			if err := r.check(); err != nil {
				t.Fatalf("accepted an invalid rule: %v", err)
			}
		}
	})
}

func FuzzReadReports(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "shop.images.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"artifact": {"name": "a"}} {"artifact": {"name": "b"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		reps, err := ReadReports(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		// Whatever was read builds into a graph without a panic.
		b := &builder{g: New(), images: map[string]*result.Report{}, imageIDs: map[string]int{}}
		for _, r := range reps {
			b.indexImage(r)
			if r != nil {
				b.image(r.Artifact.Name)
			}
		}
	})
}
