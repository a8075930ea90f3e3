package match

import (
	"encoding/json"
	"fmt"
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/osv"
)

// cvssScorers score base metrics by vector prefix.
var cvssScorers = []struct {
	prefix, version string
	score           func(vector string) (float64, error)
	rating          func(score float64) (string, error)
}{
	{"CVSS:3.0/", "3.0", func(v string) (float64, error) {
		c, err := gocvss30.ParseVector(v)
		if err != nil {
			return 0, err
		}
		return c.BaseScore(), nil
	}, gocvss30.Rating},
	{"CVSS:3.1/", "3.1", func(v string) (float64, error) {
		c, err := gocvss31.ParseVector(v)
		if err != nil {
			return 0, err
		}
		return c.BaseScore(), nil
	}, gocvss31.Rating},
	{"CVSS:4.0/", "4.0", func(v string) (float64, error) {
		c, err := gocvss40.ParseVector(v)
		if err != nil {
			return 0, err
		}
		return c.Score(), nil
	}, gocvss40.Rating},
}

// scoreVector scores a CVSS v3.0, v3.1 or v4.0 vector. It returns the CVSS version ("3.1"),
// the base score and the rating the specification gives that score ("NONE" … "CRITICAL").
func scoreVector(vector string) (version string, score float64, rating string, err error) {
	for _, s := range cvssScorers {
		if !strings.HasPrefix(vector, s.prefix) {
			continue
		}
		if score, err = s.score(vector); err != nil {
			return "", 0, "", err
		}
		if rating, err = s.rating(score); err != nil {
			return "", 0, "", err
		}
		return s.version, score, rating, nil
	}
	return "", 0, "", fmt.Errorf("not a CVSS v3.x or v4.0 vector")
}

// severityOf works out a group's severity: the rating of the highest CVSS v3/v4 base score
// among its records and matched entries; else a rating a record states in database_specific
// (GitHub's "severity"); else Unknown. source says where the rating came from; cvss lists
// every vector scored; problems name vectors that could not be scored.
func severityOf(group []hit) (sev finding.Severity, source string, cvss []finding.CVSS, problems []string) {
	best := -1.0
	seen := map[string]bool{}
	consider := func(id string, list []osv.Severity) {
		for _, s := range list {
			if s.Type != "CVSS_V3" && s.Type != "CVSS_V4" {
				continue
			}
			if seen[s.Score] {
				continue
			}
			seen[s.Score] = true
			ver, score, rating, err := scoreVector(s.Score)
			if err != nil {
				problems = append(problems, fmt.Sprintf("advisory %s: CVSS vector %q: %v", id, s.Score, err))
				continue
			}
			cvss = append(cvss, finding.CVSS{Version: ver, Vector: s.Score, Score: score})
			if score > best {
				best = score
				sev, source = ratingSeverity(rating), fmt.Sprintf("CVSS %s (%s)", ver, id)
			}
		}
	}
	for _, h := range group {
		consider(h.vuln.ID, h.vuln.Severity)
		for _, a := range h.affected {
			consider(h.vuln.ID, a.Severity)
		}
	}
	if best > 0 {
		return sev, source, cvss, problems
	}
	// No usable score: take the rating a database states, highest first.
	sev = finding.SeverityUnknown
	source = ""
	for _, h := range group {
		for _, raw := range dbSpecifics(h) {
			if r, ok := statedSeverity(raw); ok && r.Rank() > sev.Rank() {
				sev, source = r, fmt.Sprintf("database_specific.severity (%s)", h.vuln.ID)
			}
		}
	}
	return sev, source, cvss, problems
}

func dbSpecifics(h hit) []json.RawMessage {
	out := []json.RawMessage{h.vuln.DatabaseSpecific}
	for _, a := range h.affected {
		out = append(out, a.DatabaseSpecific)
	}
	return out
}

// statedSeverity reads database_specific.severity, as GitHub's advisories give it
// ("LOW", "MODERATE", "HIGH", "CRITICAL").
func statedSeverity(raw json.RawMessage) (finding.Severity, bool) {
	if len(raw) == 0 {
		return "", false
	}
	var ds struct {
		Severity any `json:"severity"`
	}
	if json.Unmarshal(raw, &ds) != nil {
		return "", false
	}
	s, ok := ds.Severity.(string)
	if !ok {
		return "", false
	}
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "LOW":
		return finding.SeverityLow, true
	case "MODERATE", "MEDIUM":
		return finding.SeverityMedium, true
	case "HIGH":
		return finding.SeverityHigh, true
	case "CRITICAL":
		return finding.SeverityCritical, true
	}
	return "", false
}

func ratingSeverity(rating string) finding.Severity {
	switch rating {
	case "LOW":
		return finding.SeverityLow
	case "MEDIUM":
		return finding.SeverityMedium
	case "HIGH":
		return finding.SeverityHigh
	case "CRITICAL":
		return finding.SeverityCritical
	}
	return finding.SeverityUnknown
}
