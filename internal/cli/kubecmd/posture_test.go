package kubecmd

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/misconfig/dockerfile"
	"github.com/rampartsec/rampart/internal/misconfig/misconfigtest"
	"github.com/rampartsec/rampart/internal/result"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/kubetest"
	"github.com/rampartsec/rampart/internal/posture"
)

var updatePostureGolden = flag.Bool("update-posture", false, "rewrite testdata/config-kube*.golden.json")

// configKubeOut is what the tests read of `rampart config --format json` on Kubernetes inputs.
type configKubeOut struct {
	Findings   []finding.Finding `json:"findings"`
	Warnings   []string          `json:"warnings"`
	Skipped    map[string]int    `json:"skipped"`
	Compliance struct {
		Summary  []result.ControlSummary `json:"summary"`
		Controls []result.Control        `json:"controls"`
	} `json:"compliance"`
}

func normalizeReport(out string) string {
	norm := regexp.MustCompile(`"created_at": "[^"]*"`).ReplaceAllString(out, `"created_at": "TIME"`)
	return regexp.MustCompile(`("tool": \{\s*"name": "rampart",\s*"version": )"[^"]*"`).ReplaceAllString(norm, `$1"VERSION"`)
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *updatePostureGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got), rerun with -update-posture and review:\n%s", name, diff)
	}
}

func TestConfigHelmChart(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		golden string
		// Written from the chart and its values: what each rendering must report.
		want, notWant []string
	}{
		{name: "defaults", golden: "config-kube-chart.golden.json",
			want:    []string{"KW004", "PS012"},
			notWant: []string{"PS003", "PS002", "KE001"}},
		{name: "values and set", args: []string{"--values", "../../manifest/testdata/chart/values-prod.yaml", "--set", "privileged=true", "--set", "hostNetwork=true"},
			want:    []string{"PS003", "PS002", "KE001"},
			notWant: []string{"KE002"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := runCLI(t, append([]string{"config", "../../manifest/testdata/chart", "--format", "json"}, tt.args...)...)
			if code != cli.ExitOK {
				t.Fatalf("exit %d, stderr: %s", code, stderr)
			}
			var got configKubeOut
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			ids := map[string]bool{}
			for _, f := range got.Findings {
				ids[f.ID] = true
				if f.ID == "KN001" { // the release namespace: no file of its own
					continue
				}
				if f.Resource == nil || f.Location.Path != "web/templates/deployment.yaml" && f.Location.Path != "web/templates/service.yaml" {
					t.Errorf("%s: resource %v at %q, want a chart template", f.ID, f.Resource, f.Location.Path)
				}
			}
			for _, id := range tt.want {
				if !ids[id] {
					t.Errorf("no %s finding", id)
				}
			}
			for _, id := range tt.notWant {
				if ids[id] {
					t.Errorf("unexpected %s finding", id)
				}
			}
			// The chart has no Dockerfile: its checks are not assessed, never passed.
			df := result.ControlSummary{Standard: "Rampart", Profile: "dockerfile", NotAssessed: len(dockerfile.Checks())}
			if len(got.Compliance.Summary) != 5 || got.Compliance.Summary[4] != df {
				t.Errorf("summary %+v, want CIS, NSA, two PSS profiles and the Dockerfile checks not assessed", got.Compliance.Summary)
			}
			if tt.golden != "" {
				checkGolden(t, tt.golden, normalizeReport(out))
			}
		})
	}
}

