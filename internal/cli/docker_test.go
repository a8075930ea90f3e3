package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/dockerhost"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

func runDocker(t *testing.T, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"docker", "-q"}, args...), strings.NewReader(""), &out, &errb)
	return runResult{code, out.String(), errb.String()}
}

// TestDockerControls audits the test machine's engine: every result in the JSON is a control
// result with a valid status, the summary counts them per section, failed results and findings
// match one for one, and the table lists no pass and shows the reason of a control not assessed.
func TestDockerControls(t *testing.T) {
	testenv.Load(t)
	if _, err := dockerhost.NewEngine(dockerhost.DefaultSocket).Info(context.Background()); err != nil {
		testenv.Missing(t, "docker engine: "+err.Error())
	}
	res := runDocker(t, "-f", "json")
	if res.code != ExitOK {
		t.Fatalf("exit %d; stderr: %s", res.code, res.stderr)
	}
	var doc struct {
		Summary  []result.ControlSummary `json:"summary"`
		Results  []json.RawMessage       `json:"results"`
		Findings []finding.Finding       `json:"findings"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	var cs []result.Control
	fails := map[string]int{}
	for _, raw := range doc.Results {
		var c result.Control
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if err := c.Valid(); err != nil {
			t.Error(err)
		}
		if c.Standard != "CIS-Docker" {
			t.Errorf("%s: standard %q", c.Control, c.Standard)
		}
		if c.Status == result.StatusFail {
			fails[c.Rule]++
		}
		cs = append(cs, c)
	}
	for _, f := range doc.Findings {
		if fails[f.ID]--; fails[f.ID] < 0 {
			t.Errorf("finding %s without a failed control", f.ID)
		}
	}
	for rule, n := range fails {
		if n > 0 {
			t.Errorf("%d failed %s controls without a finding", n, rule)
		}
	}
	tot := result.TotalControls(doc.Summary)
	if n := tot.Pass + tot.Fail + tot.Manual + tot.NotAssessed + tot.Info; n != len(cs) || tot.Pass != result.Count(cs)[result.StatusPass] {
		t.Errorf("summary %+v for %d results", tot, len(cs))
	}

	res = runDocker(t)
	if res.code != ExitOK {
		t.Fatalf("table: exit %d; stderr: %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "SECTION") || !strings.Contains(res.stdout, "NOT ASSESSED") {
		t.Errorf("table lacks the summary:\n%s", res.stdout)
	}
	for _, line := range strings.Split(res.stdout, "\n") {
		if f := strings.Fields(line); len(f) > 1 && dockerhost.ControlByID(f[0]) != nil && f[1] == "pass" {
			t.Errorf("table lists a pass: %s", line)
		}
	}
	for _, c := range cs {
		if c.Status == result.StatusNotAssessed && !strings.Contains(res.stdout, TruncateCell(c.Reason, 100)) {
			t.Errorf("table lacks the reason of %s: %s", c.Control, c.Reason)
		}
	}
}

func TestNothingAssessedError(t *testing.T) {
	na := []result.Control{
		{Control: "1", Status: result.StatusNotAssessed, Reason: "no socket"},
		{Control: "2", Status: result.StatusManual},
		{Control: "3", Status: result.StatusNotAssessed, Reason: "no socket"},
	}
	err := NothingAssessedError("control", na)
	var ec interface{ ExitCode() int }
	if !errors.As(err, &ec) || ec.ExitCode() != ExitNotAssessed || !strings.Contains(err.Error(), "2 not assessed, 1 manual (no socket)") {
		t.Errorf("%v", err)
	}
	if err := NothingAssessedError("control", append(na, result.Control{Control: "4", Status: result.StatusInfo})); err != nil {
		t.Errorf("an info control is assessed: %v", err)
	}
}
