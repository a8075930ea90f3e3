package graph

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/rbac"
)

// Issue is one prioritised problem: a rule that fired, the path from its entry point to what
// is at stake, the evidence of each hop and how its score was reached.
type Issue struct {
	Rule        string           `json:"rule"`
	Title       string           `json:"title"`
	Score       float64          `json:"score"`
	Severity    finding.Severity `json:"severity"`
	Path        []Ref            `json:"path"`
	Evidence    []string         `json:"evidence"`
	Explain     []Factor         `json:"explain"`
	Remediation string           `json:"remediation"`

	edges []int
}

// Factor is one term of an issue's score.
type Factor struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Why   string  `json:"why"`
}

// Score weights: score = 100 × exposure × exploitability × impact × (0.75 + 0.25 × blast radius).
const (
	exposureInternet      = 1.0
	exposureAuthenticated = 0.7
	exposurePod           = 0.5
	// noKnownExploit is the exploitability of a workload with no exploitable vulnerability known:
	// taking it needs a new flaw or a stolen credential.
	noKnownExploit = 0.3
	leakedSecretX  = 0.8
	// blastCap is the number of reachable crown jewels at which the blast radius is full.
	blastCap = 1000
)

// Analyze runs the rules over g and returns the issues, highest score first. Issues whose path
// is the same as a higher-scoring one's are dropped; paths that differ only in which node their
// final escape lands on (node a, node b, or "its node") count as the same.
func Analyze(g *Graph, rules []Rule) []Issue {
	a := &analyzer{g: g, reach: map[int]int{}, searches: map[string]*Search{}}
	a.exposure()
	var issues []Issue
	for i := range rules {
		r := &rules[i]
		switch {
		case r.Workload != nil:
			issues = append(issues, a.workloadRule(r)...)
		case r.Path != nil:
			issues = append(issues, a.pathRule(r)...)
		}
	}
	sort.SliceStable(issues, func(i, j int) bool {
		if issues[i].Score != issues[j].Score {
			return issues[i].Score > issues[j].Score
		}
		if issues[i].Rule != issues[j].Rule {
			return issues[i].Rule < issues[j].Rule
		}
		return pathString(issues[i].Path) < pathString(issues[j].Path)
	})
	seen := map[string]bool{}
	out := issues[:0]
	for _, is := range issues {
		k := a.pathKey(is.edges)
		if len(is.edges) > 0 && seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, is)
	}
	return out
}

// pathKey identifies a path for deduplication: its edges, except that a final escape to a node
// is identified by where it starts.
func (a *analyzer) pathKey(edges []int) string {
	if len(edges) == 0 {
		return ""
	}
	last := a.g.Edges[edges[len(edges)-1]]
	if last.Kind != EdgeEscapesToNode {
		return fmt.Sprint(edges)
	}
	return fmt.Sprint(edges[:len(edges)-1], last.From, last.Kind)
}

func pathString(p []Ref) string {
	s := make([]string, len(p))
	for i, r := range p {
		s[i] = r.String()
	}
	return strings.Join(s, " → ")
}

type analyzer struct {
	g        *Graph
	expPrev  []int32 // exposure: edge reaching a node from the Internet over network edges
	reach    map[int]int
	searches map[string]*Search
	stamp    []int32
	gen      int32
}

// exposure finds, by breadth-first search over exposes and routes-to edges whatever their
// likelihood, which workloads the Internet can send traffic to.
func (a *analyzer) exposure() {
	g := a.g
	a.expPrev = make([]int32, len(g.Nodes))
	for i := range a.expPrev {
		a.expPrev[i] = -2
	}
	inet, ok := g.Lookup(KindInternet, "", "", InternetName)
	if !ok {
		return
	}
	a.expPrev[inet] = -1
	queue := []int{inet}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, ei := range g.out[u] {
			e := &g.Edges[ei]
			if e.Kind != EdgeExposes && e.Kind != EdgeRoutesTo || a.expPrev[e.To] != -2 {
				continue
			}
			a.expPrev[e.To] = ei
			queue = append(queue, e.To)
		}
	}
}

