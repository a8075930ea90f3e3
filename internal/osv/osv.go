// Package osv holds the Open Source Vulnerability record format (https://ossf.github.io/osv-schema/)
// as published by osv.dev, GitHub, the Go and PyPA databases, RustSec and Debian.
//
// It is a leaf package: types and a strict parser, no I/O.
package osv

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Vulnerability is one OSV record.
type Vulnerability struct {
	SchemaVersion string     `json:"schema_version,omitempty"`
	ID            string     `json:"id"`
	Modified      time.Time  `json:"modified"`
	Published     *time.Time `json:"published,omitempty"`
	// Withdrawn, when set, means the record must be ignored.
	Withdrawn *time.Time `json:"withdrawn,omitempty"`
	Aliases   []string   `json:"aliases,omitempty"`
	Related   []string   `json:"related,omitempty"`
	// Upstream lists the records this one derives from; Debian's records carry their CVE only here.
	Upstream         []string        `json:"upstream,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []Severity      `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is a scored vector: Type is "CVSS_V2", "CVSS_V3", "CVSS_V4" or "Ubuntu".
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Package names the affected package within an ecosystem.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Affected says which versions of one package a record affects.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Range types.
const (
	RangeEcosystem = "ECOSYSTEM"
	RangeSemver    = "SEMVER"
	RangeGit       = "GIT"
)

// Range is a list of events over one version ordering.
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Event is one point of a range: exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link with its type (ADVISORY, FIX, REPORT, WEB, …).
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// ErrInvalid is wrapped by Parse for records that are not valid OSV.
var ErrInvalid = errors.New("osv: invalid record")

// Parse decodes one OSV JSON record. It requires an id and rejects events that set no field or
// more than one. Unknown fields are ignored, as the schema allows.
func Parse(b []byte) (*Vulnerability, error) {
	var v Vulnerability
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if v.ID == "" {
		return nil, fmt.Errorf("%w: no id", ErrInvalid)
	}
	for i, a := range v.Affected {
		for j, r := range a.Ranges {
			for k, e := range r.Events {
				n := 0
				for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if s != "" {
						n++
					}
				}
				if n != 1 {
					return nil, fmt.Errorf("%w: %s: affected[%d].ranges[%d].events[%d] sets %d fields, want 1", ErrInvalid, v.ID, i, j, k, n)
				}
			}
		}
	}
	return &v, nil
}

// CVEs returns every CVE ID the record names: its id, aliases and upstream.
func (v *Vulnerability) CVEs() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range append(append([]string{v.ID}, v.Aliases...), v.Upstream...) {
		if len(s) > 4 && s[:4] == "CVE-" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
