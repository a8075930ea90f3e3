package kube

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A controller is named in its workload's namespace: two Deployments "web" in two namespaces
// are two owners, each equal to its own workload's Ref. A non-controlling owner is no controller.
func TestWorkloadController(t *testing.T) {
	yes, no := true, false
	owned := func(ns, name, owner string, controller *bool) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: ns, Name: name,
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: owner, Controller: controller}}}
	}
	s := &Snapshot{
		Deployments: []appsv1.Deployment{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "web"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "web"}},
		},
		ReplicaSets: []appsv1.ReplicaSet{
			{ObjectMeta: owned("a", "web-1", "web", &yes)},
			{ObjectMeta: owned("b", "web-1", "web", &yes)},
			{ObjectMeta: owned("b", "loose", "web", &no)},
		},
		Pods: []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "bare"}}},
	}
	refs := map[Ref]bool{}
	var got []string
	for _, w := range s.Workloads() {
		refs[w.Ref()] = true
		owner, ok := w.Controller()
		if ok != w.Owned {
			t.Errorf("%s: Controller ok=%v, Owned=%v", w.Ref(), ok, w.Owned)
		}
		if ok {
			if !refs[owner] {
				t.Errorf("%s: controller %s is not the Ref of a workload listed before it", w.Ref(), owner)
			}
			got = append(got, w.Ref().String()+" -> "+owner.String())
		}
	}
	want := []string{"ReplicaSet/a/web-1 -> Deployment/a/web", "ReplicaSet/b/web-1 -> Deployment/b/web"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("controllers (-want +got):\n%s", diff)
	}
}
