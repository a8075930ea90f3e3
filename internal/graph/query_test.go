package graph

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQueries(t *testing.T) {
	g := loadShop(t)
	admin, err := g.Select("ClusterRole/cluster-admin")
	if err != nil {
		t.Fatal(err)
	}
	var who []string
	for _, a := range g.WhoCanReach(admin) {
		who = append(who, a.From.String())
	}
	// Everything with a path to cluster-admin: the ops chain, the frontend that may exec into it,
	// and the Internet through the frontend's vulnerability. web and everyone authenticated have none.
	want := []string{
		"ServiceAccount prod/admin-sa",
		"ServiceAccount prod/frontend-sa",
		"Workload(Deployment) prod/admin-tool",
		"Workload(Deployment) prod/frontend",
		"Internet internet",
	}
	if diff := cmp.Diff(want, who, cmp.Transformer("sort", sortedCopy)); diff != "" {
		t.Errorf("who can reach cluster-admin (-want +got):\n%s", diff)
	}

	web, err := g.Select("sa/prod/web-sa")
	if err != nil {
		t.Fatal(err)
	}
	var reached []string
	for _, a := range g.Reach(web) {
		reached = append(reached, a.To.String())
	}
	if diff := cmp.Diff([]string{"Secret payments/card-key", "Secret prod/db-password"}, reached, cmp.Transformer("sort", sortedCopy)); diff != "" {
		t.Errorf("web-sa reaches (-want +got):\n%s", diff)
	}

	for _, sel := range []string{"sa/prod/nobody", "cluster-admin/x/y/z", "Planet/x"} {
		if _, err := g.Select(sel); err == nil {
			t.Errorf("Select(%q) succeeded", sel)
		}
	}
	if _, err := g.Select("sa/prod/nobody"); !errors.Is(err, ErrNoNode) {
		t.Errorf("missing node: %v, want ErrNoNode", err)
	}
	if ids, err := g.Select("node"); err != nil || len(ids) != 1 {
		t.Errorf("Select(node) = %v, %v; want the one Node *", ids, err)
	}
}

func sortedCopy(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}
