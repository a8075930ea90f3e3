package graph

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampartsec/rampart/internal/kube"
)

// FuzzBuild feeds arbitrary manifests through the builder, the rules and every exporter: whatever
// objects the manifest loader accepts (empty selectors, dangling references, odd names) must
// build and analyse without a panic, and every issue's path must have evidence for each hop.
func FuzzBuild(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "shop", "*.yaml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "netpol", "*.yaml"))
	files = append(files, more...)
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	rules, err := DefaultRules()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		snap := kube.NewManifestSnapshot("fuzz")
		if err := kube.ParseManifest("fuzz.yaml", data, snap); err != nil {
			return
		}
		g, err := Build(Input{Snapshot: snap, CrownJewels: []string{"payments"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range Analyze(g, rules) {
			if len(is.Path) == 0 || len(is.Evidence) < len(is.Path)-1 {
				t.Fatalf("issue %s: %d hops, %d evidence lines", is.Rule, len(is.Path), len(is.Evidence))
			}
		}
		for _, w := range []func() error{
			func() error { return WriteDOT(io.Discard, g) },
			func() error { return WriteGraphML(io.Discard, g) },
			func() error { return WriteCypher(io.Discard, g) },
		} {
			if err := w(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
