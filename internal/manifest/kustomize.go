package manifest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// BuildKustomization builds the kustomization in dir as `kustomize build` would (default
// options: load restrictions to the root, no plugins, no Helm) and returns the YAML stream. It
// returns an error wrapping [ErrBuild].
func BuildKustomization(ctx context.Context, dir string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBuild, dir, err)
	}
	out, err := rm.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBuild, dir, err)
	}
	return out, nil
}

// kustomizationRefs returns the directories a kustomization in dir builds on: its resources,
// bases and components that are local directories. Unreadable files give none: the build reports
// them.
func kustomizationRefs(dir string) []string {
	var data []byte
	for _, n := range kustomizationNames {
		b, err := readLimited(filepath.Join(dir, n))
		if err == nil {
			data = b
			break
		}
	}
	var k struct {
		Resources  []string `json:"resources"`
		Bases      []string `json:"bases"`
		Components []string `json:"components"`
	}
	if yaml.Unmarshal(data, &k) != nil {
		return nil
	}
	var out []string
	for _, r := range append(append(k.Resources, k.Bases...), k.Components...) {
		if strings.Contains(r, "://") || strings.HasPrefix(r, "git@") {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(r))
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			out = append(out, filepath.Clean(p))
		}
	}
	return out
}
