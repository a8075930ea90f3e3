package graph

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/rampartsec/rampart/internal/rbac"
)

// ErrNoNode is returned by [Graph.Select] when no node matches a selector.
var ErrNoNode = errors.New("graph: no such node")

// Select finds the nodes a selector names: KIND/NAME or KIND/NAMESPACE/NAME (kind matched
// case-insensitively, "sa" for ServiceAccount), "internet", "authenticated" (the group
// system:authenticated), or "cluster-admin"/"node"/"secret"/"crown-jewel" for every crown jewel
// of that class. It returns an error wrapping [ErrNoNode] when nothing matches.
func (g *Graph) Select(sel string) ([]int, error) {
	switch strings.ToLower(sel) {
	case "internet":
		if id, ok := g.Lookup(KindInternet, "", "", InternetName); ok {
			return []int{id}, nil
		}
	case FromAuthenticated:
		if id, ok := g.Lookup(KindGroup, "", "", rbac.GroupAuthenticated); ok {
			return []int{id}, nil
		}
	case CrownClusterAdmin, CrownNode, CrownSecret, CrownNamespace:
		var out []int
		for id, c := range g.crown {
			if c == strings.ToLower(sel) {
				out = append(out, id)
			}
		}
		sort.Ints(out)
		if len(out) > 0 {
			return out, nil
		}
		return nil, fmt.Errorf("%w: no %s in the graph", ErrNoNode, sel)
	}
	parts := strings.Split(sel, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, fmt.Errorf("selector %q: want KIND/NAME or KIND/NAMESPACE/NAME", sel)
	}
	kind := parseKind(parts[0])
	if kind == "" {
		return nil, fmt.Errorf("selector %q: unknown kind %q", sel, parts[0])
	}
	ns, name := "", parts[len(parts)-1]
	if len(parts) == 3 {
		ns = parts[1]
	}
	var out []int
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Kind == kind && n.Name == name && (ns == "" && (len(parts) == 2) || n.Namespace == ns) {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoNode, sel)
	}
	return out, nil
}

var allKinds = []Kind{KindInternet, KindIngress, KindService, KindWorkload, KindPod, KindContainer, KindImage,
	KindPackage, KindVulnerability, KindSecret, KindServiceAccount, KindUser, KindGroup, KindRole,
	KindClusterRole, KindBinding, KindNamespace, KindNode, KindRegistry}

func parseKind(s string) Kind {
	switch strings.ToLower(s) {
	case "sa":
		return KindServiceAccount
	case "deployment", "statefulset", "daemonset", "job", "cronjob", "replicaset", "workload", "deploy":
		return KindWorkload
	case "svc":
		return KindService
	case "ns":
		return KindNamespace
	case "rolebinding", "clusterrolebinding":
		return KindBinding
	}
	for _, k := range allKinds {
		if strings.EqualFold(string(k), s) {
			return k
		}
	}
	return ""
}

// Answer is one path a query found: its likelihood and hops.
type Answer struct {
	From       Ref      `json:"from"`
	To         Ref      `json:"to"`
	Likelihood float64  `json:"likelihood"`
	Path       []Ref    `json:"path"`
	Evidence   []string `json:"evidence"`
}

func (g *Graph) answer(s *Search, t int) Answer {
	edges := s.Path(t)
	from := t
	if len(edges) > 0 {
		from = g.Edges[edges[0]].From
	}
	return g.answerEdges(from, t, s.Likelihood(t), edges)
}

// answerFrom builds the answer for source v of a backward search.
func (g *Graph) answerFrom(s *Search, v int) Answer {
	edges := s.Path(v)
	to := v
	if len(edges) > 0 {
		to = g.Edges[edges[len(edges)-1]].To
	}
	return g.answerEdges(v, to, s.Likelihood(v), edges)
}

func (g *Graph) answerEdges(from, to int, p float64, edges []int) Answer {
	a := Answer{From: g.Nodes[from].Ref(), To: g.Nodes[to].Ref(), Likelihood: p}
	a.Path = []Ref{g.Nodes[from].Ref()}
	for _, ei := range edges {
		e := &g.Edges[ei]
		a.Path = append(a.Path, g.Nodes[e.To].Ref())
		a.Evidence = append(a.Evidence, fmt.Sprintf("%s -%s-> %s: %s", g.Nodes[e.From].Ref(), e.Kind, g.Nodes[e.To].Ref(), e.Evidence))
	}
	return a
}

func sortAnswers(as []Answer) {
	sort.SliceStable(as, func(i, j int) bool {
		if as[i].Likelihood != as[j].Likelihood {
			return as[i].Likelihood > as[j].Likelihood
		}
		return len(as[i].Path) < len(as[j].Path)
	})
}

// PathsTo answers "how can X be reached": the most likely path to each target from each entry
// point (the Internet, any authenticated user, any pod) that reaches it.
func (g *Graph) PathsTo(targets []int) []Answer {
	var out []Answer
	inet, _ := g.Lookup(KindInternet, "", "", InternetName)
	auth, _ := g.Lookup(KindGroup, "", "", rbac.GroupAuthenticated)
	for _, sources := range [][]int{{inet}, {auth}, g.workloads} {
		s := g.ShortestPaths(sources, nil)
		for _, t := range targets {
			if s.Reached(t) && s.Hops[t] > 0 {
				out = append(out, g.answer(s, t))
			}
		}
	}
	sortAnswers(out)
	return out
}

// WhoCanReach answers "what can reach Y": every entry point, workload and identity from which
// an attack path leads to one of targets, with its most likely path (one backward search).
func (g *Graph) WhoCanReach(targets []int) []Answer {
	s := g.ShortestPathsTo(targets)
	var out []Answer
	for id := range g.Nodes {
		if !s.Reached(id) || s.Hops[id] == 0 {
			continue
		}
		switch g.Nodes[id].Kind {
		case KindInternet, KindWorkload, KindServiceAccount, KindUser, KindGroup:
			out = append(out, g.answerFrom(s, id))
		}
	}
	sortAnswers(out)
	return out
}

// Reach answers "what does Z reach": every crown jewel an attack path from sources leads to.
func (g *Graph) Reach(sources []int) []Answer {
	s := g.ShortestPaths(sources, nil)
	var out []Answer
	for id := range g.Nodes {
		if g.crown[id] != "" && s.Reached(id) && s.Hops[id] > 0 {
			out = append(out, g.answer(s, id))
		}
	}
	sortAnswers(out)
	return out
}
