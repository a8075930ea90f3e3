package manifest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampartsec/rampart/internal/posture"
)

// FuzzLoadAndCheck feeds arbitrary bytes through the manifest loader and every posture check:
// whatever objects the bytes decode to, neither may panic, and a load error never comes with a
// snapshot.
func FuzzLoadAndCheck(f *testing.F) {
	for _, p := range []string{"testdata/plain/app.yaml", "testdata/plain/ingress.yaml", "testdata/malformed/bad.yaml",
		"testdata/kustomize/base/deployment.yaml", "../posture/testdata/pss-pods.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"c","securityContext":{"capabilities":{}}}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		dir := t.TempDir()
		p := filepath.Join(dir, "in.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		snap, err := LoadInputs(context.Background(), dir, []Input{{Kind: KindFile, Path: p, Name: "in.yaml"}}, Options{})
		if err != nil {
			if snap != nil {
				t.Fatalf("error %v with a snapshot", err)
			}
			return
		}
		if _, err := posture.Check(context.Background(), snap, posture.Options{}); err != nil {
			t.Fatalf("Check: %v", err)
		}
	})
}

// FuzzKustomizationRefs checks that reading a kustomization's references never panics.
func FuzzKustomizationRefs(f *testing.F) {
	for _, p := range []string{"testdata/kustomize/overlays/prod/kustomization.yaml", "testdata/kustomize/base/kustomization.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, r := range kustomizationRefs(dir) {
			if r == "" {
				t.Fatal("empty reference")
			}
		}
	})
}
