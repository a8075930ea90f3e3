package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
)

// maxReports bounds how many reports [ReadReports] accepts from one input.
const maxReports = 1 << 20

// ReadReports reads image scan reports as `rampart image --format json` writes them: one report,
// a JSON array of reports, or reports one after another (JSON lines).
func ReadReports(r io.Reader) ([]*result.Report, error) {
	dec := json.NewDecoder(r)
	var out []*result.Report
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("image reports: %w", err)
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '[' {
			var list []*result.Report
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, fmt.Errorf("image reports: %w", err)
			}
			out = append(out, list...)
		} else {
			var rep result.Report
			if err := json.Unmarshal(raw, &rep); err != nil {
				return nil, fmt.Errorf("image reports: %w", err)
			}
			out = append(out, &rep)
		}
		if len(out) > maxReports {
			return nil, fmt.Errorf("image reports: more than %d reports", maxReports)
		}
	}
}

// VulnFact is one vulnerability of one image, with what makes it exploitable.
type VulnFact struct {
	ID        string           `json:"id"`
	Package   string           `json:"package"`
	Version   string           `json:"version"`
	Severity  finding.Severity `json:"severity"`
	KEV       bool             `json:"kev,omitempty"`
	EPSS      float64          `json:"epss,omitempty"`
	Fixed     string           `json:"fixed,omitempty"`
	Symbol    string           `json:"symbol,omitempty"`
	P         float64          `json:"p"`
	Image     int              `json:"-"`
	Ecosystem string           `json:"-"`
}

// Exploitability estimates how likely v is to give an attacker code execution, in [0, 1].
// A Go vulnerability whose symbol is not linked into the binary is not reachable (0); below
// HIGH, without KEV listing, an EPSS of at least 0.1 or a vulnerable Go symbol known to be
// linked in, a vulnerability is not counted as a way in. A linked vulnerable symbol and a
// published fix each add 0.05; the result is at most 0.99.
func Exploitability(v VulnFact) float64 {
	if v.Symbol == "absent" {
		return 0
	}
	p := 0.0
	switch v.Severity {
	case finding.SeverityCritical:
		p = 0.6
	case finding.SeverityHigh:
		p = 0.4
	default:
		// The Go vulnerability database rates nothing; a vulnerable function linked into the
		// binary is a way in all the same.
		if v.Symbol == "present" {
			p = 0.3
		}
	}
	if v.EPSS > p {
		p = v.EPSS
	}
	if v.KEV && p < 0.95 {
		p = 0.95
	}
	if p < 0.1 {
		return 0
	}
	if v.Symbol == "present" {
		p += 0.05
	}
	if v.Fixed != "" {
		// A published fix shows where the flaw is: exploits follow patches.
		p += 0.05
	}
	return min(p, 0.99)
}

func (v VulnFact) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) in %s %s", v.ID, v.Severity, v.Package, v.Version)
	if v.KEV {
		b.WriteString(", known exploited (KEV)")
	}
	if v.EPSS > 0 {
		fmt.Fprintf(&b, ", EPSS %.2f", v.EPSS)
	}
	if v.Fixed != "" {
		fmt.Fprintf(&b, ", fixed in %s", v.Fixed)
	} else {
		b.WriteString(", no fix")
	}
	if v.Symbol != "" {
		fmt.Fprintf(&b, ", vulnerable symbol %s", v.Symbol)
	}
	return b.String()
}

func (b *builder) indexImage(r *result.Report) {
	if r == nil {
		return
	}
	keys := append([]string{r.Artifact.Name}, r.Artifact.RepoTags...)
	if r.Artifact.Digest != "" {
		keys = append(keys, r.Artifact.Digest)
	}
	for _, k := range keys {
		if k != "" {
			if _, ok := b.images[k]; !ok {
				b.images[k] = r
			}
		}
	}
}

