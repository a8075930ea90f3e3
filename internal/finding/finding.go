// Package finding holds the one model every scanner reports in: vulnerabilities, secrets,
// malware, misconfigurations, permissions, exposures and runtime events.
//
// It is a leaf package: it imports nothing from Rampart.
package finding

import (
	"fmt"
	"strings"
)

// Kind says what sort of problem a Finding is. Stored as a string so it is immune to renumbering.
type Kind string

// The kinds of finding Rampart reports.
const (
	KindVulnerability Kind = "vulnerability"
	KindSecret        Kind = "secret"
	KindMalware       Kind = "malware"
	KindMisconfig     Kind = "misconfig"
	KindPermission    Kind = "permission"
	KindExposure      Kind = "exposure"
	KindRuntime       Kind = "runtime"
)

// Severity is the rating of a finding. The zero value is SeverityUnknown.
type Severity string

// Severities, from least to most severe. Unknown is said when a source gives none; it is never guessed.
const (
	SeverityUnknown  Severity = "UNKNOWN"
	SeverityLow      Severity = "LOW"
	SeverityMedium   Severity = "MEDIUM"
	SeverityHigh     Severity = "HIGH"
	SeverityCritical Severity = "CRITICAL"
)

// Rank orders severities: Unknown is 0, Critical 4. An unrecognised value ranks as Unknown.
func (s Severity) Rank() int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// ParseSeverity reads a severity name case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	switch v := Severity(strings.ToUpper(strings.TrimSpace(s))); v {
	case SeverityUnknown, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
		return v, nil
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q (want one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)", s)
}

// Location says where a finding was seen: in an image layer and file, or in an object's field.
type Location struct {
	Layer string `json:"layer,omitempty"` // diffID of the layer
	Path  string `json:"path,omitempty"`  // file path inside the artifact, without a leading slash
	Line  int    `json:"line,omitempty"`  // 1-based line, 0 when not applicable
	// Field names a config or object field, e.g. "env:API_KEY", "history:3",
	// or "spec.containers[0].securityContext.privileged".
	Field string `json:"field,omitempty"`
}

// Package identifies the package a vulnerability finding is about.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	PURL      string `json:"purl,omitempty"`
	Source    string `json:"source,omitempty"`
}

// Resource identifies the object a finding is about (an image, a host file, a Kubernetes object).
type Resource struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Container string `json:"container,omitempty"`
}

// Compliance maps a finding to a control of a standard.
type Compliance struct {
	Standard string `json:"standard"` // "CIS-Docker", "CIS-K8s", "PSS", "NSA"
	Profile  string `json:"profile,omitempty"`
	Control  string `json:"control"`
}

// CVSS is one scored CVSS vector.
type CVSS struct {
	Version string  `json:"version"`
	Vector  string  `json:"vector"`
	Score   float64 `json:"score"`
}

// Finding is one problem found in one resource. Fields that do not apply to a kind are left empty.
type Finding struct {
	// Fingerprint is the finding's stable identity across scans (see [Fingerprint]); history,
	// exceptions and de-duplication key on it.
	Fingerprint string   `json:"fingerprint,omitempty"`
	Kind        Kind     `json:"kind"`
	ID          string   `json:"id"` // advisory ID or rule ID
	Aliases     []string `json:"aliases,omitempty"`
	Title       string   `json:"title,omitempty"`
	Severity    Severity `json:"severity"`

	Package  *Package  `json:"package,omitempty"`
	Resource *Resource `json:"resource,omitempty"`
	Location Location  `json:"location"`
	// Field names the object field a Kubernetes finding is about
	// ("spec.template.spec.containers[0].securityContext.privileged"): the same as Location.Field,
	// repeated at the top level where the Kubernetes output contract puts it.
	Field        string  `json:"field,omitempty"`
	FixedVersion *string `json:"fixed_version"`

	CVSS []CVSS   `json:"cvss,omitempty"`
	KEV  bool     `json:"kev"`
	EPSS *float64 `json:"epss"`

	// Evidence is a short, already masked excerpt that shows why the finding fired.
	Evidence    string       `json:"evidence,omitempty"`
	Remediation string       `json:"remediation,omitempty"`
	References  []string     `json:"references,omitempty"`
	Compliance  []Compliance `json:"compliance,omitempty"`
	// RemovedInLayer is set for files a later layer deleted: they are still in the image.
	RemovedInLayer string `json:"removed_in_layer,omitempty"`
	// Extra holds kind-specific facts (e.g. "symbol": "present" for Go vulnerabilities).
	Extra map[string]string `json:"extra,omitempty"`
}
