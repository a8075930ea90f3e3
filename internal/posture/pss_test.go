package posture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	yamlv3 "go.yaml.in/yaml/v3"
)

// loadPods reads the fixture pods of testdata/pss-pods.yaml.
func loadPods(t testing.TB) []corev1.Pod {
	t.Helper()
	data, err := os.ReadFile("testdata/pss-pods.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	var pods []corev1.Pod
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		raw, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var p corev1.Pod
		if err := yaml.UnmarshalStrict(raw, &p); err != nil {
			t.Fatalf("fixture %v: %v", doc["metadata"], err)
		}
		pods = append(pods, p)
	}
	if len(pods) < 40 {
		t.Fatalf("only %d fixture pods", len(pods))
	}
	return pods
}

// TestAllowedMatchesReferenceRegistry compares Rampart's check-by-check evaluation with the
// reference implementation's own registry (policy.NewEvaluator), which picks check versions and
// applies overrides on its own, for every fixture, level and policy version.
func TestAllowedMatchesReferenceRegistry(t *testing.T) {
	pods := loadPods(t)
	ev, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		t.Fatal(err)
	}
	versions := []string{"latest"}
	for minor := 0; minor <= 35; minor++ {
		versions = append(versions, fmt.Sprintf("v1.%d", minor))
	}
	for _, p := range pods {
		for _, level := range []string{ProfileBaseline, ProfileRestricted, ProfilePrivileged} {
			for _, v := range versions {
				got, reasons, err := Allowed(level, v, &p.ObjectMeta, &p.Spec)
				if err != nil {
					t.Fatal(err)
				}
				lv, _ := levelVersion(level, v)
				agg := policy.AggregateCheckResults(ev.EvaluatePod(lv, &p.ObjectMeta, &p.Spec))
				if got != agg.Allowed {
					t.Errorf("%s at %s %s: Rampart allowed=%v %v, reference allowed=%v (%s)", p.Name, level, v, got, reasons, agg.Allowed, agg.ForbiddenDetail())
				}
			}
		}
	}
}

// TestFixturesCoverEveryCheck makes sure each check of the reference implementation fails on at
// least one fixture and each fixture's violations are attributed to a field.
func TestFixturesCoverEveryCheck(t *testing.T) {
	e, err := defaultEngine()
	if err != nil {
		t.Fatal(err)
	}
	failed := map[policy.CheckID]int{}
	for _, p := range loadPods(t) {
		for _, v := range e.evaluate(psaapi.LevelRestricted, psaapi.LatestVersion(), &p.ObjectMeta, &p.Spec) {
			failed[v.check.psa]++
			if v.field == "" {
				t.Errorf("%s: %s violation without a field", p.Name, v.check.psa)
			}
		}
		for _, v := range e.evaluate(psaapi.LevelBaseline, psaapi.LatestVersion(), &p.ObjectMeta, &p.Spec) {
			failed[v.check.psa]++
		}
	}
	for _, c := range policy.DefaultChecks() {
		if failed[c.ID] == 0 {
			t.Errorf("no fixture fails check %s", c.ID)
		}
	}
}
