package graph

import (
	"container/heap"
	"math"
)

// Search is the result of a most-likely-path search from a set of sources over attack edges.
// Dist[v] is -ln of the likelihood of the best path to v (+Inf when v is unreachable).
type Search struct {
	g    *Graph
	Dist []float64
	Hops []int32
	prev []int32 // edge ID reaching the node on its best path, -1 for sources and unreached
	// reverse: the search ran backwards from targets; prev holds the next edge towards them.
	reverse bool
}

// ShortestPaths runs Dijkstra from sources over the attack edges, weighting each edge by -ln P,
// so the shortest path is the most likely one; ties go to the path with fewer hops.
// An edge for which skip returns true is not walked (skip may be nil).
func (g *Graph) ShortestPaths(sources []int, skip func(*Edge) bool) *Search {
	return g.dijkstra(sources, skip, false)
}

// ShortestPathsTo is [Graph.ShortestPaths] backwards: Dist[v] is the cost of the most likely
// path from v to the nearest of targets, and Path(v) returns it, from v.
func (g *Graph) ShortestPathsTo(targets []int) *Search {
	return g.dijkstra(targets, nil, true)
}

func (g *Graph) dijkstra(sources []int, skip func(*Edge) bool, reverse bool) *Search {
	n := len(g.Nodes)
	s := &Search{g: g, Dist: make([]float64, n), Hops: make([]int32, n), prev: make([]int32, n), reverse: reverse}
	for i := range s.Dist {
		s.Dist[i] = math.Inf(1)
		s.prev[i] = -1
	}
	h := &distHeap{}
	for _, src := range sources {
		if s.Dist[src] != 0 {
			s.Dist[src] = 0
			heap.Push(h, item{node: int32(src)})
		}
	}
	done := make([]bool, n)
	for h.Len() > 0 {
		it := heap.Pop(h).(item)
		u := int(it.node)
		if done[u] {
			continue
		}
		done[u] = true
		adj := g.out[u]
		if reverse {
			adj = g.in[u]
		}
		for _, ei := range adj {
			e := &g.Edges[ei]
			v := e.To
			if reverse {
				v = e.From
			}
			if !e.Attack() || done[v] || (skip != nil && skip(e)) {
				continue
			}
			d := s.Dist[u] + e.cost()
			hops := s.Hops[u] + 1
			if d < s.Dist[v]-1e-12 || (math.Abs(d-s.Dist[v]) <= 1e-12 && hops < s.Hops[v]) {
				s.Dist[v] = d
				s.Hops[v] = hops
				s.prev[v] = ei
				heap.Push(h, item{node: int32(v), dist: d, hops: hops})
			}
		}
	}
	return s
}

// Reached reports whether v is reachable from the sources.
func (s *Search) Reached(v int) bool { return !math.IsInf(s.Dist[v], 1) }

// Likelihood is the product of the edge likelihoods along the best path to v (0 if unreached).
func (s *Search) Likelihood(v int) float64 { return math.Exp(-s.Dist[v]) }

// Path returns the edges of the best path to v, from its source (for a backward search: from v
// to its target); nil when v is a source or unreached.
func (s *Search) Path(v int) []int {
	if s.reverse {
		var out []int
		for s.prev[v] >= 0 {
			e := int(s.prev[v])
			out = append(out, e)
			v = s.g.Edges[e].To
		}
		return out
	}
	return backtrack(s.g, s.prev, v)
}

// backtrack follows prev (the edge that reached each node; negative at a source or an unreached
// node) back from v and returns the edges in path order.
func backtrack(g *Graph, prev []int32, v int) []int {
	var rev []int
	for prev[v] >= 0 {
		e := int(prev[v])
		rev = append(rev, e)
		v = g.Edges[e].From
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

type item struct {
	node int32
	hops int32
	dist float64
}

type distHeap []item

func (h distHeap) Len() int { return len(h) }
func (h distHeap) Less(i, j int) bool {
	if h[i].dist != h[j].dist {
		return h[i].dist < h[j].dist
	}
	return h[i].hops < h[j].hops
}
func (h distHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *distHeap) Push(x any)   { *h = append(*h, x.(item)) }
func (h *distHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// Reachable returns, for each node, whether it can be reached from sources over the edges for
// which walk returns true (every attack edge when walk is nil). Reverse walks edges backwards:
// then it answers "what can reach the sources".
func (g *Graph) Reachable(sources []int, reverse bool, walk func(*Edge) bool) []bool {
	seen := make([]bool, len(g.Nodes))
	queue := make([]int, 0, len(sources))
	for _, s := range sources {
		if !seen[s] {
			seen[s] = true
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		adj := g.out[u]
		if reverse {
			adj = g.in[u]
		}
		for _, ei := range adj {
			e := &g.Edges[ei]
			if walk == nil && !e.Attack() || walk != nil && !walk(e) {
				continue
			}
			v := e.To
			if reverse {
				v = e.From
			}
			if !seen[v] {
				seen[v] = true
				queue = append(queue, v)
			}
		}
	}
	return seen
}