func (a *analyzer) exposed(w int) bool { return a.expPrev[w] != -2 }

func (a *analyzer) exposurePath(w int) []int { return backtrack(a.g, a.expPrev, w) }

// edge returns the ID of the edge from -kind-> to, or -1.
func (g *Graph) edge(from, to int, kind EdgeKind) int {
	if i, ok := g.edges[edgeKey{from, to, kind}]; ok {
		return i
	}
	return -1
}

// containersOf returns (container, image) pairs of workload w with their edges.
func (g *Graph) containersOf(w int) (out [][2]int) {
	for _, ei := range g.out[w] {
		e := &g.Edges[ei]
		if e.Kind != EdgeContains || g.Nodes[e.To].Kind != KindContainer {
			continue
		}
		for _, ej := range g.out[e.To] {
			f := &g.Edges[ej]
			if f.Kind == EdgeRuns && g.Nodes[f.To].Kind == KindImage {
				out = append(out, [2]int{int(ei), int(ej)})
			}
		}
	}
	return out
}

func (a *analyzer) workloadRule(r *Rule) []Issue {
	g := a.g
	m := r.Workload
	var out []Issue
	leakDone := map[int]bool{}
	for _, w := range g.workloads {
		if m.Exposed != nil && *m.Exposed != a.exposed(w) {
			continue
		}
		var tail []int
		x, xWhy := noKnownExploit, "no exploitable vulnerability known: taking the workload needs a new flaw or a stolen credential"
		if v, ok := g.exploit[w]; ok {
			x, xWhy = v.P, "exploitable through "+v.describe()
		}
		if m.Vulnerability != nil {
			found := false
			for _, ci := range g.containersOf(w) {
				img := g.Edges[ci[1]].To
				for _, v := range g.vulns[img] {
					if !m.Vulnerability.Matches(v) {
						continue
					}
					pkg, _ := g.Lookup(KindPackage, v.Ecosystem, "", v.Package+"@"+v.Version)
					vid, _ := g.Lookup(KindVulnerability, "", "", v.ID)
					tail = []int{ci[0], ci[1], g.edge(img, pkg, EdgeContains), g.edge(pkg, vid, EdgeAffectedBy)}
					x, xWhy = math.Max(v.P, 0.05), v.describe()
					found = true
					break
				}
				if found {
					break
				}
			}
			if !found {
				continue
			}
		}
		if m.EscapesToNode {
			var esc int = -1
			for _, ei := range g.out[w] {
				if g.Edges[ei].Kind == EdgeEscapesToNode {
					esc = int(ei)
				}
			}
			if esc < 0 {
				continue
			}
			tail = append(tail, esc)
			x *= g.Edges[esc].P
			xWhy += "; escape to the node: " + g.Edges[esc].Evidence
		}
		if m.SAReadsSecretsClusterWide {
			sa := -1
			for _, ei := range g.out[w] {
				if e := &g.Edges[ei]; e.Kind == EdgeUsesSA && e.Attack() {
					sa = int(ei)
				}
			}
			if sa < 0 {
				continue
			}
			cr, ok := g.clusterReaders[g.Edges[sa].To]
			if !ok {
				continue
			}
			tail = append(tail, sa)
			if bi := g.edge(g.Edges[sa].To, cr.binding, EdgeBoundTo); bi >= 0 {
				tail = append(tail, bi)
				if ri := g.edge(cr.binding, cr.role, EdgeGrants); ri >= 0 {
					tail = append(tail, ri)
				}
			}
		}
		if m.LeakedSecret != nil {
			found := false
			for _, ci := range g.containersOf(w) {
				img := g.Edges[ci[1]].To
				if leakDone[img] {
					continue
				}
				for _, l := range g.leaks[img] {
					if l.severity.Rank() >= m.LeakedSecret.MinSeverity.Rank() {
						tail = append(tail, ci[0], ci[1], l.edge)
						found = true
						break
					}
				}
				if found {
					leakDone[img] = true
					break
				}
			}
			if !found {
				continue
			}
			x, xWhy = leakedSecretX, "whoever can pull the image can read the secret"
		}
		var edges []int
		e, eWhy := exposurePod, "reachable only from inside the cluster"
		if a.exposed(w) {
			e, eWhy = exposureInternet, "reachable from the Internet"
			if m.Exposed != nil {
				edges = a.exposurePath(w)
			}
		}
		edges = append(edges, tail...)
		out = append(out, a.issue(r, w, edges, Factor{"exposure", e, eWhy}, Factor{"exploitability", x, xWhy}))
	}
	return out
}

