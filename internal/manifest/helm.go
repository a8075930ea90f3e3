package manifest

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/strvals"
)

// RenderChart renders the chart in dir as `helm template` would, with opts' values, and returns
// one document per template that produced output (NOTES.txt and partials excluded), sorted by
// name. Library charts render nothing. It returns an error wrapping [ErrRender].
func RenderChart(ctx context.Context, dir string, opts Options) ([]Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
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
	vo := values.Options{ValueFiles: opts.ValuesFiles, Values: opts.Set, StringValues: opts.SetString}
	// No getters: values files are local paths, never URLs.
	vals, err := vo.MergeValues(getter.Providers{})
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
	files, err := engine.Render(ch, rv)
	if err != nil {
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
