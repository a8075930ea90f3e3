package graph

import (
	"math"

	"github.com/rampartsec/rampart/internal/finding"
)

// Kind is the type of a node. Stored as a string so it is immune to renumbering.
type Kind string

// Node kinds.
const (
	KindInternet       Kind = "Internet"
	KindIngress        Kind = "Ingress"
	KindService        Kind = "Service"
	KindWorkload       Kind = "Workload"
	KindPod            Kind = "Pod"
	KindContainer      Kind = "Container"
	KindImage          Kind = "Image"
	KindPackage        Kind = "Package"
	KindVulnerability  Kind = "Vulnerability"
	KindSecret         Kind = "Secret"
	KindServiceAccount Kind = "ServiceAccount"
	KindUser           Kind = "User"
	KindGroup          Kind = "Group"
	KindRole           Kind = "Role"
	KindClusterRole    Kind = "ClusterRole"
	KindBinding        Kind = "Binding"
	KindNamespace      Kind = "Namespace"
	KindNode           Kind = "Node"
	KindRegistry       Kind = "Registry"
)

// EdgeKind is the type of an edge: a fact about how two nodes are related.
type EdgeKind string

// Edge kinds.
const (
	EdgeExposes         EdgeKind = "exposes"
	EdgeRoutesTo        EdgeKind = "routes-to"
	EdgeRuns            EdgeKind = "runs"
	EdgeContains        EdgeKind = "contains"
	EdgeAffectedBy      EdgeKind = "affected-by"
	EdgeMounts          EdgeKind = "mounts"
	EdgeUsesSA          EdgeKind = "uses-service-account"
	EdgeMemberOf        EdgeKind = "member-of"
	EdgeBoundTo         EdgeKind = "bound-to"
	EdgeGrants          EdgeKind = "grants"
	EdgeCanRead         EdgeKind = "can-read"
	EdgeCanExecInto     EdgeKind = "can-exec-into"
	EdgeCanCreatePodsIn EdgeKind = "can-create-pods-in"
	EdgeCanImpersonate  EdgeKind = "can-impersonate"
	EdgeCanEscalate     EdgeKind = "can-escalate"
	EdgeEscapesToNode   EdgeKind = "escapes-to-node"
	EdgePulledFrom      EdgeKind = "pulled-from"
	EdgeScheduledOn     EdgeKind = "scheduled-on"
	EdgeLeaks           EdgeKind = "leaks"
	EdgeCompromises     EdgeKind = "compromises"
)

