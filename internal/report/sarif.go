package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
)

// SARIF 2.1.0 (OASIS), the subset Rampart writes. Field names follow the specification.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
	// Properties describe the scanned artifact.
	Properties map[string]any `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string              `json:"id"`
	ShortDescription     *sarifText          `json:"shortDescription,omitempty"`
	FullDescription      *sarifText          `json:"fullDescription,omitempty"`
	Help                 *sarifText          `json:"help,omitempty"`
	HelpURI              string              `json:"helpUri,omitempty"`
	DefaultConfiguration *sarifConfiguration `json:"defaultConfiguration,omitempty"`
	Properties           map[string]any      `json:"properties,omitempty"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// SARIFSchemaURI is the schema the SARIF output names.
const SARIFSchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

// SARIFLevel maps a severity to a SARIF result level: CRITICAL and HIGH are "error", MEDIUM
// "warning", LOW and UNKNOWN "note".
func SARIFLevel(s finding.Severity) string {
	switch s {
	case finding.SeverityCritical, finding.SeverityHigh:
		return "error"
	case finding.SeverityMedium:
		return "warning"
	}
	return "note"
}

// WriteSARIF writes r's findings as a SARIF 2.1.0 log with one run: one rule per finding ID
// (a vulnerability, secret rule, …) and one result per finding, located at the file that
// proves it. Packages without findings are not written.
func WriteSARIF(w io.Writer, r *result.Report) error {
	drv := sarifDriver{Name: r.Tool.Name, Version: r.Tool.Version, InformationURI: "https://github.com/rampartsec/rampart", Rules: []sarifRule{}}
	if drv.Name == "" {
		drv.Name = "rampart"
	}
	ruleIndex := map[string]int{}
	results := []sarifResult{}
	for i := range r.Findings {
		f := &r.Findings[i]
		idx, ok := ruleIndex[f.ID]
		if !ok {
			idx = len(drv.Rules)
			ruleIndex[f.ID] = idx
			drv.Rules = append(drv.Rules, sarifRuleFor(f))
		} else {
			raiseRule(&drv.Rules[idx], f)
		}
		results = append(results, sarifResultFor(f, idx, r.Artifact.Name))
	}
	run := sarifRun{Tool: sarifTool{Driver: drv}, Results: results}
	a := r.Artifact
	props := map[string]any{"artifact": a.Name}
	if a.Digest != "" {
		props["digest"] = a.Digest
	}
	if a.OS.Family != "" {
		props["os"] = strings.TrimSpace(a.OS.Family + " " + a.OS.Version)
	}
	run.Properties = props
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchemaURI, Version: "2.1.0", Runs: []sarifRun{run}})
}

func sarifRuleFor(f *finding.Finding) sarifRule {
	title := f.Title
	if title == "" {
		title = f.ID
	}
	rule := sarifRule{
		ID:                   f.ID,
		ShortDescription:     &sarifText{Text: title},
		FullDescription:      &sarifText{Text: title},
		DefaultConfiguration: &sarifConfiguration{Level: SARIFLevel(f.Severity)},
		Properties:           map[string]any{},
	}
	tags := []string{"security", string(f.Kind)}
	rule.Properties["tags"] = tags
	if len(f.References) > 0 {
		rule.HelpURI = f.References[0]
	}
	var help strings.Builder
	if f.Title != "" {
		fmt.Fprintf(&help, "%s: %s\n", f.ID, f.Title)
	}
	fmt.Fprintf(&help, "%s severity: %s", f.ID, f.Severity)
	if len(f.Aliases) > 0 {
		fmt.Fprintf(&help, "\nAliases: %s", strings.Join(f.Aliases, ", "))
	}
	for _, ref := range f.References {
		fmt.Fprintf(&help, "\n%s", ref)
	}
	rule.Help = &sarifText{Text: help.String()}
	if s, ok := maxCVSS(f); ok {
		// GitHub code scanning ranks security results by this property.
		rule.Properties["security-severity"] = strconv.FormatFloat(s, 'f', 1, 64)
	}
	return rule
}

// raiseRule keeps a rule's default level at the most severe of its findings: the same
// vulnerability can be rated differently in two packages' ecosystems.
func raiseRule(rule *sarifRule, f *finding.Finding) {
	if levelRank(SARIFLevel(f.Severity)) > levelRank(rule.DefaultConfiguration.Level) {
		rule.DefaultConfiguration.Level = SARIFLevel(f.Severity)
	}
	if s, ok := maxCVSS(f); ok {
		if cur, _ := strconv.ParseFloat(fmt.Sprint(rule.Properties["security-severity"]), 64); s > cur {
			rule.Properties["security-severity"] = strconv.FormatFloat(s, 'f', 1, 64)
		}
	}
}

func levelRank(l string) int {
	return map[string]int{"note": 1, "warning": 2, "error": 3}[l]
}

func maxCVSS(f *finding.Finding) (float64, bool) {
	best, ok := 0.0, false
	for _, c := range f.CVSS {
		if c.Score > best || !ok {
			best, ok = c.Score, true
		}
	}
	return best, ok
}

func sarifResultFor(f *finding.Finding, ruleIdx int, artifact string) sarifResult {
	res := sarifResult{
		RuleID:    f.ID,
		RuleIndex: ruleIdx,
		Level:     SARIFLevel(f.Severity),
		Properties: map[string]any{
			"severity": string(f.Severity),
		},
	}
	var msg strings.Builder
	if p := f.Package; p != nil {
		fmt.Fprintf(&msg, "%s %s is affected by %s (%s)", p.Name, p.Version, f.ID, f.Severity)
		res.Properties["package"] = p.Name
		res.Properties["installedVersion"] = p.Version
		if p.PURL != "" {
			res.Properties["purl"] = p.PURL
		}
	} else {
		fmt.Fprintf(&msg, "%s (%s)", f.ID, f.Severity)
	}
	if f.Title != "" {
		fmt.Fprintf(&msg, ": %s", f.Title)
	}
	msg.WriteString(".")
	if f.Kind == finding.KindVulnerability {
		if f.FixedVersion != nil {
			fmt.Fprintf(&msg, " Fixed in %s.", *f.FixedVersion)
			res.Properties["fixedVersion"] = *f.FixedVersion
		} else {
			msg.WriteString(" No fix is known.")
		}
		res.Properties["kev"] = f.KEV
	}
	if f.EPSS != nil {
		res.Properties["epss"] = *f.EPSS
	}
	if s := f.Extra["symbol"]; s != "" {
		res.Properties["symbol"] = s
	}
	if f.Location.Layer != "" {
		res.Properties["layer"] = f.Location.Layer
	}
	res.Message = sarifText{Text: msg.String()}

	path := f.Location.Path
	if path == "" {
		path = artifact
	}
	if path != "" {
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifactLocation{URI: pathURI(path)}}}
		if f.Location.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Location.Line}
		}
		res.Locations = []sarifLocation{loc}
	}
	// The finding's own fingerprint: stable across scans, tags, package versions and edits that
	// move a line, so code scanning tracks one alert from found to fixed.
	fp := f.Fingerprint
	if fp == "" {
		fp = finding.Fingerprint(artifact, f)
	}
	res.PartialFingerprints = map[string]string{finding.FingerprintVersion: fp}
	return res
}

// pathURI turns a slash path inside the artifact into a relative URI reference.
func pathURI(p string) string {
	return (&url.URL{Path: strings.TrimPrefix(p, "/")}).String()
}