func (a *analyzer) search(from string, targetNS string) *Search {
	key := from + "\x00" + targetNS
	if s, ok := a.searches[key]; ok {
		return s
	}
	g := a.g
	var sources []int
	switch from {
	case FromInternet:
		id, _ := g.Lookup(KindInternet, "", "", InternetName)
		sources = []int{id}
	case FromAuthenticated:
		id, _ := g.Lookup(KindGroup, "", "", rbac.GroupAuthenticated)
		sources = []int{id}
	case FromPod:
		for _, w := range g.workloads {
			if targetNS == "" || g.Nodes[w].Namespace != targetNS {
				sources = append(sources, w)
			}
		}
	}
	s := g.ShortestPaths(sources, nil)
	a.searches[key] = s
	return s
}

func (a *analyzer) pathRule(r *Rule) []Issue {
	g := a.g
	p := r.Path
	if p.PerEntry {
		return a.perEntry(r)
	}
	groups := map[string]int{}
	var order []string
	for id, c := range g.crown {
		if c != p.To {
			continue
		}
		ns := ""
		if p.To == CrownSecret || p.To == CrownNamespace {
			ns = g.Nodes[id].Namespace
			if g.Nodes[id].Kind == KindNamespace {
				ns = g.Nodes[id].Name
			}
		}
		s := a.search(p.From, map[bool]string{true: ns}[p.To == CrownNamespace])
		if !s.Reached(id) || s.Hops[id] == 0 {
			continue
		}
		key := ns
		if ns == "" {
			key = strconv.Itoa(id)
		}
		cur, ok := groups[key]
		if !ok {
			order = append(order, key)
			groups[key] = id
			continue
		}
		if s.Dist[id] < s.Dist[cur]-1e-12 || math.Abs(s.Dist[id]-s.Dist[cur]) <= 1e-12 && (s.Hops[id] < s.Hops[cur] || s.Hops[id] == s.Hops[cur] && id < cur) {
			groups[key] = id
		}
	}
	sort.Strings(order)
	var out []Issue
	for _, key := range order {
		t := groups[key]
		ns := ""
		if p.To == CrownNamespace {
			ns = key
		}
		s := a.search(p.From, ns)
		edges := s.Path(t)
		is := a.pathIssue(r, edges, s.Likelihood(t))
		if p.From == FromPod {
			n := 0
			back := g.Reachable([]int{t}, true, nil)
			for _, w := range g.workloads {
				if back[w] {
					n++
				}
			}
			is.Evidence = append(is.Evidence, fmt.Sprintf("%d workload(s) can reach %s", n, g.Nodes[t].Ref()))
		}
		out = append(out, is)
	}
	return out
}

