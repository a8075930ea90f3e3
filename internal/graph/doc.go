// Package graph is Rampart's security graph: it connects a cluster's exposure, workloads, images,
// packages, vulnerabilities, secrets and identities (from a [kube.Snapshot], its resolved RBAC
// and image scan reports, plus optional Docker hosts) into one directed graph whose edges are
// facts with evidence, runs risk rules written as data (rules.yaml) over it, and ranks the attack
// paths from entry points (the Internet, any authenticated user, any pod) to what is at stake
// (cluster-admin, nodes, secrets, crown-jewel namespaces).
//
// # Usage
//
//	g, err := graph.Build(graph.Input{Snapshot: snap, Images: reports, CrownJewels: []string{"payments"}})
//	rules, err := graph.DefaultRules()
//	issues := graph.Analyze(g, rules) // highest score first, each with its path and evidence
//	err = graph.WriteDOT(w, g)        // or WriteGraphML, WriteCypher, WriteJSON, WriteTable
//	ids, err := g.Select("ClusterRole/cluster-admin")
//	answers := g.WhoCanReach(ids)
//
// # Attack edges
//
// Every edge is a fact (an image contains a package, a binding grants a role). Some are also
// attack steps — whoever holds the source can gain the target — and carry a likelihood P in
// (0, 1]; the path searches walk only those, as Dijkstra over -ln P, so the shortest path is the
// most likely one. An Internet-exposed workload with no exploitable vulnerability has a route
// with P = 0: a dead end.
//
// # Concurrency
//
// A Graph is built by one goroutine; once built it may be read (searched, analysed, exported)
// by several. [Analyze] does not modify the graph.
//
// docs/graph.md describes the nodes, edges, rules and the score.
package graph
