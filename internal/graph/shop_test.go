package graph

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampartsec/rampart/internal/kube"
)

// loadShop builds the graph of testdata/shop with its image reports.
func loadShop(t testing.TB, crown ...string) *Graph {
	t.Helper()
	snap, err := kube.LoadManifests(context.Background(), filepath.Join("testdata", "shop"))
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

func TestShopDebug(t *testing.T) {
	g := loadShop(t, "payments")
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, is := range Analyze(g, rules) {
		t.Logf("%s %.1f %s\n  %v", is.Rule, is.Score, pathString(is.Path), is.Explain)
	}
}
