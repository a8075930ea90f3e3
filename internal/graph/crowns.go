package graph

// systemMasters is the group the API server treats as cluster-admin without any binding.
const systemMasters = "system:masters"

// Crown-jewel classes: what is at stake when a path reaches a node.
const (
	CrownClusterAdmin = "cluster-admin"
	CrownNode         = "node"
	CrownSecret       = "secret"
	CrownNamespace    = "crown-jewel"
)

func (b *builder) markCrowns() {
	g := b.g
	jewels := map[string]bool{}
	for _, ns := range b.in.CrownJewels {
		jewels[ns] = true
	}
	for id := range g.Nodes {
		nd := &g.Nodes[id]
		switch {
		case nd.Kind == KindNode:
			g.crown[id] = CrownNode
		case nd.Kind == KindGroup && nd.Name == systemMasters:
			// The API server gives this group every right, whatever the bindings say.
			g.crown[id] = CrownClusterAdmin
		case nd.Kind == KindNamespace && jewels[nd.Name]:
			g.crown[id] = CrownNamespace
		case jewels[nd.Namespace] && (nd.Kind == KindSecret || nd.Kind == KindWorkload || nd.Kind == KindServiceAccount):
			g.crown[id] = CrownNamespace
		case nd.Kind == KindSecret && nd.Type == "":
			g.crown[id] = CrownSecret
		}
	}
	for id, c := range g.crown {
		g.SetAttr(id, "crown", c)
	}
}

// Crown returns what is at stake at node id ("" when it is not a crown jewel).
func (g *Graph) Crown(id int) string { return g.crown[id] }