// lookupImage finds the scan of a container image reference.
func (b *builder) lookupImage(ref string) *result.Report {
	if r, ok := b.images[ref]; ok {
		return r
	}
	if d, ok := b.in.Resolved[ref]; ok {
		if r, ok := b.images[d]; ok {
			return r
		}
	}
	if _, d, ok := strings.Cut(ref, "@"); ok {
		if r, ok := b.images[d]; ok {
			return r
		}
	}
	if !strings.Contains(ref, ":") || strings.LastIndex(ref, ":") < strings.LastIndex(ref, "/") {
		if r, ok := b.images[ref+":latest"]; ok {
			return r
		}
	}
	return nil
}

// image returns the node of a container image, adding its packages, vulnerabilities and leaked
// secrets the first time the image is seen.
func (b *builder) image(ref string) int {
	g := b.g
	r := b.lookupImage(ref)
	key := ref
	if r != nil && r.Artifact.Digest != "" {
		key = r.Artifact.Digest
	}
	if id, ok := b.imageIDs[key]; ok {
		return id
	}
	name := ref
	if r != nil && r.Artifact.Digest != "" {
		name = imageName(ref) + "@" + r.Artifact.Digest
	}
	id := g.Node(KindImage, "", "", name)
	b.imageIDs[key] = id
	reg := g.Node(KindRegistry, "", "", registryOf(ref))
	g.AddEdge(id, reg, EdgePulledFrom, 0, "image reference "+ref)
	if r == nil {
		g.SetAttr(id, "scanned", "false")
		return id
	}
	g.SetAttr(id, "scanned", "true")
	for i := range r.Packages {
		p := &r.Packages[i]
		pid := g.Node(KindPackage, p.Ecosystem, "", p.Name+"@"+p.Version)
		g.AddEdge(id, pid, EdgeContains, 0, p.Path)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		switch f.Kind {
		case finding.KindVulnerability:
			v := VulnFact{ID: f.ID, Severity: f.Severity, KEV: f.KEV, Symbol: f.Extra["symbol"], Image: id}
			if f.Package != nil {
				v.Package, v.Version, v.Ecosystem = f.Package.Name, f.Package.Version, f.Package.Ecosystem
			}
			if f.EPSS != nil {
				v.EPSS = *f.EPSS
			}
			if f.FixedVersion != nil {
				v.Fixed = *f.FixedVersion
			}
			v.P = Exploitability(v)
			g.vulns[id] = append(g.vulns[id], v)
			pid := g.Node(KindPackage, v.Ecosystem, "", v.Package+"@"+v.Version)
			g.AddEdge(id, pid, EdgeContains, 0, "")
			vid := g.Node(KindVulnerability, "", "", v.ID)
			g.SetAttr(vid, "severity", string(v.Severity))
			if v.KEV {
				g.SetAttr(vid, "kev", "true")
			}
			ev := "affected"
			if v.Fixed != "" {
				ev = "fixed in " + v.Fixed
			}
			g.AddEdge(pid, vid, EdgeAffectedBy, 0, ev)
		case finding.KindSecret:
			desc := f.ID
			if f.Title != "" {
				desc = f.Title
			}
			where := f.Location.Path
			if where == "" {
				where = f.Location.Field
			}
			sid := g.Node(KindSecret, "leaked", "", f.ID+" in "+where)
			g.SetAttr(sid, "image", name)
			g.AddEdge(id, sid, EdgeLeaks, 0, desc+" at "+where)
			g.leaks[id] = append(g.leaks[id], leak{severity: f.Severity, edge: g.edge(id, sid, EdgeLeaks)})
		}
	}
	sort.SliceStable(g.vulns[id], func(i, j int) bool { return g.vulns[id][i].P > g.vulns[id][j].P })
	return id
}

func imageName(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[:i]
	}
	return ref
}

// registryOf returns the registry host of an image reference, as the container runtime reads it.
func registryOf(ref string) string {
	first, _, ok := strings.Cut(ref, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "docker.io"
}
