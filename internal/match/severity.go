package match

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/osv"
	"github.com/rampartsec/rampart/internal/vulndb"
)

// This file decides a finding's severity. The sources, in the order they are tried (the first
// that gives a rating wins; within one, the highest rating):
//
//  1. for OS packages, the distribution's own rating on the matched entries: Debian's urgency
//     (ecosystem_specific.urgency), Ubuntu's priority (a severity of type "Ubuntu");
//  2. the CVSS v3.0/v3.1/v4.0 vectors of the finding's records and matched entries;
//  3. a rating those records state: database_specific.severity (GitHub's), then a bare base
//     score (database_specific.cvss_v4_score, cvss_v3_score: RubySec's);
//  4. with a [CVEData] source: the CVSS v3/v4 vectors, then the stated ratings, of the other
//     records in the database about the same CVE (records naming exactly that one CVE);
//  5. with a [CVEData] source: NVD's CVSS v3/v4 for the CVE, NVD's own assessment before a CNA's;
//  6. CVSS v2 (vectors, then cvss_v2_score) in the same order: the records, the other records,
//     NVD;
//  7. else UNKNOWN: a severity is never guessed.
//
// Extra["severity_source"] says which source gave it, naming the record (or "nvd") and the CVE
// it was found through.

// CVEData is what a [Source] may also offer about a CVE, beyond the records that match a
// package; *vulndb.DB offers it. With it, a finding whose records carry no severity takes one
// from another record of the same CVE or from NVD, and an untitled finding a title.
type CVEData interface {
	// ByID returns the record with that id; vulndb.ErrNotFound when there is none.
	ByID(ctx context.Context, id string) (*osv.Vulnerability, error)
	// ByAlias returns the records that name alias among their aliases or upstream ids.
	ByAlias(ctx context.Context, alias string) ([]*osv.Vulnerability, error)
	// NVD returns what NVD's feeds say about a CVE.
	NVD(cve string) (vulndb.NVDEntry, bool)
}

// rated is one candidate severity and where it came from.
type rated struct {
	sev    finding.Severity
	score  float64       // the CVSS base score behind it; 0 for a stated rating
	source string        // for Extra["severity_source"]
	cvss   *finding.CVSS // the scored vector, when there is one
}

func (r rated) ok() bool { return r.sev != "" && r.sev != finding.SeverityUnknown }

// better reports whether r outranks o: a higher score, else a higher rating.
func (r rated) better(o rated) bool {
	if !o.ok() {
		return r.ok()
	}
	if r.score != o.score {
		return r.score > o.score
	}
	return r.sev.Rank() > o.sev.Rank()
}

// scorer collects the CVSS vectors and stated ratings of one source and keeps the best of each
// kind.
type scorer struct {
	seen   map[string]bool
	v3     rated // the best CVSS v3.x/v4.0 vector
	stated rated // the best stated rating: database_specific.severity
	score  rated // the best stated v3/v4 base score
	v2     rated // the best CVSS v2 vector
	v2num  rated // the best stated v2 base score
	// all lists every v3/v4 vector scored; problems names those that do not score.
	all      []finding.CVSS
	problems []string
}

func newScorer() *scorer { return &scorer{seen: map[string]bool{}} }

// vector scores one vector of record id; where is the parenthesised origin for the source text.
func (s *scorer) vector(id, typ, vector, where string) {
	if typ != "CVSS_V3" && typ != "CVSS_V4" && typ != "CVSS_V2" {
		return
	}
	if s.seen[vector] {
		return
	}
	s.seen[vector] = true
	ver, score, sev, err := scoreVector(vector)
	if err != nil {
		s.problems = append(s.problems, fmt.Sprintf("advisory %s: CVSS vector %q: %v", id, vector, err))
		return
	}
	c := finding.CVSS{Version: ver, Vector: vector, Score: score}
	r := rated{sev: sev, score: score, source: fmt.Sprintf("CVSS %s (%s)", ver, where), cvss: &c}
	if ver == "2.0" {
		if r.better(s.v2) {
			s.v2 = r
		}
		return
	}
	s.all = append(s.all, c)
	if r.better(s.v3) {
		s.v3 = r
	}
}

// dbSpecific is the part of a record's (or entry's) database_specific read for its severity.
type dbSpecific struct {
	Severity any `json:"severity"` // GitHub's "LOW" … "CRITICAL"
	// Bare base scores, as RubySec's records give them.
	CVSSv4 any `json:"cvss_v4_score"`
	CVSSv3 any `json:"cvss_v3_score"`
	CVSSv2 any `json:"cvss_v2_score"`
	// SeveritySource says where a record's vector came from (the bundled data's converter).
	SeveritySource string `json:"severity_source"`
}