func TestConfigKubeTable(t *testing.T) {
	out, stderr, code := runCLI(t, "config", "../../posture/testdata/manifests")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	for _, want := range []string{"STANDARD  PROFILE     PASS  FAIL  NOT ASSESSED", "PSS       restricted", "not assessed (", "no --node-root given"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestConfigKubeErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"malformed file by name", []string{"../../manifest/testdata/malformed/bad.yaml"}, cli.ExitInvalid, "bad.yaml:"},
		{"broken chart", []string{"../../manifest/testdata/brokenchart"}, cli.ExitOK, ""},
		{"broken chart by Chart.yaml", []string{"../../manifest/testdata/brokenchart/Chart.yaml"}, cli.ExitInvalid, "broken/templates/pod.yaml"},
		{"bad --set", []string{"../../manifest/testdata/chart/Chart.yaml", "--set", "a[="}, cli.ExitInvalid, `--set "a[="`},
		{"missing --values", []string{"../../manifest/testdata", "--values", "testdata/nope.yaml"}, cli.ExitNotFound, "--values: stat testdata/nope.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := runCLI(t, append([]string{"config", "--format", "json"}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr)
			}
			if tt.wantErr != "" && !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q does not name %q", stderr, tt.wantErr)
			}
			if tt.wantCode == cli.ExitOK {
				// A broken chart inside a directory is a warning naming its template.
				var got configKubeOut
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatal(err)
				}
				if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "broken/templates/pod.yaml") {
					t.Errorf("warnings %q, want the broken template named", got.Warnings)
				}
			}
		})
	}
}

func TestConfigKubeSkipsUnknownKinds(t *testing.T) {
	out, stderr, code := runCLI(t, "config", "../../manifest/testdata/plain", "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	var got configKubeOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"apiextensions.k8s.io/v1/CustomResourceDefinition": 1, "example.com/v1/Widget": 1}
	if diff := cmp.Diff(want, got.Skipped); diff != "" {
		t.Errorf("skipped mismatch (-want +got):\n%s", diff)
	}
	if len(got.Warnings) != 0 {
		t.Errorf("warnings %q: skipped kinds are not problems", got.Warnings)
	}
}

// postureOut is what the tests read of `rampart k8s posture --format json`.
type postureOut struct {
	Source   string                  `json:"source"`
	Gaps     []kube.Gap              `json:"gaps"`
	Findings []finding.Finding       `json:"findings"`
	Summary  []result.ControlSummary `json:"summary"`
	Controls []result.Control        `json:"controls"`
}

func decodePosture(t *testing.T, res runResult) postureOut {
	t.Helper()
	if res.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var out postureOut
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("decode: %v\n%s", err, res.stdout)
	}
	checkPostureControls(t, out.Findings, out.Controls, out.Summary)
	return out
}

