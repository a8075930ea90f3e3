package kubecmd

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/cli"
)

// TestK8sAudit checks that the bare `rampart k8s` reports what `posture` and `rbac` report,
// together, from one snapshot.
func TestK8sAudit(t *testing.T) {
	run := func(args ...string) (int, []byte) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), append([]string{"k8s", "-q", "--manifests", "../../rbac/testdata/fixture"}, args...), strings.NewReader(""), &out, &errb)
		if code != 0 && code != cli.ExitGate {
			t.Fatalf("rampart k8s %v: exit %d: %s", args, code, errb.String())
		}
		return code, out.Bytes()
	}
	ids := func(b []byte) map[string]int {
		var r struct {
			Findings []struct{ ID, Kind string } `json:"findings"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, f := range r.Findings {
			m[f.Kind+"/"+f.ID]++
		}
		return m
	}
	_, all := run("--format", "json")
	_, pos := run("posture", "--format", "json")
	_, rb := run("rbac", "--format", "json")
	want := ids(pos)
	for k, n := range ids(rb) {
		want[k] += n
	}
	got := ids(all)
	if len(got) == 0 || len(want) != len(got) {
		t.Fatalf("audit findings %v, want posture+rbac %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d in the audit, %d in posture+rbac", k, got[k], n)
		}
	}
	if code, _ := run("--fail-on", "HIGH"); code != cli.ExitGate {
		t.Errorf("--fail-on HIGH: exit %d, want %d", code, cli.ExitGate)
	}
}
