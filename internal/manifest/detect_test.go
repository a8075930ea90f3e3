package manifest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/rampartsec/rampart/internal/kube"
)

// TestParseFileJSON: valid JSON is read as JSON, whatever YAML would make of it (YAML knows no
// \/ escape nor surrogate pairs, refuses raw control characters and repeated keys), and objects
// keep the line they are on.
func TestParseFileJSON(t *testing.T) {
	data := `{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "urls", "annotations": {"a": "x"}}},
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {"name": "web", "namespace": "shop",
        "annotations": {"url": "https:\/\/example.com\/x", "smile": "\ud83d\ude00", "del": "a` + "\x7f" + `b", "nel": "a\u0085b\u2028c", "nul": "\u0000", "q": "say \"hi\" \\ \t"},
        "labels": {"app": "old",
          "app": "web"}},
      "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "ports": [{"containerPort": 8e1}]}]}
    }
  ]
}
`
	snap := kube.NewManifestSnapshot("in")
	if err := ParseFile("pod.json", []byte(data), snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Pods) != 1 {
		t.Fatalf("%d pods", len(snap.Pods))
	}
	p := snap.Pods[0]
	want := map[string]string{"url": "https://example.com/x", "smile": "😀", "del": "a\x7fb", "nel": "a\u0085b\u2028c", "nul": "\x00", "q": "say \"hi\" \\ \t"}
	if diff := cmp.Diff(want, p.Annotations); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if p.Labels["app"] != "web" {
		t.Errorf("label app = %q, want the last of the repeated key", p.Labels["app"])
	}
	if p.Spec.Containers[0].Ports[0].ContainerPort != 80 {
		t.Errorf("port %d", p.Spec.Containers[0].Ports[0].ContainerPort)
	}
	if loc := snap.Locations[kube.Ref{Kind: "Pod", Namespace: "shop", Name: "web"}]; loc != (kube.Location{File: "pod.json", Line: 6}) {
		t.Errorf("location %v, want pod.json:6", loc)
	}
}

// FuzzJSONToYAML: for any valid JSON, YAML reads jsonToYAML's output as the same value, with
// the same number of lines.
func FuzzJSONToYAML(f *testing.F) {
	for _, s := range []string{`{"a":"x\/y","a":1}`, `["\ud83d\ude00", "\u2029", 1e5, -0, true, null, {}]`, "{\"k\" :\n \"\x7f\",\n\"k\": {\"k\":[ ]}}",
		`{"a":{"b":1,"b":2,"c":[{"d":"\"\\"}]},"a":{"e":"\u0085"}}`, `"\t"`, `{"":""}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		var want any
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Skip()
		}
		out := jsonToYAML([]byte(s))
		var got any
		if err := yaml.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q -> %q: %v", s, out, err)
		}
		if diff := cmp.Diff(normalizeNumbers(want), normalizeNumbers(got)); diff != "" {
			t.Errorf("%q -> %q (-json +yaml):\n%s", s, out, diff)
		}
		if strings.Count(s, "\n") != strings.Count(string(out), "\n") {
			t.Errorf("%q -> %q: lines differ", s, out)
		}
	})
}

// normalizeNumbers makes JSON's float64 and YAML's ints and floats comparable.
func normalizeNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = normalizeNumbers(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalizeNumbers(x)
		}
		return out
	case int:
		return float64(v)
	case uint64:
		return float64(v)
	case int64:
		return float64(v)
	}
	return v
}

// TestParseFileContent: YAML and JSON files are manifests by their content; other files, even
// ones that do not parse, are skipped (ErrNotManifest); manifests that do not parse are errors
// naming file and line.
func TestParseFileContent(t *testing.T) {
	tests := []struct {
		name, data string
		want       error
		wantMsg    string
	}{
		{name: "package.json", data: `{"name": "x", "scripts": {"build": "a\/b"}}`, want: ErrNotManifest},
		{name: "values.yaml", data: "replicas: 3\nimage: {tag: x}\n", want: ErrNotManifest},
		{name: "ci.yml", data: "on: push\njobs:\n  b:\n    runs-on: x\n", want: ErrNotManifest},
		{name: "playbook.yml", data: "- hosts: all\n  tasks: []\n", want: ErrNotManifest},
		{name: "empty.yaml", data: "", want: ErrNotManifest},
		{name: "template.yaml", data: "{{ if .x }}\nfoo: [\n", want: ErrNotManifest},
		{name: "broken.json", data: `{"name": `, want: ErrNotManifest},
		{name: "bad.yaml", data: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n    y: z\n", want: kube.ErrInvalid, wantMsg: "bad.yaml:5"},
		{name: "bad.json", data: "{\"apiVersion\": \"v1\",\n\"kind\": \"Pod\",\n\"metadata\": {]}\n", want: kube.ErrInvalid, wantMsg: "bad.json:3"},
		{name: "pod.yml", data: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"},
		{name: "flow.yaml", data: "{apiVersion: v1, kind: Pod, metadata: {name: p}}"},
		{name: "pod.txt", data: `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p\/q"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := kube.NewManifestSnapshot("in")
			err := ParseFile(tt.name, []byte(tt.data), snap)
			if tt.want == nil {
				if err != nil || len(snap.Pods) != 1 {
					t.Fatalf("ParseFile() = %v, %d pods; want one pod", err, len(snap.Pods))
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ParseFile() = %v, want %v naming %q", err, tt.want, tt.wantMsg)
			}
		})
	}
}

