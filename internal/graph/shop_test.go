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

// loadShop builds the graph of testdata/shop with its image reports.
func loadShop(t testing.TB, crown ...string) *Graph {
	t.Helper()
	return loadShopDir(t, filepath.Join("testdata", "shop"), crown...)
}

// loadShopDir builds the graph of the manifests in dir with the shop's image reports.
func loadShopDir(t testing.TB, dir string, crown ...string) *Graph {
	t.Helper()
	snap, err := kube.LoadManifests(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("testdata", "shop.images.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reps, err := ReadReports(f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Build(Input{Snapshot: snap, Images: reps, CrownJewels: crown})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func analyzeShop(t *testing.T, crown ...string) []Issue {
	t.Helper()
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	return Analyze(loadShop(t, crown...), rules)
}

// The fixture's comments say which attack paths it was built with; these are they, hop by hop.
func TestShopIssues(t *testing.T) {
	const (
		inet      = "Internet internet"
		frontSvc  = "Service(NodePort) prod/frontend"
		front     = "Workload(Deployment) prod/frontend"
		frontSA   = "ServiceAccount prod/frontend-sa"
		admin     = "Workload(Deployment) prod/admin-tool"
		adminSA   = "ServiceAccount prod/admin-sa"
		adminCRB  = "Binding(ClusterRoleBinding) admin-tool"
		clusterAd = "ClusterRole cluster-admin"
		webSvc    = "Service(LoadBalancer) prod/web"
		web       = "Workload(Deployment) prod/web"
		webSA     = "ServiceAccount prod/web-sa"
	)
	p := func(hops ...string) string { return strings.Join(hops, " → ") }
	want := map[string][]string{
		"RG004": {p(inet, frontSvc, front, frontSA, admin, adminSA, adminCRB, clusterAd)},
		// One per way in: web reads the card key itself; the frontend gets there by exec.
		"RG007": {
			p(inet, webSvc, web, webSA, "Secret payments/card-key"),
			p(inet, frontSvc, front, frontSA, web, webSA, "Secret payments/card-key"),
		},
		"RG003": {p(web, webSA, "Binding(ClusterRoleBinding) web-secrets", "ClusterRole secret-reader")},
		"RG011": {p(admin, adminSA, adminCRB, clusterAd)},
		// Exec into the cluster-admin tool, then into the privileged node agent: 0.7×0.95 beats
		// creating a pod in prod (0.7×0.9).
		"RG005": {p(inet, frontSvc, front, frontSA, admin, adminSA, "Workload(DaemonSet) kube-system/node-agent", "Node *")},
		"RG001": {p(inet, webSvc, web, "Container prod/web/web", "Image registry.example/shop/web:1@sha256:1111111111111111111111111111111111111111111111111111111111111111", "Package(Debian:12) openssl@3.0.1-1", "Vulnerability CVE-2099-0001")},
		"RG006": {p(inet, webSvc, web, webSA, "Secret prod/db-password")},
		"RG012": {p(admin, adminSA, "Namespace payments")},
		"RG014": {p("Workload(Pod) tools/debug", "Container tools/debug/debug", "Image registry.example/shop/debug:1@sha256:5555555555555555555555555555555555555555555555555555555555555555", "Secret(leaked) aws-access-key-id in root/.aws/credentials")},
		"RG013": {p("Workload(DaemonSet) kube-system/node-agent", "Node *")},
	}
	issues := analyzeShop(t, "payments")
	got := map[string][]string{}
	for _, is := range issues {
		got[is.Rule] = append(got[is.Rule], pathString(is.Path))
		if len(is.Evidence) < len(is.Path)-1 {
			t.Errorf("%s: %d evidence lines for %d hops", is.Rule, len(is.Evidence), len(is.Path)-1)
		}
	}
	for _, paths := range got {
		slices.Sort(paths)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("issues mismatch (-want +got):\n%s", diff)
	}

	// Dead ends: the Ingress-exposed api's only critical vulnerability is in a symbol its binary
	// does not link, and what every authenticated user is granted (configmaps) leads nowhere.
	for _, is := range issues {
		for _, r := range is.Path {
			if r.Name == "api" {
				t.Errorf("%s goes through the dead end %s: %s", is.Rule, r, pathString(is.Path))
			}
		}
	}

	// Scores order as designed: a path to cluster-admin through an exploitable entry outranks one
	// from inside; Internet exposure outranks the same stake from a pod; a privileged workload
	// nobody reaches ranks last.
	score := map[string]float64{}
	for _, is := range issues {
		score[is.Rule] = max(score[is.Rule], is.Score)
	}
	for _, o := range [][2]string{{"RG004", "RG011"}, {"RG007", "RG012"}, {"RG005", "RG013"}, {"RG001", "RG014"}, {"RG014", "RG013"}} {
		if score[o[0]] <= score[o[1]] {
			t.Errorf("score %s = %v, want above %s = %v", o[0], score[o[0]], o[1], score[o[1]])
		}
	}
	for i := 1; i < len(issues); i++ {
		if issues[i].Score > issues[i-1].Score {
			t.Errorf("issues not sorted by score at %d", i)
		}
	}
}

// Without a crown-jewel namespace the payments secret is an ordinary secret, reached by RG006.
func TestShopNoCrownJewel(t *testing.T) {
	var secretPaths []string
	for _, is := range analyzeShop(t) {
		if is.Rule == "RG007" || is.Rule == "RG012" {
			t.Errorf("%s fired without crown jewels", is.Rule)
		}
		if is.Rule == "RG006" {
			secretPaths = append(secretPaths, is.Path[len(is.Path)-1].String())
		}
	}
	want := []string{"Secret payments/card-key", "Secret prod/db-password"}
	if diff := cmp.Diff(want, secretPaths); diff != "" {
		t.Errorf("RG006 targets (-want +got):\n%s", diff)
	}
}

// Cutting one hop of a path removes the issue: with the frontend's token not mounted, no
// Internet path reaches cluster-admin.
func TestShopBrokenHop(t *testing.T) {
	g := loadShop(t)
	front, _ := g.Lookup(KindWorkload, "Deployment", "prod", "frontend")
	sa, _ := g.Lookup(KindServiceAccount, "", "prod", "frontend-sa")
	g.Edges[g.edge(front, sa, EdgeUsesSA)].P = 0
	rules, _ := DefaultRules()
	for _, is := range Analyze(g, rules) {
		if is.Rule == "RG004" || is.Rule == "RG005" {
			t.Errorf("%s still fires: %s", is.Rule, pathString(is.Path))
		}
	}
}