// Node is one vertex. Its identity is (Kind, Type, Namespace, Name).
type Node struct {
	ID   int  `json:"id"`
	Kind Kind `json:"kind"`
	// Type refines the kind: the workload kind ("Deployment"), the service type ("LoadBalancer"),
	// the binding kind ("ClusterRoleBinding"), a package's ecosystem.
	Type      string `json:"type,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Attrs are small facts shown in exports ("severity": "CRITICAL", "privileged": "true").
	Attrs map[string]string `json:"attrs,omitempty"`
}

// Ref is how a path names a node.
type Ref struct {
	Kind      Kind   `json:"kind"`
	Type      string `json:"type,omitempty"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// Ref returns the reference of n.
func (n *Node) Ref() Ref {
	return Ref{Kind: n.Kind, Type: n.Type, Name: n.Name, Namespace: n.Namespace}
}

// String writes r as `Kind(Type) namespace/name`.
func (r Ref) String() string {
	s := string(r.Kind)
	if r.Type != "" {
		s += "(" + r.Type + ")"
	}
	s += " "
	if r.Namespace != "" {
		s += r.Namespace + "/"
	}
	return s + r.Name
}

// Edge is one directed fact with its evidence. An attack edge (P > 0) says that whoever
// controls From can gain To, with likelihood P; other edges are context (an image contains a
// package) and are never walked by the path search.
type Edge struct {
	From     int      `json:"from"`
	To       int      `json:"to"`
	Kind     EdgeKind `json:"kind"`
	Evidence string   `json:"evidence,omitempty"`
	// P is the likelihood that an attacker holding From gains To through this edge (0 = not an
	// attack step).
	P float64 `json:"p,omitempty"`
}

// Attack reports whether the path search walks e.
func (e *Edge) Attack() bool { return e.P > 0 }

// cost is the edge weight of the most-likely-path search: -ln P.
func (e *Edge) cost() float64 { return -math.Log(e.P) }

type nodeKey struct {
	kind          Kind
	typ, ns, name string
}

// leak is a secret found in an image: its severity and the image -leaks-> secret edge.
type leak struct {
	severity finding.Severity
	edge     int
}

// grantRef names the binding and role of a grant.
type grantRef struct{ binding, role int }

type edgeKey struct {
	from, to int
	kind     EdgeKind
}

// Graph is the security graph. Build it with [Build]; it is not safe for concurrent writes,
// and safe for concurrent reads once built.
type Graph struct {
	Nodes []Node
	Edges []Edge

	index map[nodeKey]int
	edges map[edgeKey]int
	out   [][]int32
	in    [][]int32

	// facts kept for the rules, by node ID.
	vulns          map[int][]VulnFact // image → its vulnerabilities
	exploit        map[int]VulnFact   // workload → its most exploitable vulnerability
	leaks          map[int][]leak     // image → the secrets found in it
	escapes        map[int][]string   // workload → reasons it can reach its node
	clusterReaders map[int]grantRef   // service account → a grant letting it read secrets cluster-wide
	workloads      []int              // top-level workloads
	crown          map[int]string     // node → why it is a crown jewel ("cluster-admin", "node", …)
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{
		index: map[nodeKey]int{}, edges: map[edgeKey]int{},
		vulns: map[int][]VulnFact{}, exploit: map[int]VulnFact{}, leaks: map[int][]leak{},
		escapes: map[int][]string{}, clusterReaders: map[int]grantRef{}, crown: map[int]string{},
	}
}

// Node returns the ID of the node (kind, typ, namespace, name), adding it if it is new.
func (g *Graph) Node(kind Kind, typ, namespace, name string) int {
	k := nodeKey{kind, typ, namespace, name}
	if id, ok := g.index[k]; ok {
		return id
	}
	id := len(g.Nodes)
	g.Nodes = append(g.Nodes, Node{ID: id, Kind: kind, Type: typ, Namespace: namespace, Name: name})
	g.out = append(g.out, nil)
	g.in = append(g.in, nil)
	g.index[k] = id
	return id
}

// Lookup returns the ID of an existing node.
func (g *Graph) Lookup(kind Kind, typ, namespace, name string) (int, bool) {
	id, ok := g.index[nodeKey{kind, typ, namespace, name}]
	return id, ok
}

// SetAttr records a fact on a node.
func (g *Graph) SetAttr(id int, key, value string) {
	n := &g.Nodes[id]
	if n.Attrs == nil {
		n.Attrs = map[string]string{}
	}
	n.Attrs[key] = value
}

// AddEdge adds the fact from -kind-> to. Of two edges of the same kind between the same nodes
// the one with the higher likelihood is kept (the first on a tie).
func (g *Graph) AddEdge(from, to int, kind EdgeKind, p float64, evidence string) {
	k := edgeKey{from, to, kind}
	if i, ok := g.edges[k]; ok {
		if p > g.Edges[i].P {
			g.Edges[i].P = p
			g.Edges[i].Evidence = evidence
		}
		return
	}
	i := len(g.Edges)
	g.Edges = append(g.Edges, Edge{From: from, To: to, Kind: kind, P: p, Evidence: evidence})
	g.edges[k] = i
	g.out[from] = append(g.out[from], int32(i))
	g.in[to] = append(g.in[to], int32(i))
}

// Out returns the IDs of the edges leaving id. The slice is shared: do not modify it.
func (g *Graph) Out(id int) []int32 { return g.out[id] }

// In returns the IDs of the edges entering id. The slice is shared: do not modify it.
func (g *Graph) In(id int) []int32 { return g.in[id] }

// Stats counts nodes by kind and edges by kind.
type Stats struct {
	Nodes       int              `json:"nodes"`
	Edges       int              `json:"edges"`
	AttackEdges int              `json:"attack_edges"`
	NodeKinds   map[Kind]int     `json:"node_kinds"`
	EdgeKinds   map[EdgeKind]int `json:"edge_kinds"`
}

// Stats counts the graph.
func (g *Graph) Stats() Stats {
	s := Stats{Nodes: len(g.Nodes), Edges: len(g.Edges), NodeKinds: map[Kind]int{}, EdgeKinds: map[EdgeKind]int{}}
	for i := range g.Nodes {
		s.NodeKinds[g.Nodes[i].Kind]++
	}
	for i := range g.Edges {
		s.EdgeKinds[g.Edges[i].Kind]++
		if g.Edges[i].Attack() {
			s.AttackEdges++
		}
	}
	return s
}
