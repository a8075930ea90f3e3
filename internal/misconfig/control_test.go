package misconfig_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/misconfig/misconfigtest"
	"github.com/rampartsec/rampart/internal/result"
)

func TestControls(t *testing.T) {
	a := &misconfig.Check{ID: "XX001", Title: "a", Severity: finding.SeverityHigh, Remediation: "fix a"}
	b := &misconfig.Check{ID: "XX002", Title: "b", Severity: finding.SeverityLow, Remediation: "fix b"}
	checks := []*misconfig.Check{a, b}
	var fs []finding.Finding
	for _, line := range []int{3, 9, 12, 20} {
		fs = append(fs, a.Finding(finding.Location{Path: "Dockerfile", Line: line}, "USER root"))
	}
	fs = append(fs, finding.Finding{ID: "other"})

	got := misconfig.Controls("test", checks, fs, "")
	misconfigtest.CheckControls(t, got, fs, checks)
	want := []result.Control{
		{Standard: "Rampart", Profile: "test", Control: "XX001", Title: "a", Status: result.StatusFail, Severity: finding.SeverityHigh,
			Evidence: "4 findings: Dockerfile:3, Dockerfile:9, Dockerfile:12, …", Remediation: "fix a", Findings: 4},
		{Standard: "Rampart", Profile: "test", Control: "XX002", Title: "b", Status: result.StatusPass, Severity: finding.SeverityLow},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("controls (-want +got):\n%s", diff)
	}

	// An input not read: a failure stands, a check without findings is not assessed, never passed.
	got = misconfig.Controls("test", checks, fs, "not read: b.Dockerfile")
	misconfigtest.CheckControls(t, got, fs, checks)
	if got[0].Status != result.StatusFail || got[1].Status != result.StatusNotAssessed || got[1].Reason != "not read: b.Dockerfile" {
		t.Errorf("with an input not read: %+v", got)
	}
	// Nothing read: nothing assessed.
	if got := misconfig.Controls("test", checks, nil, "no Dockerfile found"); !result.NothingAssessed(got) {
		t.Errorf("nothing read: %+v", got)
	}
	if got := misconfig.Controls("test", checks, fs[:1], ""); got[0].Evidence != "1 finding: Dockerfile:3" {
		t.Errorf("one finding: %q", got[0].Evidence)
	}
}
