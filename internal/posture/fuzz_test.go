package posture

import (
	"context"
	"os"
	"testing"

	"github.com/rampartsec/rampart/internal/kube"
)

// FuzzParseAndCheck decodes arbitrary manifest bytes as `rampart config` does and runs every
// posture check on whatever objects they hold: nothing may panic, and every finding names its
// resource and check. (The same pipeline through internal/manifest is FuzzLoadAndCheck there;
// this one links no Helm or Kustomize, so the fuzzer runs it fast.)
func FuzzParseAndCheck(f *testing.F) {
	for _, p := range []string{"testdata/pss-pods.yaml", "testdata/manifests/workloads.yaml", "testdata/manifests/namespaces.yaml", "testdata/manifests/exposure.yaml"} {
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
		snap := kube.NewManifestSnapshot("fuzz")
		// Objects decoded before an error stay in the snapshot: check them too.
		_ = kube.ParseManifest("in.yaml", data, snap)
		res, err := Check(context.Background(), snap, Options{})
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		for _, fd := range res.Findings {
			if fd.ID == "" || fd.Resource == nil || fd.Resource.Kind == "" {
				t.Fatalf("finding without ID or resource: %+v", fd)
			}
		}
	})
}