// readDBSpecific decodes what dbSpecific holds; most database_specific objects hold none of it
// and are not decoded.
func readDBSpecific(raw json.RawMessage) (dbSpecific, bool) {
	var ds dbSpecific
	if len(raw) == 0 || !bytes.Contains(raw, []byte(`"severity`)) && !bytes.Contains(raw, []byte(`"cvss_v`)) {
		return ds, false
	}
	return ds, json.Unmarshal(raw, &ds) == nil
}

// statedIn takes the ratings database_specific states: GitHub's severity, RubySec's bare base
// scores.
func (s *scorer) statedIn(ds dbSpecific, where string) {
	if str, ok := ds.Severity.(string); ok {
		if sev, ok := githubSeverity(str); ok {
			if r := (rated{sev: sev, source: fmt.Sprintf("database_specific.severity (%s)", where)}); r.better(s.stated) {
				s.stated = r
			}
		}
	}
	for _, st := range []struct {
		key   string
		value any
		best  *rated
	}{{"cvss_v4_score", ds.CVSSv4, &s.score}, {"cvss_v3_score", ds.CVSSv3, &s.score}, {"cvss_v2_score", ds.CVSSv2, &s.v2num}} {
		score, ok := number(st.value)
		if !ok || score <= 0 || score > 10 {
			continue
		}
		r := rated{sev: bandSeverity(score, st.best == &s.v2num), score: score,
			source: fmt.Sprintf("database_specific.%s %s (%s)", st.key, strconv.FormatFloat(score, 'f', -1, 64), where)}
		if r.better(*st.best) {
			*st.best = r
		}
	}
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		return f, err == nil
	}
	return 0, false
}

// record adds a record's own vectors (and, with entries, those of the entries that matched)
// and stated ratings. note, when not empty, follows the id in the source text (" via CVE-…").
func (s *scorer) record(v *osv.Vulnerability, entries []*osv.Affected, note string) {
	where := v.ID + note
	ds, ok := readDBSpecific(v.DatabaseSpecific)
	if ok {
		s.statedIn(ds, where)
	}
	for _, a := range entries {
		if eds, ok := readDBSpecific(a.DatabaseSpecific); ok {
			s.statedIn(eds, where)
		}
	}
	if ds.SeveritySource != "" {
		where += "; vector from " + ds.SeveritySource
	}
	for _, sv := range v.Severity {
		s.vector(v.ID, sv.Type, sv.Score, where)
	}
	for _, a := range entries {
		for _, sv := range a.Severity {
			s.vector(v.ID, sv.Type, sv.Score, where)
		}
	}
}

// severity works out a group's severity; see the top of this file. It fails only when the
// source fails looking up other records of the group's CVEs.
func severity(q *query, group []hit, out *outside) (sev finding.Severity, source string, cvss []finding.CVSS, problems []string, err error) {
	own := newScorer()
	for _, h := range group {
		own.record(h.vuln, h.affected, "")
	}
	cvss, problems = own.all, own.problems
	pick := func(r rated) (finding.Severity, string, []finding.CVSS, []string, error) {
		if r.cvss != nil && !slices.Contains(cvss, *r.cvss) {
			cvss = append(cvss, *r.cvss)
		}
		return r.sev, r.source, cvss, problems, nil
	}
	if q.pkg.Type.IsOS() {
		if r := distroRating(group); r.ok() {
			return pick(r)
		}
	}
	for _, r := range []rated{own.v3, own.stated, own.score} {
		if r.ok() {
			return pick(r)
		}
	}
	if err := out.load(); err != nil {
		return "", "", nil, nil, err
	}
	others, nvd := newScorer(), newScorer()
	for _, cve := range out.cves {
		for _, v := range out.recs[cve] {
			others.record(v, entryPointers(v), " via "+cve)
		}
		if e, ok := out.nvd[cve]; ok {
			nvdScores(nvd, e)
		}
	}
	for _, r := range []rated{others.v3, others.stated, others.score, nvd.v3, own.v2, own.v2num, others.v2, others.v2num, nvd.v2} {
		if r.ok() {
			return pick(r)
		}
	}
	return finding.SeverityUnknown, "", cvss, problems, nil
}

// outside is what the database knows of a group's CVEs beyond the group's records: the other
// records about each CVE (naming no other CVE) and NVD's entry. It is read on first use, and
// holds nothing when the source is no [CVEData].
type outside struct {
	ctx    context.Context
	cd     CVEData
	cache  cveCache
	group  []hit
	cves   []string
	loaded bool
	recs   map[string][]*osv.Vulnerability
	nvd    map[string]vulndb.NVDEntry
}

// cveCache keeps what one Match read about each CVE: many packages (the binary packages of one
// source package, say) share their CVEs.
type cveCache map[string]*cveFacts

