// Package report defines Rampart's own JSON report — the contract other tools script against,
// described by docs/schema/report.schema.json — and renders it as a table or JSON.
package report

import (
	"encoding/json"
	"io"
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
	Warnings      []string            `json:"warnings"`
}

// Tool names the scanner that produced the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Artifact describes what was scanned.
type Artifact struct {
	Name     string       `json:"name"`
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

// WriteJSON writes r as indented JSON, as docs/schema/report.schema.json describes it. Nil
// slices are written as empty arrays; r itself is not modified.
func WriteJSON(w io.Writer, r *Report) error {
	out := *r
	if out.Packages == nil {
		out.Packages = []inventory.Package{}
	}
	if out.Findings == nil {
		out.Findings = []finding.Finding{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&out)
}
