package result_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
)

func TestSummarizeControls(t *testing.T) {
	cs := []result.Control{
		{Standard: "PSS", Profile: "baseline", Control: "a", Status: result.StatusPass},
		{Standard: "CIS-K8s", Control: "5.1.1", Status: result.StatusFail, Findings: 2},
		{Standard: "PSS", Profile: "baseline", Control: "b", Status: result.StatusNotAssessed, Reason: "no pods"},
		{Standard: "PSS", Profile: "restricted", Control: "a", Status: result.StatusManual},
		{Standard: "CIS-K8s", Control: "5.1.2", Status: result.StatusInfo},
		{Standard: "CIS-K8s", Control: "5.1.3", Status: "bogus"},
	}
	want := []result.ControlSummary{
		{Standard: "PSS", Profile: "baseline", Pass: 1, NotAssessed: 1},
		{Standard: "CIS-K8s", Fail: 1, Info: 1, NotAssessed: 1}, // an unknown status is never a pass
		{Standard: "PSS", Profile: "restricted", Manual: 1},
	}
	got := result.SummarizeControls(cs, nil)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("by standard (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(result.ControlSummary{Pass: 1, Fail: 1, Manual: 1, NotAssessed: 2, Info: 1}, result.TotalControls(got)); diff != "" {
		t.Errorf("total (-want +got):\n%s", diff)
	}
	bySection := result.SummarizeControls(cs[:2], func(c *result.Control) result.ControlSummary {
		return result.ControlSummary{Section: c.Control[:1], Title: "section " + c.Control[:1], Pass: 99}
	})
	if diff := cmp.Diff([]result.ControlSummary{{Section: "a", Title: "section a", Pass: 1}, {Section: "5", Title: "section 5", Fail: 1}}, bySection); diff != "" {
		t.Errorf("by section (-want +got):\n%s", diff)
	}
	if got := result.SummarizeControls(nil, nil); got == nil || len(got) != 0 {
		t.Errorf("no controls: %#v, want an empty list", got)
	}
}

func TestNothingAssessed(t *testing.T) {
	na := result.Control{Control: "1", Status: result.StatusNotAssessed, Reason: "r"}
	manual := result.Control{Control: "2", Status: result.StatusManual}
	if !result.NothingAssessed([]result.Control{na, manual}) {
		t.Error("not assessed and manual: assessed")
	}
	for _, st := range []result.Status{result.StatusPass, result.StatusFail, result.StatusInfo} {
		if result.NothingAssessed([]result.Control{na, {Control: "3", Status: st}}) {
			t.Errorf("%s: nothing assessed", st)
		}
	}
}

func TestValid(t *testing.T) {
	for _, c := range []result.Control{
		{Control: "1", Status: result.StatusPass},
		{Control: "1", Status: result.StatusFail, Findings: 3},
		{Control: "1", Status: result.StatusNotAssessed, Reason: "no input"},
		{Control: "1", Status: result.StatusManual},
		{Control: "1", Status: result.StatusInfo},
	} {
		if err := c.Valid(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for _, c := range []result.Control{
		{Status: result.StatusPass},
		{Control: "1", Status: "passed"},
		{Control: "1", Status: result.StatusNotAssessed},
		{Control: "1", Status: result.StatusPass, Reason: "why"},
		{Control: "1", Status: result.StatusPass, Findings: 1},
		{Control: "1", Status: result.StatusFail, Findings: -1},
	} {
		if err := c.Valid(); err == nil {
			t.Errorf("%+v: valid", c)
		}
	}
}

// controlSchema compiles docs/schema/controls.schema.json at ref ("" for the list of controls,
// "#/$defs/summary" for a summary).
func controlSchema(t *testing.T, ref string) *jsonschema.Schema {
	t.Helper()
	s, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "..", "docs", "schema", "controls.schema.json") + ref)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// asJSON is v as the JSON schema validator reads it.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestControlSchema holds the published schema to the Go types: a control with every field set,
// each status, and the summaries validate; what Valid refuses, the schema refuses too.
func TestControlSchema(t *testing.T) {
	list := controlSchema(t, "")
	full := result.Control{Standard: "CIS-Docker", Profile: "p", Control: "5.5", Rule: "DH505", Title: "t", Status: result.StatusFail,
		Severity: finding.SeverityCritical, Resource: "r", Evidence: "e", Remediation: "m", Findings: 1}
	// Every field but Reason (which a failure cannot have) is set: a new field fails here.
	v := reflect.ValueOf(full)
	for _, f := range reflect.VisibleFields(v.Type()) {
		if f.Name != "Reason" && v.FieldByIndex(f.Index).IsZero() {
			t.Fatalf("field %s of result.Control is not set here: add it to the schema and this test", f.Name)
		}
	}
	good := []result.Control{full, {Control: "1", Status: result.StatusNotAssessed, Reason: "no input"}}
	for _, st := range []result.Status{result.StatusPass, result.StatusManual, result.StatusInfo} {
		good = append(good, result.Control{Control: "x", Status: st})
	}
	if err := list.Validate(asJSON(t, good)); err != nil {
		t.Errorf("valid controls: %v", err)
	}
	for _, c := range []result.Control{
		{Control: "1", Status: "passed"},
		{Control: "1", Status: result.StatusNotAssessed},
		{Control: "1", Status: result.StatusPass, Reason: "why"},
		{Control: "1", Status: result.StatusPass, Findings: 2},
		{Status: result.StatusPass},
	} {
		if c.Valid() == nil {
			t.Errorf("Valid accepts %+v", c)
		}
		if list.Validate(asJSON(t, []result.Control{c})) == nil {
			t.Errorf("the schema accepts %+v", c)
		}
	}
	sum := controlSchema(t, "#/$defs/summary")
	for _, s := range result.SummarizeControls(good, nil) {
		if err := sum.Validate(asJSON(t, s)); err != nil {
			t.Errorf("summary %+v: %v", s, err)
		}
	}
	if err := sum.Validate(asJSON(t, result.ControlSummary{Standard: "CIS-Docker", Section: "5", Title: "Container Runtime", Pass: 1})); err != nil {
		t.Errorf("section summary: %v", err)
	}
}