type cveFacts struct {
	recs   []*osv.Vulnerability // the records naming the CVE and no other, sorted by id
	nvd    vulndb.NVDEntry
	hasNVD bool
}

func newOutside(ctx context.Context, src Source, cache cveCache, group []hit) *outside {
	cd, _ := src.(CVEData)
	return &outside{ctx: ctx, cd: cd, cache: cache, group: group, cves: groupCVEs(group)}
}

func (o *outside) load() error {
	if o.loaded || o.cd == nil {
		return nil
	}
	o.loaded = true
	o.recs, o.nvd = map[string][]*osv.Vulnerability{}, map[string]vulndb.NVDEntry{}
	for _, cve := range o.cves {
		facts, ok := o.cache[cve]
		if !ok {
			recs, err := related(o.ctx, o.cd, cve)
			if err != nil {
				return err
			}
			facts = &cveFacts{recs: recs}
			facts.nvd, facts.hasNVD = o.cd.NVD(cve)
			o.cache[cve] = facts
		}
		for _, v := range facts.recs {
			if !slices.ContainsFunc(o.group, func(h hit) bool { return h.vuln.ID == v.ID }) {
				o.recs[cve] = append(o.recs[cve], v)
			}
		}
		if facts.hasNVD {
			o.nvd[cve] = facts.nvd
		}
	}
	return nil
}

// title is a title for an untitled group: the summary of another record of its CVEs, else the
// start of NVD's description.
func (o *outside) title() (string, error) {
	if err := o.load(); err != nil {
		return "", err
	}
	for _, cve := range o.cves {
		for _, v := range o.recs[cve] {
			if t := strings.TrimSpace(v.Summary); t != "" {
				return t, nil
			}
		}
	}
	for _, cve := range o.cves {
		if t := o.nvd[cve].Title; t != "" {
			return t, nil
		}
	}
	return "", nil
}

// nvdScores adds NVD's metrics for a CVE: NVD's own ("Primary") first; a CNA's only where NVD
// has not scored that CVSS generation.
func nvdScores(s *scorer, e vulndb.NVDEntry) {
	primary := map[bool]bool{} // v2 → NVD scored it
	for _, m := range e.Metrics {
		if m.Primary {
			primary[m.Version == "2.0"] = true
		}
	}
	for _, m := range e.Metrics {
		if !m.Primary && primary[m.Version == "2.0"] {
			continue
		}
		typ := "CVSS_V3"
		if m.Version == "2.0" {
			typ = "CVSS_V2"
		}
		where := "nvd: " + e.CVE
		if !m.Primary && m.Source != "" {
			where += ", scored by " + m.Source
		}
		s.vector(e.CVE, typ, m.Vector, where)
	}
	s.problems = nil // NVD's vectors are not the package's problem
}

// related returns the records of the database about cve that name no other CVE (their severity
// is that CVE's), sorted by id.
func related(ctx context.Context, cd CVEData, cve string) ([]*osv.Vulnerability, error) {
	var recs []*osv.Vulnerability
	v, err := cd.ByID(ctx, cve)
	switch {
	case err == nil:
		recs = append(recs, v)
	case !errors.Is(err, vulndb.ErrNotFound):
		return nil, fmt.Errorf("records of %s: %w", cve, err)
	}
	more, err := cd.ByAlias(ctx, cve)
	if err != nil {
		return nil, fmt.Errorf("records of %s: %w", cve, err)
	}
	recs = append(recs, more...)
	slices.SortFunc(recs, func(a, b *osv.Vulnerability) int { return strings.Compare(a.ID, b.ID) })
	return slices.DeleteFunc(recs, func(v *osv.Vulnerability) bool {
		if v == nil || v.Withdrawn != nil {
			return true
		}
		cves := v.CVEs()
		return len(cves) != 1 || cves[0] != cve
	}), nil
}

