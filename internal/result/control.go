package result

import (
	"errors"
	"fmt"
	"slices"

	"github.com/rampartsec/rampart/internal/finding"
)

// Status is the verdict on one control. Stored as a string.
type Status string

// Control statuses. A control whose input was missing, refused or not applicable is
// StatusNotAssessed with the reason, never StatusPass: "not assessed" is never reported as passed.
const (
	StatusPass        Status = "pass"
	StatusFail        Status = "fail"
	StatusManual      Status = "manual"       // needs a person's judgement; Rampart shows what it saw
	StatusNotAssessed Status = "not_assessed" // input missing or refused; Reason says which
	StatusInfo        Status = "info"         // a fact, neither good nor bad
)

// Statuses lists every status, in the order summaries show them.
var Statuses = []Status{StatusPass, StatusFail, StatusManual, StatusNotAssessed, StatusInfo}

// Control is the verdict of one control (or check) on one resource: the one shape the Docker host
// audit, the registry audit, Kubernetes posture, RBAC risks and the Dockerfile and image-config
// checks report their verdicts in, so that policies, the server and the UI read them alike.
type Control struct {
	// Standard and Profile name the benchmark ("CIS-Docker", "CIS-K8s", "PSS" / "restricted",
	// "NSA", "Rampart" for Rampart's own checks).
	Standard string `json:"standard,omitempty"`
	Profile  string `json:"profile,omitempty"`
	// Control is the control's number in its standard ("5.4", "1.2.6") or the check's ID ("RG003").
	Control string `json:"control"`
	// Rule is Rampart's rule ID when it is not the control number ("DH054" for CIS Docker 5.4).
	Rule   string `json:"rule,omitempty"`
	Title  string `json:"title,omitempty"`
	Status Status `json:"status"`
	// Severity is what a failure weighs; empty when the control cannot fail.
	Severity finding.Severity `json:"severity,omitempty"`
	// Resource names what was checked: a host path, "daemon", a container, a registry, an object.
	Resource    string `json:"resource,omitempty"`
	Evidence    string `json:"evidence,omitempty"`
	Remediation string `json:"remediation,omitempty"`
	// Reason says why a control was not assessed (a missing permission, a missing input).
	Reason string `json:"reason,omitempty"`
	// Findings counts the findings that make the control fail.
	Findings int `json:"findings,omitempty"`
}

// Assessed reports whether the control was judged (pass, fail or info), as opposed to not
// assessed or left to a person.
func (c *Control) Assessed() bool {
	return c.Status == StatusPass || c.Status == StatusFail || c.Status == StatusInfo
}

// Valid reports what is wrong with c as a control result, nil when nothing is: a control ID, a
// known status, a reason when not assessed, and a finding count only on a failure.
func (c *Control) Valid() error {
	switch {
	case c.Control == "":
		return errors.New("control result without a control ID")
	case !slices.Contains(Statuses, c.Status):
		return fmt.Errorf("control %s: status %q is none of %v", c.Control, c.Status, Statuses)
	case c.Status == StatusNotAssessed && c.Reason == "":
		return fmt.Errorf("control %s: not assessed without a reason", c.Control)
	case c.Status != StatusNotAssessed && c.Reason != "":
		return fmt.Errorf("control %s: %s with a reason (%q): only not_assessed has one", c.Control, c.Status, c.Reason)
	case c.Findings < 0 || c.Findings > 0 && c.Status != StatusFail:
		return fmt.Errorf("control %s: %s with %d findings", c.Control, c.Status, c.Findings)
	}
	return nil
}

// Tally counts controls by status.
type Tally map[Status]int

// Count tallies controls by status.
func Count(cs []Control) Tally {
	t := Tally{}
	for _, c := range cs {
		t[c.Status]++
	}
	return t
}

// NothingAssessed reports whether none of cs was assessed: a gate must not pass on that.
func NothingAssessed(cs []Control) bool {
	for i := range cs {
		if cs[i].Assessed() {
			return false
		}
	}
	return true
}

// ControlSummary counts the statuses of one group of controls: a standard and profile, or a
// section of a benchmark. Every count is present, zeros too, so that "0 failed" is never a
// missing field.
type ControlSummary struct {
	Standard string `json:"standard,omitempty"`
	Profile  string `json:"profile,omitempty"`
	// Section and Title name a section of the standard ("5", "Container Runtime") when the
	// controls are counted per section.
	Section     string `json:"section,omitempty"`
	Title       string `json:"title,omitempty"`
	Pass        int    `json:"pass"`
	Fail        int    `json:"fail"`
	Manual      int    `json:"manual"`
	NotAssessed int    `json:"not_assessed"`
	Info        int    `json:"info"`
}

// add counts one control of status st.
func (s *ControlSummary) add(st Status) {
	switch st {
	case StatusPass:
		s.Pass++
	case StatusFail:
		s.Fail++
	case StatusManual:
		s.Manual++
	case StatusInfo:
		s.Info++
	default:
		s.NotAssessed++
	}
}

// ControlGroup says which summary a control is counted in: the returned summary's Standard,
// Profile, Section and Title name the group (its counts are ignored).
type ControlGroup func(c *Control) ControlSummary

// ByStandard groups controls by standard and profile.
func ByStandard(c *Control) ControlSummary {
	return ControlSummary{Standard: c.Standard, Profile: c.Profile}
}

// group returns s's group name without its counts.
func (s ControlSummary) group() ControlSummary {
	return ControlSummary{Standard: s.Standard, Profile: s.Profile, Section: s.Section, Title: s.Title}
}

// SummarizeControls counts cs per group, in the order the groups first appear in cs; a nil group
// is [ByStandard]. A status it does not know counts as not assessed: never as passed. Every
// audit's summaries are computed here.
func SummarizeControls(cs []Control, group ControlGroup) []ControlSummary {
	if group == nil {
		group = ByStandard
	}
	out := []ControlSummary{}
	for i := range cs {
		k := group(&cs[i]).group()
		j := slices.IndexFunc(out, func(s ControlSummary) bool { return s.group() == k })
		if j < 0 {
			out = append(out, k)
			j = len(out) - 1
		}
		out[j].add(cs[i].Status)
	}
	return out
}

// TotalControls adds summaries up into one (without a group name).
func TotalControls(ss []ControlSummary) ControlSummary {
	var t ControlSummary
	for _, s := range ss {
		t.Pass += s.Pass
		t.Fail += s.Fail
		t.Manual += s.Manual
		t.NotAssessed += s.NotAssessed
		t.Info += s.Info
	}
	return t
}
