package graph

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/kube"
)

// shopWith builds the shop fixture's graph with extra manifests (NetworkPolicies) beside it.
func shopWith(t *testing.T, extra string) *Graph {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join("testdata", "shop", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("shop fixture: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if extra != "" {
		if err := os.WriteFile(filepath.Join(dir, "zz-netpol.yaml"), []byte(extra), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g := loadShopDir(t, dir, "payments")
	if extra != "" {
		// The policies must have been read, or the test proves nothing.
		snap, err := kube.LoadManifests(context.Background(), dir)
		if err != nil || len(snap.NetworkPolicies) == 0 {
			t.Fatalf("the extra manifests hold no NetworkPolicy (%v)", err)
		}
	}
	return g
}

const (
	npDenyProd = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: prod}
spec:
  podSelector: {}
  policyTypes: [Ingress]
`
	npWebWorld = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-anywhere, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]
      ports: [{port: 443}]
`
	npWebPods = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-pods, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: frontend}}}]
`
	npWebWrongPort = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-wrong-port, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - ports: [{port: 8443}]
`
	npAPIFromIngress = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-ingress, namespace: prod}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
`
	npEgressOnly = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only, namespace: prod}
spec:
  podSelector: {}
  policyTypes: [Egress]
`
)

// An Internet-exposed workload's attack paths disappear when a default-deny NetworkPolicy
// isolates it, and come back when a policy admits the Internet on the Service's port.
func TestNetworkPolicyPaths(t *testing.T) {
	base := internetPaths(t, shopWith(t, ""))
	if len(base["web"]) == 0 || len(base["frontend"]) == 0 {
		t.Fatalf("fixture premise: Internet paths through web and frontend, got %v", base)
	}
	tests := []struct {
		name   string
		policy string
		// which workloads keep their Service route (and so their Internet paths)
		routed  map[string]bool
		blocked map[string]string // workload → a substring of its netpol-blocked attribute, when not routed
	}{
		{name: "no policy", routed: map[string]bool{"web": true, "frontend": true, "api": true}},
		{name: "egress-only policy isolates nothing", policy: npEgressOnly, routed: map[string]bool{"web": true, "frontend": true, "api": true}},
		{name: "default deny", policy: npDenyProd, routed: map[string]bool{},
			blocked: map[string]string{
				"web":      "Service(LoadBalancer) prod/web: the Internet: isolated for ingress by NetworkPolicy default-deny",
				"frontend": "Service(NodePort) prod/frontend: the Internet",
				"api":      "Service(ClusterIP) prod/api: the ingress controller",
			}},
		{name: "default deny and web admits 0.0.0.0/0 on 443", policy: npDenyProd + npWebWorld,
			routed: map[string]bool{"web": true}, blocked: map[string]string{"frontend": "default-deny"}},
		{name: "default deny and web admits pods only", policy: npDenyProd + npWebPods,
			routed: map[string]bool{}, blocked: map[string]string{"web": "admits pods only"}},
		{name: "default deny and web admits another port", policy: npDenyProd + npWebWrongPort,
			routed: map[string]bool{}, blocked: map[string]string{"web": "outside 8443/TCP"}},
		{name: "api admits the ingress controller's namespace (assumed)", policy: npDenyProd + npAPIFromIngress,
			routed: map[string]bool{"api": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := shopWith(t, tt.policy)
			paths := internetPaths(t, g)
			for _, name := range []string{"web", "frontend", "api"} {
				w, ok := g.Lookup(KindWorkload, "Deployment", "prod", name)
				if !ok {
					t.Fatalf("no workload %s", name)
				}
				routes := 0
				for _, ei := range g.In(w) {
					e := &g.Edges[ei]
					if e.Kind == EdgeRoutesTo && g.Nodes[e.From].Kind == KindService {
						routes++
						if !strings.Contains(e.Evidence, "NetworkPolicy") {
							t.Errorf("%s: route evidence names no NetworkPolicy: %s", name, e.Evidence)
						}
					}
				}
				if got := routes > 0; got != tt.routed[name] {
					t.Errorf("%s routed %v, want %v (netpol-blocked %q)", name, got, tt.routed[name], g.Nodes[w].Attrs["netpol-blocked"])
				}
				attr := g.Nodes[w].Attrs["netpol-blocked"]
				// Blocked exactly when not routed, and saying why.
				if want := tt.blocked[name]; tt.routed[name] == (attr != "") || !strings.Contains(attr, want) {
					t.Errorf("%s netpol-blocked %q (routed %v), want it to contain %q", name, attr, tt.routed[name], want)
				}
				// A blocked workload is on no Internet path; an admitted one keeps the paths it
				// had without policies (api has none: its vulnerability is not linked).
				want := []string(nil)
				if tt.routed[name] {
					want = base[name]
				}
				if diff := cmp.Diff(want, paths[name]); diff != "" {
					t.Errorf("%s Internet paths (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

// internetPaths returns, per prod workload, the issues whose path enters it from the Internet
// through its Service.
func internetPaths(t *testing.T, g *Graph) map[string][]string {
	t.Helper()
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, is := range Analyze(g, rules) {
		if len(is.Path) < 3 || is.Path[0].Kind != KindInternet {
			continue
		}
		w := is.Path[2]
		if w.Kind == KindService { // through an Ingress
			w = is.Path[3]
		}
		out[w.Name] = append(out[w.Name], is.Rule+" "+pathString(is.Path))
	}
	for _, ps := range out {
		slices.Sort(ps)
	}
	return out
}

// testdata/netpol (also a fuzz seed): the edge workload is admitted on its https port by two
// ipBlocks that together cover 0.0.0.0/0, and may be reached by the ingress controller; the
// route says both.
func TestNetworkPolicySeed(t *testing.T) {
	snap, err := kube.LoadManifests(context.Background(), filepath.Join("testdata", "netpol"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := Build(Input{Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := g.Lookup(KindService, "LoadBalancer", "shop", "edge")
	w, _ := g.Lookup(KindWorkload, "Deployment", "shop", "edge")
	ei := g.edge(svc, w, EdgeRoutesTo)
	if ei < 0 {
		t.Fatalf("no route into edge; netpol-blocked %q", g.Nodes[w].Attrs["netpol-blocked"])
	}
	ev := g.Edges[ei].Evidence
	for _, want := range []string{
		"the Internet: NetworkPolicy shop/edge-in ingress[0] ipBlock 0.0.0.0/1, NetworkPolicy shop/edge-in ingress[0] ipBlock 128.0.0.0/1 together admit the Internet",
		// The first rule that may admit it is named: an ipBlock, whose match is up to the CNI.
		"the ingress controller: NetworkPolicy shop/edge-in ingress[0] may admit the ingress controller: ipBlock 0.0.0.0/1 except 10.0.0.0/8 may match its address (CNI-dependent), not assessed on named port https",
	} {
		if !strings.Contains(ev, want) {
			t.Errorf("route evidence %q\nlacks %q", ev, want)
		}
	}
}