// checkPostureControls holds posture JSON to the control model: every control is a valid
// result.Control, a failed one counts the findings that map to it, every control a finding maps
// to is failed, and the summary counts the controls.
func checkPostureControls(t *testing.T, fs []finding.Finding, cs []result.Control, sum []result.ControlSummary) {
	t.Helper()
	type key struct{ standard, profile, control string }
	mapped := map[key]int{}
	for _, f := range fs {
		for _, c := range f.Compliance {
			mapped[key{c.Standard, c.Profile, c.Control}]++
		}
	}
	for _, c := range cs {
		if err := c.Valid(); err != nil {
			t.Error(err)
		}
		k := key{c.Standard, c.Profile, c.Control}
		if c.Findings != mapped[k] || (c.Status == result.StatusFail) != (mapped[k] > 0) {
			t.Errorf("%v: %s with %d findings; %d map to it", k, c.Status, c.Findings, mapped[k])
		}
	}
	if diff := cmp.Diff(result.SummarizeControls(cs, nil), sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestK8sPostureManifests(t *testing.T) {
	got := decodePosture(t, runK8s(t, "posture", "--manifests", "../../posture/testdata/manifests", "-f", "json"))
	if got.Source != kube.SourceManifests {
		t.Errorf("source %q", got.Source)
	}
	n := 0
	for _, f := range got.Findings {
		if f.ID == "PS003" && f.Resource.Name == "agent" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d PS003 findings on the privileged DaemonSet, want 1", n)
	}
}

// TestK8sPostureLive runs the posture checks against the test cluster: as admin, a privileged pod
// created in a fresh namespace is found at its field; as a user whose lists are all forbidden,
// nothing passes and the reasons name the missing permissions.
func TestK8sPostureLive(t *testing.T) {
	env := kubetest.Load(t)
	ns := env.Namespace(t, "posture", map[string]string{"pod-security.kubernetes.io/enforce": "privileged"})
	cs := env.Clientset(t, kubetest.Admin)
	priv := true
	_, err := cs.CoreV1().Pods(ns).Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "priv"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10",
			SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := decodePosture(t, runK8s(t, "posture", "--kubeconfig", env.Kubeconfig, "--context", kubetest.Admin, "-f", "json"))
	var ids []string
	for _, f := range got.Findings {
		if f.Resource != nil && f.Resource.Namespace == ns && f.Resource.Name == "priv" {
			ids = append(ids, f.ID+" "+f.Location.Field)
		}
		if f.ID == "KN002" && f.Resource.Name == ns && !strings.Contains(f.Evidence, "enforce=privileged") {
			t.Errorf("KN002 evidence %q", f.Evidence)
		}
	}
	if !slices.Contains(ids, "PS003 spec.containers[0].securityContext.privileged") {
		t.Errorf("findings on %s/priv: %q, want PS003 at its privileged field", ns, ids)
	}
	if len(got.Gaps) != 0 {
		t.Errorf("admin has gaps: %v", got.Gaps)
	}

	// Every list forbidden: nothing is assessed (exit 9), and the report says why.
	lowRes := runK8s(t, "posture", "--kubeconfig", env.Kubeconfig, "--context", kubetest.LowPriv, "-f", "json")
	if lowRes.code != cli.ExitNotAssessed {
		t.Fatalf("lowpriv posture: exit %d, want %d: %s", lowRes.code, cli.ExitNotAssessed, lowRes.stderr)
	}
	lowRes.code = cli.ExitOK
	low := decodePosture(t, lowRes)
	if len(low.Gaps) == 0 {
		t.Fatal("lowpriv has no gaps: the test user has permissions it should not")
	}
	for _, s := range low.Summary {
		if s.Pass != 0 {
			t.Errorf("%s %s: %d controls pass with every list forbidden", s.Standard, s.Profile, s.Pass)
		}
	}
	for _, c := range low.Controls {
		if c.Standard == posture.StandardPSS && !strings.Contains(c.Reason, "missing permission: list pods") {
			t.Errorf("PSS %s %s: %s %q, want not assessed naming list pods", c.Profile, c.Control, c.Status, c.Reason)
		}
	}
}

// TestConfigHostileCharts: charts whose templates recurse without end (tpl calling itself
// twice) or double a string in a loop are stopped by the rendering limits: in a directory, a
// warning each and no control said to pass (their objects are missing); given by name, exit 7.
// Before the limits, the first killed the process with a stack overflow after 35 s.
func TestConfigHostileCharts(t *testing.T) {
	out, stderr, code := runCLI(t, "config", "testdata/hostile", "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	var got configKubeOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	var warned []string
	for _, w := range got.Warnings {
		if strings.Contains(w, "exceeds the rendering limits") {
			warned = append(warned, w)
		}
	}
	if len(warned) != 2 || !strings.Contains(warned[0], "doubling/templates/cm.yaml") || !strings.Contains(warned[1], "tpl-recursion/templates/cm.yaml: exceeds the rendering limits: include and tpl nested more than 100 deep") {
		t.Errorf("warnings %q, want one per chart naming its template and limit", got.Warnings)
	}
	unread := 0
	for _, c := range got.Compliance.Controls {
		switch {
		case c.Status == result.StatusPass:
			t.Errorf("%s %s %s passes, with two charts not read", c.Standard, c.Profile, c.Control)
		case c.Reason == "inputs not read: doubling, tpl-recursion":
			unread++
		}
	}
	if unread == 0 {
		t.Error("no control is not assessed for the charts not read")
	}
	for _, s := range got.Compliance.Summary {
		if s.Pass != 0 {
			t.Errorf("summary %+v: passes", s)
		}
	}
	// The workload beside the charts is still checked: its one failing control is reported.
	if len(got.Findings) == 0 {
		t.Error("the Deployment beside the charts was not checked")
	}

	for _, chart := range []string{"testdata/hostile/tpl-recursion/Chart.yaml", "testdata/hostile/doubling/Chart.yaml"} {
		_, stderr, code := runCLI(t, "config", chart)
		if code != cli.ExitInvalid || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "exceeds the rendering limits") {
			t.Errorf("%s: exit %d, stderr %q; want %d and one line naming the limit", chart, code, stderr, cli.ExitInvalid)
		}
	}
}

// TestPostureNothingAssessed: when every control is not assessed, posture exits 9 (with the
// report written): a --fail-on gate must not pass on no evidence.
func TestPostureNothingAssessed(t *testing.T) {
	for _, args := range [][]string{
		{"posture", "--manifests", "testdata/notassessed", "--fail-on", "LOW", "-f", "json"},
		{"posture", "--manifests", "testdata/notassessed"},
	} {
		res := runK8s(t, args...)
		if res.code != cli.ExitNotAssessed || !strings.Contains(res.stderr, "rampart: nothing assessed: every control is not assessed (") {
			t.Errorf("%v: exit %d, stderr %q; want %d", args, res.code, res.stderr, cli.ExitNotAssessed)
		}
		if !strings.Contains(res.stdout, "not assessed") && !strings.Contains(res.stdout, "not_assessed") {
			t.Errorf("%v: no report written:\n%s", args, res.stdout)
		}
	}
	// One control assessed is enough to exit 0.
	if res := runK8s(t, "posture", "--manifests", "testdata/hostile/app.yaml", "-f", "json"); res.code != cli.ExitOK {
		t.Errorf("a Deployment: exit %d, stderr %q", res.code, res.stderr)
	}
}

// TestConfigDockerfileControls: `rampart config` JSON gives every Dockerfile check a control
// result: fail with its findings counted, pass only when every Dockerfile found was read and
// none fired, not assessed when a Dockerfile could not be read or none was found. --severity
// hides findings, not failures.
func TestConfigDockerfileControls(t *testing.T) {
	clean := t.TempDir()
	if err := os.WriteFile(filepath.Join(clean, "Dockerfile"), []byte("FROM debian:12.8\nUSER 10001\nHEALTHCHECK CMD [\"true\"]\nCMD [\"app\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	decode := func(args ...string) configKubeOut {
		t.Helper()
		out, stderr, code := runCLI(t, append([]string{"config", "--format", "json"}, args...)...)
		if code != cli.ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var got configKubeOut
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	n := len(dockerfile.Checks())
	for _, tt := range []struct {
		args   []string
		want   result.ControlSummary // pass, fail and not_assessed
		reason string
	}{
		{[]string{clean}, result.ControlSummary{Pass: n}, ""},
		{[]string{t.TempDir()}, result.ControlSummary{NotAssessed: n}, "no Dockerfile found under "},
		{[]string{"testdata/config"}, result.ControlSummary{Fail: 8, NotAssessed: n - 8}, "Dockerfiles not read: broken/Containerfile"},
		{[]string{"testdata/config/Dockerfile"}, result.ControlSummary{Fail: 4, Pass: n - 4}, ""}, // DF001, DF002, DF010, DF014
	} {
		got := decode(tt.args...)
		misconfigtest.CheckControls(t, got.Compliance.Controls, got.Findings, dockerfile.Checks())
		want := tt.want
		want.Standard, want.Profile = "Rampart", dockerfile.Profile
		if diff := cmp.Diff([]result.ControlSummary{want}, got.Compliance.Summary); diff != "" {
			t.Errorf("%v: summary (-want +got):\n%s", tt.args, diff)
		}
		for _, c := range got.Compliance.Controls {
			if c.Status == result.StatusNotAssessed && !strings.HasPrefix(c.Reason, tt.reason) {
				t.Errorf("%v: %s not assessed: %q, want %q", tt.args, c.Control, c.Reason, tt.reason)
			}
		}
	}
	// --severity CRITICAL hides the findings (the report counts them as hidden); the checks that
	// found them still fail.
	got := decode("testdata/config", "--severity", "CRITICAL")
	if s := got.Compliance.Summary[0]; len(got.Findings) != 0 || s.Fail != 8 {
		t.Errorf("--severity CRITICAL: %d findings shown, summary %+v; want none shown and 8 checks failed", len(got.Findings), s)
	}
}
