// Package misconfigtest holds what the tests of the configuration checks share.
package misconfigtest

import (
	"testing"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/result"
)

// CheckControls holds the control results of a run of checks to the control model: one valid
// [result.Control] per check, in order, of Rampart's own standard; a check fails exactly when it
// has findings, and counts them.
func CheckControls(t testing.TB, cs []result.Control, fs []finding.Finding, checks []*misconfig.Check) {
	t.Helper()
	n := map[string]int{}
	for _, f := range fs {
		n[f.ID]++
	}
	if len(cs) != len(checks) {
		t.Fatalf("%d controls for %d checks", len(cs), len(checks))
	}
	for i, c := range cs {
		if err := c.Valid(); err != nil {
			t.Error(err)
		}
		if c.Standard != misconfig.StandardRampart || c.Profile == "" || c.Control != checks[i].ID || c.Severity != checks[i].Severity {
			t.Errorf("control %d: %s %s/%s severity %s, want check %s", i, c.Control, c.Standard, c.Profile, c.Severity, checks[i].ID)
		}
		if c.Findings != n[c.Control] || (c.Status == result.StatusFail) != (n[c.Control] > 0) {
			t.Errorf("%s: %s with %d findings; the run has %d", c.Control, c.Status, c.Findings, n[c.Control])
		}
	}
}
