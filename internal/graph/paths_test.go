package graph

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomGraph makes a graph of n nodes and m random edges; about a third are context edges
// (P = 0) that the path search must never walk.
func randomGraph(r *rand.Rand, n, m int) *Graph {
	g := New()
	for i := 0; i < n; i++ {
		g.Node(KindWorkload, "", "ns", string(rune('a'+i%26))+string(rune('0'+i/26)))
	}
	ps := []float64{0, 0.1, 0.5, 0.9, 1}
	kinds := []EdgeKind{EdgeRoutesTo, EdgeCanRead, EdgeMounts}
	for i := 0; i < m; i++ {
		g.AddEdge(r.IntN(n), r.IntN(n), kinds[r.IntN(len(kinds))], ps[r.IntN(len(ps))], "")
	}
	return g
}

// bfsOracle is the plain reachability over attack edges, written independently of Reachable.
func bfsOracle(g *Graph, src int) map[int]bool {
	seen := map[int]bool{src: true}
	for changed := true; changed; {
		changed = false
		for _, e := range g.Edges {
			if e.P > 0 && seen[e.From] && !seen[e.To] {
				seen[e.To] = true
				changed = true
			}
		}
	}
	return seen
}

// bellmanFord gives the optimal -ln likelihood from src, as an oracle for Dijkstra.
func bellmanFord(g *Graph, src int) []float64 {
	d := make([]float64, len(g.Nodes))
	for i := range d {
		d[i] = math.Inf(1)
	}
	d[src] = 0
	for range g.Nodes {
		for _, e := range g.Edges {
			if e.P > 0 && d[e.From]-math.Log(e.P) < d[e.To] {
				d[e.To] = d[e.From] - math.Log(e.P)
			}
		}
	}
	return d
}

func TestShortestPathsProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 300; iter++ {
		n := 1 + r.IntN(40)
		g := randomGraph(r, n, r.IntN(4*n))
		src := r.IntN(n)
		s := g.ShortestPaths([]int{src}, nil)
		want := bfsOracle(g, src)
		bf := bellmanFord(g, src)
		reach := g.Reachable([]int{src}, false, nil)
		for v := 0; v < n; v++ {
			if s.Reached(v) != want[v] || reach[v] != want[v] {
				t.Fatalf("iter %d: node %d reached=%v Reachable=%v, oracle %v", iter, v, s.Reached(v), reach[v], want[v])
			}
			if !want[v] {
				continue
			}
			if math.Abs(s.Dist[v]-bf[v]) > 1e-9 {
				t.Fatalf("iter %d: node %d dist %v, Bellman-Ford %v", iter, v, s.Dist[v], bf[v])
			}
			// The path is a chain of attack edges from the source to v whose cost is Dist[v].
			path := s.Path(v)
			at, cost := src, 0.0
			for _, ei := range path {
				e := g.Edges[ei]
				if e.From != at || !e.Attack() {
					t.Fatalf("iter %d: path to %d broken at edge %+v (at %d)", iter, v, e, at)
				}
				at, cost = e.To, cost+e.cost()
			}
			if at != v || math.Abs(cost-s.Dist[v]) > 1e-9 || int(s.Hops[v]) != len(path) {
				t.Fatalf("iter %d: path to %d ends at %d, cost %v (dist %v), %d hops (Hops %d)", iter, v, at, cost, s.Dist[v], len(path), s.Hops[v])
			}
			// No path through a missing edge: cut the path's first edge, and any path found
			// afterwards does not use it, and v stays reachable iff the oracle says so.
			if len(path) > 0 {
				cut := path[0]
				s2 := g.ShortestPaths([]int{src}, func(e *Edge) bool { return e == &g.Edges[cut] })
				saved := g.Edges[cut].P
				g.Edges[cut].P = 0
				want2 := bfsOracle(g, src)
				g.Edges[cut].P = saved
				if s2.Reached(v) != want2[v] {
					t.Fatalf("iter %d: after cutting edge %d, reached(%d)=%v, oracle %v", iter, cut, v, s2.Reached(v), want2[v])
				}
				for _, ei := range s2.Path(v) {
					if ei == cut {
						t.Fatalf("iter %d: path uses the cut edge", iter)
					}
				}
			}
		}
	}
}

// Reverse reachability answers "who can reach v": u reaches v forwards iff v reaches u backwards.
func TestReachableReverse(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 100; iter++ {
		n := 1 + r.IntN(30)
		g := randomGraph(r, n, r.IntN(3*n))
		v := r.IntN(n)
		back := g.Reachable([]int{v}, true, nil)
		for u := 0; u < n; u++ {
			if back[u] != bfsOracle(g, u)[v] {
				t.Fatalf("iter %d: reverse(%d)[%d]=%v, forward oracle disagrees", iter, v, u, back[u])
			}
		}
	}
}

// Multi-source search equals the best of the single-source searches.
func TestShortestPathsMultiSource(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 100; iter++ {
		n := 2 + r.IntN(30)
		g := randomGraph(r, n, r.IntN(3*n))
		a, b := r.IntN(n), r.IntN(n)
		s := g.ShortestPaths([]int{a, b}, nil)
		da, db := bellmanFord(g, a), bellmanFord(g, b)
		for v := 0; v < n; v++ {
			want := math.Min(da[v], db[v])
			if math.IsInf(want, 1) != !s.Reached(v) || !math.IsInf(want, 1) && math.Abs(want-s.Dist[v]) > 1e-9 {
				t.Fatalf("iter %d: node %d dist %v, want %v", iter, v, s.Dist[v], want)
			}
		}
	}
}

// The backward search gives, for every node, the best path to the nearest target: the same cost
// as a forward search from that node, along a valid chain of attack edges ending at a target.
func TestShortestPathsTo(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 150; iter++ {
		n := 1 + r.IntN(30)
		g := randomGraph(r, n, r.IntN(4*n))
		targets := []int{r.IntN(n), r.IntN(n)}
		s := g.ShortestPathsTo(targets)
		for v := 0; v < n; v++ {
			bf := bellmanFord(g, v)
			want := math.Min(bf[targets[0]], bf[targets[1]])
			if math.IsInf(want, 1) != !s.Reached(v) {
				t.Fatalf("iter %d: node %d reached=%v, oracle cost %v", iter, v, s.Reached(v), want)
			}
			if math.IsInf(want, 1) {
				continue
			}
			if math.Abs(want-s.Dist[v]) > 1e-9 {
				t.Fatalf("iter %d: node %d cost %v, want %v", iter, v, s.Dist[v], want)
			}
			at, cost := v, 0.0
			for _, ei := range s.Path(v) {
				e := g.Edges[ei]
				if e.From != at || !e.Attack() {
					t.Fatalf("iter %d: path from %d broken at %+v", iter, v, e)
				}
				at, cost = e.To, cost+e.cost()
			}
			if at != targets[0] && at != targets[1] || math.Abs(cost-want) > 1e-9 {
				t.Fatalf("iter %d: path from %d ends at %d (targets %v), cost %v want %v", iter, v, at, targets, cost, want)
			}
		}
	}
}
