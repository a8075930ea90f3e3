// Package manifest turns what teams ship to Kubernetes into one [kube.Snapshot]: plain YAML and
// JSON manifests (multi-document, lists), Helm charts rendered with the Helm SDK (values files and
// --set, as `helm template` does) and Kustomize overlays built with the Kustomize API (as
// `kustomize build` does). Nothing is applied to a cluster and nothing is fetched: chart
// dependencies must be vendored under charts/, and remote Kustomize resources fail.
//
// # Usage
//
//	snap, err := manifest.Load(ctx, "./deploy", manifest.Options{ValuesFiles: []string{"prod.yaml"}})
//	res, err := posture.Check(ctx, snap, posture.Options{})
//
// # Locations
//
// Objects of plain files are located by file and line. Objects rendered from a chart are located
// by the template that made them ("mychart/templates/deployment.yaml") and the line in the
// rendered output of that template; objects built by Kustomize by the kustomization file and the
// line in the build output.
//
// # Errors
//
// A manifest that is not YAML or JSON is an error wrapping [kube.ErrInvalid] naming file:line; a
// chart whose templates do not render, or go past their [RenderLimits], is an error wrapping
// [ErrRender] (and [ErrLimit]) naming the chart and the template; a Kustomization that does not
// build wraps [ErrBuild]. Unknown kinds and custom resources are counted in
// [kube.Snapshot.Skipped], not errors. A .yaml, .yml or .json file is a manifest by its content
// (apiVersion and kind), not by its name: others are skipped ([ErrNotManifest]). Named pipes,
// sockets and devices are never opened ([ErrNotRegular]).
package manifest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/kube"
)

// Errors returned by [Load], [RenderChart] and [BuildKustomization].
var (
	// ErrRender means a Helm chart could not be loaded or its templates did not render.
	ErrRender = errors.New("manifest: helm chart does not render")
	// ErrBuild means a Kustomization did not build.
	ErrBuild = errors.New("manifest: kustomization does not build")
)

// Options says how charts are rendered. The zero value renders with the charts' own values,
// release name "release" in namespace "default".
type Options struct {
	// ValuesFiles are merged over each chart's values.yaml, in order (helm -f).
	ValuesFiles []string
	// Set and SetString are "a.b=c" assignments applied last (helm --set, --set-string).
	Set, SetString []string
	// ReleaseName is the release name templates see. Default "release".
	ReleaseName string
	// Namespace is the release namespace templates see. Default "default".
	Namespace string
	// Limits bound the rendering of each chart.
	Limits RenderLimits
}

// Kinds of input [Discover] finds.
const (
	KindFile          = "file"
	KindChart         = "helm"
	KindKustomization = "kustomize"
	// KindNotRegular is a named pipe, socket or device with a manifest's name: listed so that
	// it is reported, never opened.
	KindNotRegular = "not-regular"
)

// Input is one thing to load: a manifest file, a chart directory or a kustomization directory.
type Input struct {
	Kind string
	Path string // on disk
	// Name is Path relative to the root given to [Discover], with forward slashes; what
	// locations and errors say.
	Name string
}

// skipDirs are never entered.
var skipDirs = map[string]bool{".git": true, "node_modules": true, ".hg": true, ".svn": true, "vendor": true}

