package graph

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampartsec/rampart/internal/kube"
)

// Two controllers of the same kind and name in different namespaces are two workloads: each
// namespace's ReplicaSet and pods join their own Deployment, never the other namespace's.
func TestSameNameControllersInTwoNamespaces(t *testing.T) {
	tmpl := func(priv bool) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: podSpec(priv, "")}
	}
	// Namespace "a" runs a privileged web, "b" an unprivileged one of the same name.
	snap := &kube.Snapshot{
		Deployments: []appsv1.Deployment{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "web"}, Spec: appsv1.DeploymentSpec{Template: tmpl(true)}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "web"}, Spec: appsv1.DeploymentSpec{Template: tmpl(false)}},
		},
		ReplicaSets: []appsv1.ReplicaSet{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "web-1", OwnerReferences: controlledBy("Deployment", "web")}, Spec: appsv1.ReplicaSetSpec{Template: tmpl(true)}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "web-1", OwnerReferences: controlledBy("Deployment", "web")}, Spec: appsv1.ReplicaSetSpec{Template: tmpl(false)}},
		},
		Pods: []corev1.Pod{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "web-1-x", OwnerReferences: controlledBy("ReplicaSet", "web-1")}, Spec: podSpec(true, "node-a")},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "web-1-x", OwnerReferences: controlledBy("ReplicaSet", "web-1")}, Spec: podSpec(false, "node-b")},
		},
	}
	g, err := Build(Input{Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	var workloads, edges []string
	for _, id := range g.workloads {
		workloads = append(workloads, g.Nodes[id].Ref().String())
	}
	for _, e := range g.Edges {
		switch e.Kind {
		case EdgeRuns, EdgeEscapesToNode, EdgeScheduledOn:
			if k := g.Nodes[e.From].Kind; k == KindWorkload || k == KindPod {
				edges = append(edges, g.Nodes[e.From].Ref().String()+" -"+string(e.Kind)+"-> "+g.Nodes[e.To].Ref().String())
			}
		}
	}
	slices.Sort(workloads)
	slices.Sort(edges)
	if diff := cmp.Diff([]string{"Workload(Deployment) a/web", "Workload(Deployment) b/web"}, workloads); diff != "" {
		t.Errorf("workloads (-want +got):\n%s", diff)
	}
	want := []string{
		"Pod a/web-1-x -scheduled-on-> Node node-a",
		"Pod b/web-1-x -scheduled-on-> Node node-b",
		"Workload(Deployment) a/web -escapes-to-node-> Node *",
		"Workload(Deployment) a/web -escapes-to-node-> Node node-a",
		"Workload(Deployment) a/web -runs-> Pod a/web-1-x",
		"Workload(Deployment) b/web -runs-> Pod b/web-1-x",
	}
	if diff := cmp.Diff(want, edges); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}
