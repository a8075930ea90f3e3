// Package result is Rampart's result model: the scan report (artifact, layers, packages,
// findings, warnings) and the control result every audit reports its verdicts in. It is the
// contract renderers, SBOM writers, the graph, the server and other tools read; it holds data and
// small pure functions only, and imports nothing of Rampart but the finding and inventory models.
//
// The JSON form of [Report] is described by docs/schema/report.schema.json.
package result

import (
	"time"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
)

// SchemaVersion is bumped on any incompatible change to [Report]'s JSON form.
const SchemaVersion = 1

// Report is the result of one scan.
type Report struct {
	SchemaVersion int                 `json:"schema_version"`
	Tool          Tool                `json:"tool"`
	CreatedAt     time.Time           `json:"created_at"`
	Artifact      Artifact            `json:"artifact"`
	Packages      []inventory.Package `json:"packages"`
	Findings      []finding.Finding   `json:"findings"`
	// Summary counts the findings and what filters left out; nil for reports that were not
	// filtered (an SBOM).
	Summary *Summary `json:"summary,omitempty"`
	// Controls are the verdicts of the checks that ran (the image-config checks of
	// --scanners misconfig): pass, fail or not assessed, so that a check that found nothing is
	// told apart from one that could not look.
	Controls []Control `json:"controls,omitempty"`
	Warnings []string  `json:"warnings"`
}

// Tool names the scanner that produced the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Artifact describes what was scanned.
type Artifact struct {
	Name string `json:"name"`
	// Source is where the artifact was read from: registry, daemon, docker-archive, oci, oci-archive, dir.
	Source   string       `json:"source"`
	Digest   string       `json:"digest,omitempty"`
	ID       string       `json:"id,omitempty"`
	RepoTags []string     `json:"repo_tags,omitempty"`
	Platform string       `json:"platform,omitempty"`
	OS       inventory.OS `json:"os"`
	Layers   []Layer      `json:"layers,omitempty"`
}

// Layer describes one image layer.
type Layer struct {
	Index     int    `json:"index"`
	DiffID    string `json:"diff_id"`
	Digest    string `json:"digest,omitempty"`
	Size      int64  `json:"size,omitempty"`
	CreatedBy string `json:"created_by,omitempty"`
}

// Normalize replaces nil slices with empty ones, so that every JSON form of a report has the same
// arrays (`[]`, never `null`) whichever way it was produced.
func (r *Report) Normalize() {
	if r.Packages == nil {
		r.Packages = []inventory.Package{}
	}
	if r.Findings == nil {
		r.Findings = []finding.Finding{}
	}
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
}

// RegistryReport is the document of a registry scan (`rampart registry`), described in
// docs/registry.md.
type RegistryReport struct {
	Tool     Tool   `json:"tool"`
	Registry string `json:"registry"`
	Prefix   string `json:"prefix,omitempty"`
	// Scanners are those that ran: the ones asked for, less vuln when its database was missing.
	Scanners  []string  `json:"scanners"`
	CreatedAt time.Time `json:"created_at"`
	// Images are in repository order, then by the first tag of each (version-aware order).
	Images []RegistryImage `json:"images"`
}

// RegistryImage is one distinct manifest of one repository: every tag that points at it, and
// either the scan's report or why there is none.
type RegistryImage struct {
	Repository string   `json:"repository"`
	Tags       []string `json:"tags"`
	// Digest is what the tags point at: an image manifest or a multi-platform index (the
	// report's artifact digest is then the chosen platform's image).
	Digest string  `json:"digest,omitempty"`
	Report *Report `json:"report,omitempty"`
	// FailedGate is true when the report has a finding at or above --fail-on.
	FailedGate bool           `json:"failed_gate,omitempty"`
	Error      *RegistryError `json:"error,omitempty"`
}

// RegistryError says why one image has no report: the message, and the exit code (and its
// name) `rampart image` would have ended with on that image.
type RegistryError struct {
	Message  string `json:"message"`
	ExitCode int    `json:"exit_code"`
	Class    string `json:"class"`
}

// Summary counts a report's findings, and what the filters left out, so that a reader knows
// what "0 findings" means.
type Summary struct {
	// BySeverity counts the reported findings per severity (every severity present, zeros too).
	BySeverity map[finding.Severity]int `json:"by_severity"`
	// Fixable counts reported vulnerabilities with a fixed version; KEV those in CISA's catalog.
	Fixable int `json:"fixable"`
	KEV     int `json:"kev"`
	// Suppressed counts findings VEX statements or ignore rules removed; Hidden those
	// --severity and --ignore-unfixed left out.
	Suppressed int `json:"suppressed"`
	Hidden     int `json:"hidden"`
}

// Summarize counts fs into a Summary (Suppressed and Hidden are the caller's).
func Summarize(fs []finding.Finding) *Summary {
	s := &Summary{BySeverity: map[finding.Severity]int{}}
	for _, sev := range []finding.Severity{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow, finding.SeverityUnknown} {
		s.BySeverity[sev] = 0
	}
	for _, f := range fs {
		s.BySeverity[f.Severity]++
		if f.Kind == finding.KindVulnerability && f.FixedVersion != nil {
			s.Fixable++
		}
		if f.KEV {
			s.KEV++
		}
	}
	return s
}
