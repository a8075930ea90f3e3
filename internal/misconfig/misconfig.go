// Package misconfig holds what every configuration check of Rampart shares: the description of a
// check (stable ID, title, severity, CIS Docker Benchmark control, remediation) and the way a
// check turns what it saw into a [finding.Finding] of kind misconfig.
//
// The checks themselves live in subpackages, one per kind of input: [dockerfile] lints
// Dockerfiles, [imageconfig] checks a built image's configuration and layers. A new kind of input
// (Kubernetes YAML, a live Docker host) adds a subpackage that declares its checks as [Check]
// values and reports through [Check.Finding].
//
// # Conventions
//
//   - IDs are a two-letter prefix per subpackage and three digits ("DF001", "IC003"); an ID is
//     never reused for another check, and is what ignore files and policies name.
//   - CIS is the control number in the CIS Docker Benchmark v1.6.0 ("4.1"), empty when the check
//     maps to no control; it becomes a [finding.Compliance] with Standard [StandardCISDocker].
//   - A check's severity is fixed: the same check never reports two severities.
//   - Location names a file and 1-based line for file inputs, or a config field ("config.User",
//     "env:API_TOKEN") for image and object inputs.
//
// Everything here is immutable after package initialisation and safe for concurrent use.
package misconfig

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/mask"
)

// StandardCISDocker is the [finding.Compliance] standard of CIS Docker Benchmark controls.
const StandardCISDocker = "CIS-Docker"

// CISDockerVersion is the version of the CIS Docker Benchmark the control numbers refer to.
const CISDockerVersion = "1.6.0"

// DocsURL is where every check is described; a check's anchor is its lower-case ID.
const DocsURL = "https://github.com/rampartsec/rampart/blob/main/docs/misconfig.md"

// Check describes one check. Values are declared once, as package variables, and never changed.
type Check struct {
	// ID is stable and unique across Rampart ("DF001").
	ID string
	// Title says what is wrong, in a few words.
	Title string
	// Severity is the severity of every finding of this check.
	Severity finding.Severity
	// CIS is the CIS Docker Benchmark v1.6.0 control ("4.1"), or empty.
	CIS string
	// Rationale says why it matters, in a sentence or two.
	Rationale string
	// Remediation says how to fix it.
	Remediation string
}

// Compliance returns the check's compliance mappings: none when CIS is empty.
func (c *Check) Compliance() []finding.Compliance {
	if c.CIS == "" {
		return nil
	}
	return []finding.Compliance{{Standard: StandardCISDocker, Control: c.CIS}}
}

// Finding returns a misconfig finding of c at loc. evidence is a short excerpt of the input that
// shows why the check fired. Secrets in the evidence and in the location's path and field (a
// token used as a file or variable name) are masked here: see [Excerpt].
func (c *Check) Finding(loc finding.Location, evidence string) finding.Finding {
	loc.Path, loc.Field = mask.String(loc.Path), mask.String(loc.Field)
	return finding.Finding{
		Kind:        finding.KindMisconfig,
		ID:          c.ID,
		Title:       c.Title,
		Severity:    c.Severity,
		Location:    loc,
		Evidence:    Excerpt(evidence),
		Remediation: c.Remediation,
		References:  []string{DocsURL + "#" + strings.ToLower(c.ID)},
		Compliance:  c.Compliance(),
	}
}

// maxEvidence bounds an evidence excerpt, in bytes.
const maxEvidence = 200

// Excerpt turns s into a one-line excerpt of at most about 200 bytes for a finding's evidence:
// every secret in it is masked ([mask.String]: the secret rules, the user's included), runs of
// white space become one space and a long text is cut at a rune boundary and ends with "…".
// Masking comes first, so that a cut never leaves the head of a secret its rule no longer matches.
func Excerpt(s string) string {
	s = strings.Join(strings.Fields(mask.String(s)), " ")
	if len(s) <= maxEvidence {
		return s
	}
	cut := maxEvidence
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Sort orders findings by path, line, field and check ID, so that output is stable.
func Sort(fs []finding.Finding) {
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		return cmp.Or(
			cmp.Compare(a.Location.Path, b.Location.Path),
			cmp.Compare(a.Location.Line, b.Location.Line),
			cmp.Compare(a.Location.Field, b.Location.Field),
			cmp.Compare(a.ID, b.ID),
		)
	})
}