// groupCVEs lists the CVEs a group's records name, sorted.
func groupCVEs(group []hit) []string {
	var out []string
	for _, h := range group {
		for _, c := range h.vuln.CVEs() {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

func entryPointers(v *osv.Vulnerability) []*osv.Affected {
	out := make([]*osv.Affected, len(v.Affected))
	for i := range v.Affected {
		out[i] = &v.Affected[i]
	}
	return out
}

// distroRating is the highest rating a distribution gives the group's matched entries: Debian's
// urgency, Ubuntu's priority. Ratings that say nothing ("not yet assigned", "untriaged") are none.
func distroRating(group []hit) rated {
	var best rated
	take := func(sev finding.Severity, what, value, id string) {
		if r := (rated{sev: sev, source: fmt.Sprintf("%s %s (%s)", what, value, id)}); r.better(best) {
			best = r
		}
	}
	for _, h := range group {
		for _, a := range h.affected {
			base, _, _ := strings.Cut(a.Package.Ecosystem, ":")
			switch base {
			case "Debian":
				var es struct {
					Urgency string `json:"urgency"`
				}
				if len(a.EcosystemSpecific) > 0 && json.Unmarshal(a.EcosystemSpecific, &es) == nil {
					if sev, ok := debianUrgency(es.Urgency); ok {
						take(sev, "Debian urgency", es.Urgency, h.vuln.ID)
					}
				}
			case "Ubuntu":
				for _, s := range slices.Concat(a.Severity, h.vuln.Severity) {
					if sev, ok := ubuntuPriority(s); ok {
						take(sev, "Ubuntu priority", s.Score, h.vuln.ID)
					}
				}
			}
		}
	}
	return best
}

// debianUrgency maps the security tracker's urgency ("low**" marks a guess of the tracker's own:
// still Debian's rating). "unimportant" issues are real but minor: LOW.
func debianUrgency(u string) (finding.Severity, bool) {
	switch strings.TrimRight(strings.ToLower(strings.TrimSpace(u)), "*") {
	case "unimportant", "low":
		return finding.SeverityLow, true
	case "medium":
		return finding.SeverityMedium, true
	case "high":
		return finding.SeverityHigh, true
	}
	return "", false // "not yet assigned", "end-of-life", ""
}

// ubuntuPriority maps an Ubuntu severity entry: negligible, low, medium, high, critical.
func ubuntuPriority(s osv.Severity) (finding.Severity, bool) {
	if s.Type != "Ubuntu" {
		return "", false
	}
	switch strings.ToLower(strings.TrimSpace(s.Score)) {
	case "negligible", "low":
		return finding.SeverityLow, true
	case "medium":
		return finding.SeverityMedium, true
	case "high":
		return finding.SeverityHigh, true
	case "critical":
		return finding.SeverityCritical, true
	}
	return "", false // "untriaged"
}

// githubSeverity reads database_specific.severity as GitHub's advisories give it ("LOW",
// "MODERATE", "HIGH", "CRITICAL").
func githubSeverity(s string) (finding.Severity, bool) {
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

// cvssScorers score base metrics by vector prefix; CVSS v2 vectors have none.
var cvssScorers = []struct {
	prefix, version string
	score           func(vector string) (float64, error)
}{
	{"CVSS:3.0/", "3.0", func(v string) (float64, error) {
		c, err := gocvss30.ParseVector(v)
		if err != nil {
			return 0, err
		}
		return c.BaseScore(), nil
	}},
	{"CVSS:3.1/", "3.1", func(v string) (float64, error) {
		c, err := gocvss31.ParseVector(v)
		if err != nil {
			return 0, err
		}
		return c.BaseScore(), nil
	}},
	{"CVSS:4.0/", "4.0", func(v string) (float64, error) {
		c, err := gocvss40.ParseVector(v)
		if err != nil {
			return 0, err
		}
		return c.Score(), nil
	}},
	{"", "2.0", func(v string) (float64, error) {
		c, err := gocvss20.ParseVector(strings.TrimSuffix(strings.TrimPrefix(v, "("), ")"))
		if err != nil {
			return 0, err
		}
		return c.BaseScore(), nil
	}},
}

// scoreVector scores a CVSS v2.0, v3.0, v3.1 or v4.0 vector. It returns the CVSS version
// ("3.1"), the base score and its rating: for v3 and v4 the one the specification gives, for v2
// NVD's (below 4 LOW, below 7 MEDIUM, else HIGH); UNKNOWN for a score of 0.
func scoreVector(vector string) (version string, score float64, sev finding.Severity, err error) {
	for _, s := range cvssScorers {
		if !strings.HasPrefix(vector, s.prefix) {
			continue
		}
		if s.prefix == "" && strings.HasPrefix(vector, "CVSS:") {
			break
		}
		if score, err = s.score(vector); err != nil {
			return "", 0, "", err
		}
		return s.version, score, bandSeverity(score, s.version == "2.0"), nil
	}
	return "", 0, "", fmt.Errorf("not a CVSS v2, v3.x or v4.0 vector")
}

// bandSeverity rates a base score: CVSS v3/v4's bands (0.1–3.9 LOW, 4.0–6.9 MEDIUM, 7.0–8.9
// HIGH, 9.0–10.0 CRITICAL) or NVD's for v2 (0–3.9 LOW, 4.0–6.9 MEDIUM, 7.0–10.0 HIGH).
func bandSeverity(score float64, v2 bool) finding.Severity {
	switch {
	case score <= 0:
		return finding.SeverityUnknown
	case score < 4:
		return finding.SeverityLow
	case score < 7:
		return finding.SeverityMedium
	case score < 9 || v2:
		return finding.SeverityHigh
	}
	return finding.SeverityCritical
}