var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// IsManifestFile reports whether a file name looks like a manifest: .yaml, .yml or .json.
func IsManifestFile(base string) bool {
	switch strings.ToLower(filepath.Ext(base)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// Discover finds the inputs under root: chart directories (holding Chart.yaml; nothing under them
// is read otherwise), kustomization directories (holding kustomization.yaml; the files under them
// are what the kustomization builds), and the other .yaml, .yml and .json files. A kustomization
// another one in the tree builds on (resources, bases, components) is not listed itself: the
// overlays are. root may be a file. Hidden directories, .git, node_modules and vendor are
// skipped; so are symbolic links. Named pipes, sockets and devices with a manifest's name are
// listed as [KindNotRegular].
func Discover(root string) ([]Input, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		base := filepath.Base(root)
		switch {
		case base == "Chart.yaml":
			return []Input{{Kind: KindChart, Path: filepath.Dir(root), Name: filepath.ToSlash(filepath.Dir(root))}}, nil
		case slices.Contains(kustomizationNames, base):
			return []Input{{Kind: KindKustomization, Path: filepath.Dir(root), Name: filepath.ToSlash(filepath.Dir(root))}}, nil
		}
		return []Input{{Kind: KindFile, Path: root, Name: filepath.ToSlash(root)}}, nil
	}
	var out []Input
	var kustDirs []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil {
			return rerr
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			if p != root && (skipDirs[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if exists(filepath.Join(p, "Chart.yaml")) {
				out = append(out, Input{Kind: KindChart, Path: p, Name: name})
				return filepath.SkipDir
			}
			for _, k := range kustomizationNames {
				if exists(filepath.Join(p, k)) {
					kustDirs = append(kustDirs, p)
					out = append(out, Input{Kind: KindKustomization, Path: p, Name: name})
					break
				}
			}
			return nil
		}
		if !IsManifestFile(d.Name()) || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		// Files of a kustomization are what it builds, not manifests of their own.
		for _, k := range kustDirs {
			if within(k, p) {
				return nil
			}
		}
		kind := KindFile
		if !d.Type().IsRegular() {
			kind = KindNotRegular
		}
		out = append(out, Input{Kind: kind, Path: p, Name: name})
		return nil
	})
	if err != nil {
		return nil, err
	}
	referenced := map[string]bool{}
	for _, k := range kustDirs {
		for _, ref := range kustomizationRefs(k) {
			if ref != k {
				referenced[ref] = true
			}
		}
	}
	if len(referenced) == len(kustDirs) {
		referenced = nil // every one is referenced: a cycle; build them all
	}
	out = slices.DeleteFunc(out, func(in Input) bool { return in.Kind == KindKustomization && referenced[in.Path] })
	return out, nil
}

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// within reports whether p is dir or under it.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Load reads every input under root into one snapshot. Files that do not parse, charts that do
// not render and kustomizations that do not build are errors (see the package doc), files that
// are not manifests are skipped; ctx is checked between inputs.
func Load(ctx context.Context, root string, opts Options) (*kube.Snapshot, error) {
	inputs, err := Discover(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", kube.ErrNotFound, root)
		}
		return nil, fmt.Errorf("manifests %s: %w", root, err)
	}
	return LoadInputs(ctx, root, inputs, opts)
}

// LoadInputs reads the given inputs (as [Discover] found them under root) into one snapshot.
func LoadInputs(ctx context.Context, root string, inputs []Input, opts Options) (*kube.Snapshot, error) {
	snap := kube.NewManifestSnapshot(root)
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := LoadInput(ctx, in, opts, snap); err != nil && !errors.Is(err, ErrNotManifest) {
			return nil, err
		}
	}
	return snap, nil
}

// LoadInput reads one input into snap. Objects read before an error stay in snap. A file that
// is not a manifest is an error wrapping [ErrNotManifest], and a [KindNotRegular] input one
// wrapping [ErrNotRegular].
func LoadInput(ctx context.Context, in Input, opts Options, snap *kube.Snapshot) error {
	switch in.Kind {
	case KindNotRegular:
		st, err := os.Stat(in.Path)
		if err != nil {
			return err
		}
		return NotRegularError(in.Name, st.Mode())
	case KindChart:
		docs, err := RenderChart(ctx, in.Path, opts)
		if err != nil {
			return err
		}
		for _, d := range docs {
			if err := kube.ParseRendered(chartFileName(in.Name, d.Name), d.Data, snap); err != nil {
				return err
			}
		}
		return nil
	case KindKustomization:
		data, err := BuildKustomization(ctx, in.Path)
		if err != nil {
			return err
		}
		name := "kustomization.yaml (built)"
		if in.Name != "." {
			name = in.Name + "/" + name
		}
		return kube.ParseRendered(name, data, snap)
	}
	data, err := readLimited(in.Path)
	if err != nil {
		return err
	}
	return ParseFile(in.Name, data, snap)
}

// Document is one rendered manifest: the template (or kustomization) it came from and its YAML.
type Document struct {
	Name string
	Data []byte
}

// chartFileName names a rendered template by its path under the scanned root: Helm names it
// CHART/templates/x.yaml after the chart's name; the chart's directory is dir, relative to the
// root ("." when the chart itself was named).
func chartFileName(dir, rendered string) string {
	if dir == "." || dir == "" {
		return rendered
	}
	_, rest, ok := strings.Cut(rendered, "/")
	if !ok {
		return rendered
	}
	return dir + "/" + rest
}
