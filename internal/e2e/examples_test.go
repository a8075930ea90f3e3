package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

// TestExamples runs `rampart config` on the repository's examples/ as its README does, and
// checks that the problems examples/README.md promises are found where it says, with the secret
// in the Dockerfile masked and the gate tripped.
func TestExamples(t *testing.T) {
	res := testenv.Run(t, nil, "config", "-q", "-f", "json", "../../examples")
	if res.Code != 0 {
		t.Fatalf("%v", res)
	}
	if strings.Contains(string(res.Stdout), "Sup3rS3cretPassw0rd") {
		t.Errorf("the Dockerfile's password is in the output")
	}
	var rep result.Report
	if err := json.Unmarshal(res.Stdout, &rep); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, f := range rep.Findings {
		found[f.ID+" "+f.Location.Path] = true
		// A Kubernetes finding's line is its field's: privileged: true is on line 28.
		if f.ID == "PS003" && f.Location.Path == "kubernetes/deployment.yaml" && f.Location.Line != 28 {
			t.Errorf("PS003 at line %d of kubernetes/deployment.yaml; privileged: true is on line 28", f.Location.Line)
		}
		if f.Fingerprint == "" {
			t.Errorf("%s %s: no fingerprint", f.ID, f.Location.Path)
		}
	}
	for _, want := range []string{
		"DF005 docker/Dockerfile",          // moving tag
		"DF001 docker/Dockerfile",          // root
		"DF006 docker/Dockerfile",          // curl | sh
		"DF010 docker/Dockerfile",          // secret in ENV
		"DF004 docker/Dockerfile",          // ADD of a URL
		"DF002 docker/Dockerfile",          // no HEALTHCHECK
		"PS003 kubernetes/deployment.yaml", // privileged
		"PS002 kubernetes/deployment.yaml", // hostPID
		"PS005 kubernetes/deployment.yaml", // hostPath
		"PS015 kubernetes/deployment.yaml", // runs as UID 0
		"KW001 kubernetes/deployment.yaml", // no limits
		"KW003 kubernetes/deployment.yaml", // latest
	} {
		if !found[want] {
			t.Errorf("examples/README.md promises %s; not found", want)
		}
	}
	var chart bool
	for k := range found {
		if k == "PS003 helm/shop/templates/deployment.yaml" {
			chart = true
		}
	}
	if !chart {
		t.Errorf("the Helm chart's privileged container is not found")
	}
	gate := testenv.Run(t, nil, "config", "-q", "--fail-on", "HIGH", "../../examples/kubernetes")
	if gate.Code != 3 {
		t.Errorf("config examples/kubernetes --fail-on HIGH: %v; want exit 3", gate)
	}
	rbac := testenv.Run(t, nil, "k8s", "rbac", "-q", "-f", "json", "--manifests", "../../examples/kubernetes")
	if rbac.Code != 0 {
		t.Fatalf("%v", rbac)
	}
	for _, id := range []string{`"RB005"`, `"RB006"`} { // reads secrets, creates pods
		if !strings.Contains(string(rbac.Stdout), id) {
			t.Errorf("k8s rbac --manifests examples/kubernetes: no %s finding", id)
		}
	}
}
