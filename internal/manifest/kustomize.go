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
	// Kustomize would clone remote bases with git: a scanner fetches nothing.
	if remote := remoteRef(dir, map[string]bool{}); remote != "" {
		return nil, fmt.Errorf("%w: %s: remote resource %q is not fetched; vendor it", ErrBuild, dir, remote)
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(regularFS{filesys.MakeFsOnDisk()}, dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBuild, dir, err)
	}
	out, err := rm.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBuild, dir, err)
	}
	return out, nil
}

// regularFS is the disk as Kustomize reads it, but for named pipes, sockets and devices, which
// it refuses to open.
type regularFS struct{ filesys.FileSystem }

func (r regularFS) Open(path string) (filesys.File, error) {
	if err := CheckRegular(path); err != nil {
		return nil, err
	}
	return r.FileSystem.Open(path)
}

func (r regularFS) ReadFile(path string) ([]byte, error) {
	if err := CheckRegular(path); err != nil {
		return nil, err
	}
	return r.FileSystem.ReadFile(path)
}

// remoteRef returns the first remote resource of the kustomization in dir or of the local
// kustomizations it builds on, "" when there is none.
func remoteRef(dir string, seen map[string]bool) string {
	if seen[dir] {
		return ""
	}
	seen[dir] = true
	k := readKustomization(dir)
	for _, r := range append(append(k.Resources, k.Bases...), k.Components...) {
		if isRemote(r) {
			return r
		}
	}
	for _, sub := range kustomizationRefs(dir) {
		if r := remoteRef(sub, seen); r != "" {
			return r
		}
	}
	return ""
}

// isRemote reports whether a kustomization entry is a URL or a git repository.
func isRemote(r string) bool {
	return strings.Contains(r, "://") || strings.HasPrefix(r, "git@") || strings.HasPrefix(r, "github.com/") ||
		strings.Contains(r, "?ref=") || strings.HasSuffix(r, ".git")
}

type kustomizationFile struct {
	Resources  []string `json:"resources"`
	Bases      []string `json:"bases"`
	Components []string `json:"components"`
}

func readKustomization(dir string) kustomizationFile {
	var k kustomizationFile
	for _, n := range kustomizationNames {
		b, err := readLimited(filepath.Join(dir, n))
		if err == nil {
			if yaml.Unmarshal(b, &k) != nil {
				return kustomizationFile{}
			}
			return k
		}
	}
	return k
}

// kustomizationRefs returns the directories a kustomization in dir builds on: its resources,
// bases and components that are local directories. Unreadable files give none: the build reports
// them.
func kustomizationRefs(dir string) []string {
	k := readKustomization(dir)
	var out []string
	for _, r := range append(append(k.Resources, k.Bases...), k.Components...) {
		if isRemote(r) {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(r))
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			out = append(out, filepath.Clean(p))
		}
	}
	return out
}
