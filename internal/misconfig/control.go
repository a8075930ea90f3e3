package misconfig

import (
	"fmt"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
)

// StandardRampart is the standard of the control results of Rampart's own checks.
const StandardRampart = "Rampart"

// Controls gives each of checks its verdict as a [result.Control] of profile (the family of
// checks: "dockerfile", "image-config") from the findings of a run: fail when the check has
// findings (counted; the evidence names where, the first few), pass when it has none. reason,
// when not empty, says which inputs were not read: a check without findings is then not
// assessed for that reason, never passed, since the input left out might fail it; with nothing
// read at all, every check is.
func Controls(profile string, checks []*Check, fs []finding.Finding, reason string) []result.Control {
	out := make([]result.Control, 0, len(checks))
	for _, c := range checks {
		r := result.Control{Standard: StandardRampart, Profile: profile, Control: c.ID, Title: c.Title, Severity: c.Severity}
		var where []string
		for i := range fs {
			if fs[i].ID == c.ID {
				r.Findings++
				if len(where) < 3 {
					where = append(where, place(&fs[i]))
				}
			}
		}
		switch {
		case r.Findings > 0:
			r.Status, r.Remediation = result.StatusFail, c.Remediation
			r.Evidence = fmt.Sprintf("%d %s: %s", r.Findings, plural(r.Findings, "finding"), strings.Join(where, ", "))
			if r.Findings > len(where) {
				r.Evidence += ", …"
			}
		case reason != "":
			r.Status, r.Reason = result.StatusNotAssessed, reason
		default:
			r.Status = result.StatusPass
		}
		out = append(out, r)
	}
	return out
}

// place says where a finding is: path:line, path, or the field.
func place(f *finding.Finding) string {
	l := f.Location
	switch {
	case l.Path != "" && l.Line > 0:
		return fmt.Sprintf("%s:%d", l.Path, l.Line)
	case l.Path != "":
		return l.Path
	case l.Field != "":
		return l.Field
	}
	return "?"
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
