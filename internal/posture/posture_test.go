package posture

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/manifest"
	"github.com/rampartsec/rampart/internal/result"
)

var update = flag.Bool("update", false, "rewrite golden files")

// nodeRoot copies testdata/node to a temporary directory with the given file modes (git keeps
// no modes but the executable bit).
func nodeRoot(t *testing.T, modes map[string]fs.FileMode) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir("testdata/node", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("testdata/node", p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		mode, ok := modes[filepath.ToSlash(rel)]
		if !ok {
			mode = 0o600
		}
		if err := os.WriteFile(out, b, mode); err != nil {
			return err
		}
		return os.Chmod(out, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func checkTestdata(t *testing.T) *Result {
	t.Helper()
	snap, err := manifest.Load(context.Background(), "testdata/manifests", manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	root := nodeRoot(t, map[string]fs.FileMode{"etc/kubernetes/manifests/kube-controller-manager.yaml": 0o644})
	res, err := Check(context.Background(), snap, Options{NodeRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	checkControls(t, res)
	return res
}

func TestCheckGolden(t *testing.T) {
	res := checkTestdata(t)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		t.Fatal(err)
	}
	golden := "testdata/check.golden.json"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("Check() JSON mismatch (-want +got), run go test -update and review:\n%s", diff)
	}
}

// key is what the tests below compare findings by.
func key(f finding.Finding) string {
	r := f.Resource
	return f.ID + " " + r.Kind + "/" + r.Namespace + "/" + r.Name + " " + r.Container + " " + f.Location.Field
}

// TestFindingsOfEveryWorkloadKind checks, for each kind of workload of testdata/manifests, the
// problem its manifest was written with, at the field path that holds it.
func TestFindingsOfEveryWorkloadKind(t *testing.T) {
	res := checkTestdata(t)
	var got []string
	for _, f := range res.Findings {
		got = append(got, key(f))
	}
	want := []string{
		"PS002 Pod/open/debug  spec.hostPID",
		"PS005 DaemonSet/legacy/agent  spec.template.spec.volumes[0]",
		"PS003 DaemonSet/legacy/agent agent spec.template.spec.containers[0].securityContext.privileged",
		"PS004 ReplicaSet/legacy/legacy-rs app spec.template.spec.containers[0].securityContext.capabilities.add",
		"PS010 Job/default/migrate wait spec.template.spec.initContainers[0].securityContext.seccompProfile.type",
		"PS007 CronJob/open/report  spec.jobTemplate.spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/report]",
		"PS006 CronJob/open/report report spec.jobTemplate.spec.template.spec.containers[0].ports[0].hostPort",
		"PS014 StatefulSet/locked/cache redis spec.template.spec.containers[0].securityContext.runAsNonRoot",
		"KW007 StatefulSet/locked/cache redis spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef",
		"KW007 Job/default/migrate migrate spec.template.spec.containers[0].envFrom[0].secretRef",
		"KW003 Pod/open/debug sh spec.containers[0].image",
		"KW003 DaemonSet/legacy/agent agent spec.template.spec.containers[0].image",
		"KW004 StatefulSet/locked/cache redis spec.template.spec.containers[0].image",
		"KW008 Job/default/migrate  metadata.namespace",
		"KN003 StatefulSet/locked/cache  ",
		"KN003 DaemonSet/legacy/agent  ",
		"KN003 ReplicaSet/legacy/legacy-rs  ",
		"KN001 Namespace//open  ",
		"KN001 Namespace//legacy  ",
		"KN001 Namespace//default  ",
		"KN002 Namespace//open  metadata.labels",
		"KE001 Service/locked/web-lb  spec.type",
		"KE002 Service/legacy/agent-np  spec.type",
		"KE003 Ingress/locked/web  spec.tls",
		"KC102 Pod/kube-system/kube-apiserver  spec.containers[0].command[14] (--token-auth-file)",
		"KC101 Pod/kube-system/kube-apiserver  spec.containers[0].command (--anonymous-auth absent)",
		"KC003 Pod/kube-system/kube-controller-manager  ",
		"KC403 Pod/kube-system/etcd  spec.containers[0].command[7] (--auto-tls)",
		"KC511 KubeletConfiguration//kubelet  authentication.anonymous.enabled",
		"KC514 KubeletConfiguration//kubelet  readOnlyPort",
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing finding %q", w)
		}
	}
	// The compliant Deployment has no finding at all, and the locked namespace (restricted,
	// with a NetworkPolicy) no namespace finding.
	for _, g := range got {
		if strings.Contains(g, "Deployment/locked/web") || strings.Contains(g, "Namespace//locked") {
			t.Errorf("unexpected finding %q", g)
		}
	}
	// legacy enforces baseline at v1.22: the ReplicaSet's NET_ADMIN violates it.
	for _, f := range res.Findings {
		if f.ID == "KN003" && f.Resource.Name == "legacy-rs" && !strings.Contains(f.Evidence, "baseline (v1.22)") {
			t.Errorf("KN003 evidence %q does not name the enforced level and version", f.Evidence)
		}
	}
}

func controlStatus(res *Result, standard, profile, control string) result.Control {
	for _, c := range res.Controls {
		if c.Standard == standard && c.Profile == profile && c.Control == control {
			return c
		}
	}
	return result.Control{}
}

// checkControls holds a result to the control model: every control is a valid result.Control,
// a failed one is failed by as many findings as it counts (its severity the highest of theirs),
// and every control a finding maps to is listed as failed.
func checkControls(t *testing.T, res *Result) {
	t.Helper()
	type key struct{ standard, profile, control string }
	mapped := map[key]int{}
	worst := map[key]finding.Severity{}
	for _, f := range res.Findings {
		for _, c := range f.Compliance {
			k := key{c.Standard, c.Profile, c.Control}
			mapped[k]++
			if f.Severity.Rank() > worst[k].Rank() {
				worst[k] = f.Severity
			}
		}
	}
	for _, c := range res.Controls {
		if err := c.Valid(); err != nil {
			t.Error(err)
		}
		k := key{c.Standard, c.Profile, c.Control}
		if (c.Status == result.StatusFail) != (mapped[k] > 0) || c.Findings != mapped[k] || c.Status == result.StatusFail && c.Severity != worst[k] {
			t.Errorf("%v: %s with %d findings, severity %s; %d findings map to it, the worst %s", k, c.Status, c.Findings, c.Severity, mapped[k], worst[k])
		}
		delete(mapped, k)
	}
	for k := range mapped {
		t.Errorf("findings map to %v, which is not in the controls", k)
	}
	if diff := cmp.Diff(result.SummarizeControls(res.Controls, nil), res.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestNotAssessedWhenListsAreForbidden(t *testing.T) {
	snap, err := manifest.Load(context.Background(), "testdata/manifests", manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// As if the cluster had refused these lists: the snapshot holds none of them.
	snap.Gaps = []kube.Gap{
		{Verb: "list", Resource: "networkpolicies.networking.k8s.io", Reason: "forbidden"},
		{Verb: "list", Resource: "pods", Reason: "forbidden"},
	}
	snap.NetworkPolicies, snap.Pods = nil, nil
	res, err := Check(context.Background(), snap, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkControls(t, res)
	tests := []struct {
		standard, profile, control string
		want                       result.Status
		reason                     string
	}{
		// Failed by the workloads that were readable: a failure stands.
		{StandardPSS, ProfileBaseline, "Privileged Containers", result.StatusFail, ""},
		// Nothing readable fails it, but pods were not readable: not a pass.
		{StandardPSS, ProfileBaseline, "Sysctls", result.StatusNotAssessed, "missing permission: list pods"},
		{StandardCIS, "", "5.3.2", result.StatusNotAssessed, "list networkpolicies.networking.k8s.io"},
		{StandardCIS, "", "1.2.1", result.StatusNotAssessed, "no --node-root given"},
		{StandardNSA, "", nsaExposure, result.StatusFail, ""},
	}
	for _, tt := range tests {
		got := controlStatus(res, tt.standard, tt.profile, tt.control)
		if got.Status != tt.want || !strings.Contains(got.Reason, tt.reason) {
			t.Errorf("%s %s %s: %s (%q), want %s (%q)", tt.standard, tt.profile, tt.control, got.Status, got.Reason, tt.want, tt.reason)
		}
	}
	for _, f := range res.Findings {
		if f.ID == "KN001" {
			t.Errorf("NetworkPolicy finding %q although NetworkPolicies could not be listed", key(f))
		}
	}
}

func TestEmptySnapshotPassesNothing(t *testing.T) {
	res, err := Check(context.Background(), kube.NewManifestSnapshot("empty"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 {
		t.Errorf("%d findings on nothing", len(res.Findings))
	}
	checkControls(t, res)
	for _, c := range res.Controls {
		if c.Status != result.StatusNotAssessed || c.Reason == "" {
			t.Errorf("%s %s %s: %s %q on an empty snapshot", c.Standard, c.Profile, c.Control, c.Status, c.Reason)
		}
	}
	// Every profile's controls are listed: 11 baseline, 15 restricted.
	for _, s := range res.Summary {
		if s.Standard == StandardPSS {
			want := map[string]int{ProfileBaseline: 11, ProfileRestricted: 15}[s.Profile]
			if s.NotAssessed != want {
				t.Errorf("PSS %s: %d controls, want %d", s.Profile, s.NotAssessed, want)
			}
		}
	}
}

func TestMissingNodeFileIsNotAssessed(t *testing.T) {
	root := nodeRoot(t, nil) // no kube-scheduler.yaml in testdata/node
	res, err := Check(context.Background(), kube.NewManifestSnapshot("empty"), Options{NodeRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	checkControls(t, res)
	if got := controlStatus(res, StandardCIS, "", "1.4.1"); got.Status != result.StatusNotAssessed || !strings.Contains(got.Reason, "kube-scheduler.yaml") {
		t.Errorf("1.4.1: %s %q, want not assessed naming kube-scheduler.yaml", got.Status, got.Reason)
	}
	if got := controlStatus(res, StandardCIS, "", "1.2.7"); got.Status != result.StatusPass {
		t.Errorf("1.2.7 (Node in --authorization-mode): %s %q, want pass", got.Status, got.Reason)
	}
	if got := controlStatus(res, StandardCIS, "", "1.1.1"); got.Status != result.StatusPass {
		t.Errorf("1.1.1 (mode 0600): %s %q, want pass", got.Status, got.Reason)
	}
}

// TestOwnedWorkloadsReportedThroughOwner: a Deployment's ReplicaSet and pods are reported
// through the Deployment; a mirror pod (controlled by a Node) and a pod whose ReplicaSet is not in
// the snapshot are reported themselves.
func TestOwnedWorkloadsReportedThroughOwner(t *testing.T) {
	const objs = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a, uid: d1}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {hostIPC: true, containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-1
  namespace: a
  uid: r1
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d1, controller: true}]
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {hostIPC: true, containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1-abc
  namespace: a
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: r1, controller: true}]
spec: {hostIPC: true, containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver-node1
  namespace: kube-system
  ownerReferences: [{apiVersion: v1, kind: Node, name: node1, uid: n1, controller: true}]
spec: {hostNetwork: true, containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: orphan-xyz
  namespace: a
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: gone, uid: r9, controller: true}]
spec: {hostPID: true, containers: [{name: c, image: x}]}
`
	snap := kube.NewManifestSnapshot("inline")
	if err := kube.ParseManifest("objs.yaml", []byte(objs), snap); err != nil {
		t.Fatal(err)
	}
	res, err := Check(context.Background(), snap, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		if f.ID == "PS002" {
			got = append(got, f.Resource.Kind+"/"+f.Resource.Name+" "+f.Location.Field)
		}
	}
	slices.Sort(got)
	want := []string{"Deployment/web spec.template.spec.hostIPC", "Pod/kube-apiserver-node1 spec.hostNetwork", "Pod/orphan-xyz spec.hostPID"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PS002 findings mismatch (-want +got):\n%s", diff)
	}
}