// perEntry reports, for every workload the Internet can exploit directly, its most likely path
// to the rule's targets: one issue per way in, so that closing one does not hide the next.
func (a *analyzer) perEntry(r *Rule) []Issue {
	g := a.g
	var targets []int
	for id, c := range g.crown {
		if c == r.Path.To {
			targets = append(targets, id)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	sort.Ints(targets)
	rev := g.ShortestPathsTo(targets)
	var out []Issue
	for _, w := range g.workloads {
		if !a.exposed(w) || !rev.Reached(w) {
			continue
		}
		edges := a.exposurePath(w)
		if len(edges) == 0 || !g.Edges[edges[len(edges)-1]].Attack() {
			continue // exposed, but no known way to exploit it: a dead end
		}
		edges = append(edges, rev.Path(w)...)
		p := 1.0
		for _, ei := range edges {
			p *= g.Edges[ei].P
		}
		out = append(out, a.pathIssue(r, edges, p))
	}
	return out
}

// pathIssue scores an attack path of a path rule with likelihood p.
func (a *analyzer) pathIssue(r *Rule, edges []int, p float64) Issue {
	g := a.g
	var e Factor
	switch r.Path.From {
	case FromInternet:
		e = Factor{"exposure", exposureInternet, "entry from the Internet"}
	case FromAuthenticated:
		e = Factor{"exposure", exposureAuthenticated, "entry as any authenticated user (system:authenticated)"}
	default:
		e = Factor{"exposure", exposurePod, "entry from a compromised pod"}
	}
	x := Factor{"exploitability", p, fmt.Sprintf("likelihood of the %d-hop path (product of the hops' likelihoods)", len(edges))}
	foot := g.Edges[edges[0]].From
	for _, ei := range edges {
		if k := g.Nodes[g.Edges[ei].To].Kind; k == KindWorkload || k == KindServiceAccount {
			foot = g.Edges[ei].To
			break
		}
	}
	return a.issue(r, foot, edges, e, x)
}

// issue assembles an issue from its path and scores it. foot is the foothold whose reach is
// the blast radius.
func (a *analyzer) issue(r *Rule, foot int, edges []int, e, x Factor) Issue {
	g := a.g
	is := Issue{Rule: r.ID, Title: r.Title, Severity: r.Severity, Remediation: r.Remediation, edges: edges}
	if len(edges) == 0 {
		is.Path = []Ref{g.Nodes[foot].Ref()}
	}
	for i, ei := range edges {
		ed := &g.Edges[ei]
		if i == 0 {
			is.Path = append(is.Path, g.Nodes[ed.From].Ref())
		}
		is.Path = append(is.Path, g.Nodes[ed.To].Ref())
		ev := fmt.Sprintf("%s -%s-> %s", g.Nodes[ed.From].Ref(), ed.Kind, g.Nodes[ed.To].Ref())
		if ed.Evidence != "" {
			ev += ": " + ed.Evidence
		}
		is.Evidence = append(is.Evidence, ev)
	}
	last := foot
	if len(edges) > 0 {
		last = g.Edges[edges[len(edges)-1]].To
	}
	var b Factor
	if g.crown[last] == CrownClusterAdmin {
		b = Factor{"blast_radius", 1, "cluster-admin controls everything in the cluster"}
	} else {
		n := a.reachCount(foot)
		b = Factor{"blast_radius", math.Min(1, math.Log10(1+float64(n))/3), fmt.Sprintf("%s reaches %d crown jewel(s) (nodes, secrets, cluster-admin)", g.Nodes[foot].Ref(), n)}
	}
	i := Factor{"impact", r.Impact, "what is at stake: " + r.Title}
	score := 100 * e.Value * x.Value * i.Value * (0.75 + 0.25*b.Value)
	is.Score = math.Round(score*10) / 10
	is.Explain = []Factor{e, x, i, b}
	for k := range is.Explain {
		is.Explain[k].Value = math.Round(is.Explain[k].Value*1000) / 1000
	}
	return is
}

// reachCount counts the crown jewels reachable from id over attack edges, up to blastCap.
func (a *analyzer) reachCount(id int) int {
	if n, ok := a.reach[id]; ok {
		return n
	}
	g := a.g
	if a.stamp == nil {
		a.stamp = make([]int32, len(g.Nodes))
	}
	a.gen++
	a.stamp[id] = a.gen
	queue := []int{id}
	n := 0
	for len(queue) > 0 && n < blastCap {
		u := queue[0]
		queue = queue[1:]
		for _, ei := range g.out[u] {
			e := &g.Edges[ei]
			if !e.Attack() || a.stamp[e.To] == a.gen {
				continue
			}
			a.stamp[e.To] = a.gen
			if g.crown[e.To] != "" {
				n++
			}
			queue = append(queue, e.To)
		}
	}
	a.reach[id] = n
	return n
}
