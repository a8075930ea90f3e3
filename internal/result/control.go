package result

import "github.com/rampartsec/rampart/internal/finding"

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
