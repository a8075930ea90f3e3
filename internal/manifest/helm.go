package manifest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/strvals"
	sigsyaml "sigs.k8s.io/yaml"
)

// RenderChart renders the chart in dir as `helm template` would, with opts' values, and returns
// one document per template that produced output (NOTES.txt and partials excluded), sorted by
// name. Library charts render nothing. It returns an error wrapping [ErrRender], and [ErrLimit]
// too when the templates went past opts.Limits; when ctx ends it returns at once with ctx's
// error.
func RenderChart(ctx context.Context, dir string, opts Options) ([]Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Helm's loader refuses named pipes and devices in a chart, but opens .helmignore blindly.
	if err := CheckRegular(filepath.Join(dir, ".helmignore")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s: %w", ErrRender, dir, err)
	}
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: load %s: %w", ErrRender, dir, err)
	}
	if err := ch.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrRender, dir, err)
	}
	if ch.Metadata.Type == "library" {
		return nil, nil
	}
	// Helm's own message does not say which assignment is wrong: try them one by one first.
	for _, kv := range opts.Set {
		if err := strvals.ParseInto(kv, map[string]any{}); err != nil {
			return nil, fmt.Errorf("%w: --set %q: %w", ErrRender, kv, err)
		}
	}
	for _, kv := range opts.SetString {
		if err := strvals.ParseIntoString(kv, map[string]any{}); err != nil {
			return nil, fmt.Errorf("%w: --set-string %q: %w", ErrRender, kv, err)
		}
	}
	vals, err := mergeValues(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: values: %w", ErrRender, dir, err)
	}
	// As helm template does: every dependency must be vendored, enabled or not.
	for _, d := range ch.Metadata.Dependencies {
		if !dependencyVendored(ch, d.Name) {
			return nil, fmt.Errorf("%w: %s: dependency %s is not vendored under charts/ (run helm dependency build)", ErrRender, dir, d.Name)
		}
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return nil, fmt.Errorf("%w: %s: dependencies: %w", ErrRender, dir, err)
	}
	rel := chartutil.ReleaseOptions{Name: or(opts.ReleaseName, "release"), Namespace: or(opts.Namespace, "default"), Revision: 1, IsInstall: true}
	rv, err := chartutil.ToRenderValues(ch, vals, rel, chartutil.DefaultCapabilities.Copy())
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrRender, dir, err)
	}
	files, err := renderChartLimited(ctx, ch, rv, opts.Limits)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", dir, ctx.Err())
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrRender, dir, err)
	}
	var out []Document
	for name, body := range files {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || strings.EqualFold(base, "NOTES.txt") || strings.TrimSpace(body) == "" {
			continue
		}
		out = append(out, Document{Name: name, Data: []byte(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func dependencyVendored(ch *chart.Chart, name string) bool {
	for _, d := range ch.Dependencies() {
		if d.Name() == name {
			return true
		}
	}
	return false
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// mergeValues does what `helm template -f … --set … --set-string …` does with its values: files
// merged in order (later keys win, maps merged deeply), then --set, then --set-string. It is
// written here rather than taken from helm's cli/values package, which links Helm's registry and
// kubectl clients into the binary (tens of megabytes of start-up memory for every command).
func mergeValues(opts Options) (map[string]any, error) {
	base := map[string]any{}
	for _, f := range opts.ValuesFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		cur := map[string]any{}
		if err := sigsyaml.Unmarshal(b, &cur); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		base = mergeMaps(base, cur)
	}
	for _, kv := range opts.Set {
		if err := strvals.ParseInto(kv, base); err != nil {
			return nil, fmt.Errorf("--set %q: %w", kv, err)
		}
	}
	for _, kv := range opts.SetString {
		if err := strvals.ParseIntoString(kv, base); err != nil {
			return nil, fmt.Errorf("--set-string %q: %w", kv, err)
		}
	}
	return base, nil
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bv, ok := v.(map[string]any); ok {
			if av, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(av, bv)
				continue
			}
		}
		out[k] = v
	}
	return out
}
