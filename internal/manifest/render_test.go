package manifest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// writeTree writes files (slash-separated names) under a new temporary directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// hostileChart is a chart named evil whose values.yaml is values and whose one template is tmpl.
func hostileChart(t *testing.T, values, tmpl string) string {
	return writeTree(t, map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: evil\nversion: 0.1.0\n",
		"values.yaml":         values,
		"templates/cm.yaml":   tmpl,
		"templates/_h.tpl":    `{{ define "self" }}{{ include "self" . }}{{ end }}`,
		"templates/ok.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n",
		"templates/NOTES.txt": "hi",
	})
}

// TestRenderLimits: charts that would recurse until the stack overflows, or grow a value until
// memory runs out, fail with ErrLimit (and ErrRender), naming the template and the limit.
// Helm's own engine crashes the process on the first two after half a minute and gigabytes.
func TestRenderLimits(t *testing.T) {
	tests := []struct {
		name, values, tmpl string
		limits             RenderLimits
		want               string
	}{
		{name: "recursive tpl", values: `x: "{{ tpl .Values.x . }}{{ tpl .Values.x . }}"`, tmpl: `a: {{ tpl .Values.x . }}`,
			want: "nested more than 100 deep"},
		{name: "recursive include", tmpl: `{{ include "self" . }}`, want: "nested more than 100 deep"},
		{name: "string doubling", tmpl: `{{ $s := "x" }}{{ range until 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}a: {{ $s }}`,
			want: "printf: arguments larger than"},
		{name: "list doubling serialised", tmpl: `{{ $l := list 1 }}{{ range until 40 }}{{ $l = list $l $l }}{{ end }}{{ toYaml $l }}`,
			want: "toYaml: arguments larger than 16 MiB"},
		{name: "cycle serialised", tmpl: `{{ $d := dict }}{{ $_ := set $d "self" $d }}{{ toJson $d }}`, want: "toJson: an argument nested more than 1000 deep"},
		{name: "repeat", tmpl: `{{ repeat 1000000000 "x" }}`, want: "repeat: would make a value larger than"},
		{name: "indent", values: "s: |\n" + strings.Repeat("  x\n", 1000), tmpl: `{{ indent 100000 .Values.s }}`, want: "indent: would make"},
		{name: "printf width", tmpl: `{{ printf "%999999999d" 1 }}`, want: "printf: would make"},
		{name: "printf star width", tmpl: `{{ printf "%*d" 999999999 1 }}`, want: "printf: would make"},
		{name: "range over a huge number", tmpl: `{{ range 1000000000000 }}{{ end }}`, want: "more than 1048576 iterations"},
		{name: "output", tmpl: `{{ range until 100000 }}{{ range until 1000 }}xxxxxxxxxx{{ end }}{{ end }}`,
			limits: RenderLimits{MaxTotal: 1 << 20}, want: "more than 1 MiB produced"},
		{name: "many values kept", tmpl: `{{ $l := list }}{{ range until 1000 }}{{ $l = append $l (repeat 1000000 "x") }}{{ end }}`,
			limits: RenderLimits{MaxTotal: 10 << 20}, want: "more than 10 MiB produced"},
		{name: "time", tmpl: `{{ range until 1000000 }}{{ range until 1000000 }}{{ $x := add 1 1 }}{{ end }}{{ end }}`,
			limits: RenderLimits{Timeout: 200 * time.Millisecond}, want: "not rendered within 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := hostileChart(t, tt.values, tt.tmpl)
			_, err := RenderChart(context.Background(), dir, Options{Limits: tt.limits})
			if !errors.Is(err, ErrLimit) || !errors.Is(err, ErrRender) {
				t.Fatalf("RenderChart() = %.500v, want ErrLimit and ErrRender", err)
			}
			for _, w := range []string{"evil/templates/cm.yaml", tt.want} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if len(err.Error()) > 500 {
				t.Errorf("error is %d bytes long: %.500s", len(err.Error()), err)
			}
		})
	}
}

// TestRenderLimitsMemory measures the memory the reported charts take with the default limits:
// the string doubled in a loop, and the tpl that calls itself twice, each stop within a few tens
// of megabytes allocated (Helm's engine: out of memory, and a 1 GB stack overflow).
func TestRenderLimitsMemory(t *testing.T) {
	for _, c := range []struct{ values, tmpl string }{
		{"", `{{ $s := "x" }}{{ range until 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}a: {{ $s }}`},
		{`x: "{{ tpl .Values.x . }}{{ tpl .Values.x . }}"`, `a: {{ tpl .Values.x . }}`},
	} {
		dir := hostileChart(t, c.values, c.tmpl)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := RenderChart(context.Background(), dir, Options{})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrLimit) {
			t.Fatalf("RenderChart() = %v, want ErrLimit", err)
		}
		// Twice the largest value: the arguments of the call that would go past it.
		const bound = 4 * DefaultMaxValue
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > bound {
			t.Errorf("%s: %d MiB allocated, want at most %d MiB", c.tmpl, alloc>>20, bound>>20)
		}
		if after.StackInuse > 64<<20 {
			t.Errorf("%s: %d MiB of stacks in use", c.tmpl, after.StackInuse>>20)
		}
	}
}