// TestNotRegularFiles: named pipes are never opened (that blocks until a writer comes): a
// directory lists them to be reported, loading one given by name fails at once, and Kustomize
// and Helm inputs holding one fail rather than hang.
func TestNotRegularFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"app.yaml":                 "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
		"kust/kustomization.yaml":  "resources: [fifo.yaml]\n",
		"chart/Chart.yaml":         "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"chart/templates/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
		"chart2/Chart.yaml":        "apiVersion: v2\nname: c2\nversion: 0.1.0\n",
		"chart2/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	})
	for _, p := range []string{"pipe.yaml", "kust/fifo.yaml", "chart/templates/fifo.yaml", "chart2/.helmignore"} {
		if err := syscall.Mkfifo(filepath.Join(dir, p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		inputs, err := Discover(dir)
		if err != nil {
			t.Error(err)
			return
		}
		var names []string
		for _, in := range inputs {
			names = append(names, in.Kind+" "+in.Name)
		}
		want := []string{"file app.yaml", "helm chart", "helm chart2", "kustomize kust", "not-regular pipe.yaml"}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("Discover() (-want +got):\n%s", diff)
		}
		for _, in := range inputs {
			err := LoadInput(context.Background(), in, Options{}, kube.NewManifestSnapshot(dir))
			switch in.Name {
			case "app.yaml":
				if err != nil {
					t.Errorf("%s: %v", in.Name, err)
				}
			case "pipe.yaml":
				if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "pipe.yaml") || !strings.Contains(err.Error(), "named pipe") {
					t.Errorf("%s: %v, want ErrNotRegular naming it a named pipe", in.Name, err)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), "fifo.yaml") && !strings.Contains(err.Error(), ".helmignore") {
					t.Errorf("%s: %v, want an error naming the pipe", in.Name, err)
				}
			}
		}
		if _, err := readLimited(filepath.Join(dir, "pipe.yaml")); !errors.Is(err, ErrNotRegular) {
			t.Errorf("readLimited(pipe) = %v", err)
		}
		if err := CheckRegular("/dev/null"); !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "character device") {
			t.Errorf("CheckRegular(/dev/null) = %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		// Unblock the opens so that the test ends, then fail.
		for _, p := range []string{"pipe.yaml", "kust/fifo.yaml", "chart/templates/fifo.yaml", "chart2/.helmignore"} {
			if f, err := os.OpenFile(filepath.Join(dir, p), os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
		}
		t.Fatal("a named pipe was opened: loading blocked")
	}
}