// TestRenderAbandoned: a rendering past its time limit, or whose context ends, is abandoned at
// once, and its goroutine ends by itself soon after, even in loops that call no function and
// write nothing.
func TestRenderAbandoned(t *testing.T) {
	baseline := runtime.NumGoroutine()
	dir := hostileChart(t, "", `{{ range 1000000 }}{{ range 1000000 }}{{ end }}{{ end }}`)
	_, err := RenderChart(context.Background(), dir, Options{Limits: RenderLimits{Timeout: 100 * time.Millisecond}})
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("RenderChart() = %v, want ErrLimit", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = RenderChart(ctx, dir, Options{})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrRender) {
		t.Fatalf("RenderChart() = %v, want context.Canceled only", err)
	}
	for deadline := time.Now().Add(20 * time.Second); runtime.NumGoroutine() > baseline; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before: the abandoned rendering goes on", runtime.NumGoroutine(), baseline)
		}
	}
}

// TestRenderLikeHelm renders a chart using what real charts use (include, tpl defining and
// including templates, Files, subchart values, required, lookup, toYaml, ranges) with the
// limited engine and with Helm's: the output is the same.
func TestRenderLikeHelm(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.2.3\nappVersion: \"4.5\"\ndependencies:\n  - name: sub\n    version: 0.1.0\n",
		"values.yaml": `name: web
labels: {tier: front, team: "{{ .Release.Name }}"}
extra: '{{ define "x" }}X{{ .Values.name }}{{ end }}{{ include "x" . }}-{{ .Chart.Name }}'
ports: [80, 443]
sub: {greeting: hello}
resources: {limits: {cpu: 100m}}
`,
		"templates/_helpers.tpl": `{{- define "app.name" -}}{{ .Release.Name }}-{{ .Values.name | trunc 63 }}{{- end -}}
{{- define "app.labels" -}}
{{- range $k, $v := .Values.labels }}
{{ $k }}: {{ tpl $v $ | quote }}
{{- end }}
{{- end -}}`,
		"templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "app.name" . }}
  labels: {{- include "app.labels" . | nindent 4 }}
data:
  extra: {{ tpl .Values.extra . | quote }}
  files: {{ .Files.Get "files/a.txt" | quote }}
  lines: {{ .Files.Lines "files/a.txt" | join "," | quote }}
  glob: |
{{ (.Files.Glob "files/*").AsConfig | indent 4 }}
  secret: {{ (.Files.Glob "files/*").AsSecrets | b64enc | quote }}
  req: {{ required "name is required" .Values.name }}
  lookup: {{ lookup "v1" "Secret" "default" "x" | toJson | quote }}
  ports: {{ range $i, $p := .Values.ports }}{{ if $i }},{{ end }}{{ $p }}{{ end }}
  res: {{- toYaml .Values.resources | nindent 4 }}
  caps: {{ .Capabilities.KubeVersion.Major | quote }}
  tmpl: {{ .Template.Name }} {{ .Template.BasePath }}
  printf: {{ printf "%05d-%s" 42 (print "a" 1) | quote }}
  missing: "{{ .Values.nope }}"
  pretty: {{ toPrettyJson .Values.labels | quote }}
  decode: {{ (fromYaml "a: 1").a }} {{ (fromJson "{").Error | quote }} {{ fromYamlArray "[1, 2]" | len }} {{ fromJsonArray "[" | first | quote }} {{ (fromToml "x = 1").x }}
  toml: {{ toToml .Values.resources | quote }}
`,
		"files/a.txt":                      "one\ntwo\n",
		"files/b.txt":                      "three",
		"charts/sub/Chart.yaml":            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
		"charts/sub/values.yaml":           "greeting: hi\n",
		"charts/sub/templates/sub.yaml":    "kind: X\ngreeting: {{ .Values.greeting }}\nparent: {{ .Chart.Name }} {{ .Chart.IsRoot }}\n",
		"charts/sub/templates/_unused.tpl": `{{ define "sub.x" }}{{ end }}`,
	})
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ToRenderValues(ch, map[string]any{}, chartutil.ReleaseOptions{Name: "rel", Namespace: "ns", Revision: 1, IsInstall: true},
		chartutil.DefaultCapabilities.Copy())
	if err != nil {
		t.Fatal(err)
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		t.Fatal(err)
	}
	want, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	got, err := renderChartLimited(context.Background(), ch, vals, RenderLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("limited rendering differs from Helm's (-helm +limited):\n%s", diff)
	}
	if !strings.Contains(got["app/templates/cm.yaml"], `extra: "Xweb-app"`) || !strings.Contains(got["app/charts/sub/templates/sub.yaml"], "greeting: hello") {
		t.Errorf("the chart did not render what it should:\n%s", got["app/templates/cm.yaml"])
	}

	// Errors are Helm's too: a failed required names the template and the message.
	ch.Values["name"] = nil
	vals["Values"].(chartutil.Values)["name"] = nil
	_, herr := engine.Render(ch, vals)
	_, lerr := renderChartLimited(context.Background(), ch, vals, RenderLimits{})
	if herr == nil || lerr == nil || herr.Error() != lerr.Error() {
		t.Errorf("errors differ:\nhelm:    %v\nlimited: %v", herr, lerr)
	}
}
