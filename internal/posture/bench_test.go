package posture

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ktypes "k8s.io/apimachinery/pkg/types"

	"github.com/rampartsec/rampart/internal/kube"
)

// clusterOf builds a snapshot of n Deployments, each with a ReplicaSet and two pods (reported
// through the Deployment), spread over 50 namespaces, with the fixture pods' specs in turn.
func clusterOf(b *testing.B, n int) *kube.Snapshot {
	pods := loadPods(b)
	s := kube.NewManifestSnapshot("bench")
	yes := true
	for i := 0; i < n; i++ {
		ns := fmt.Sprintf("ns-%d", i%50)
		spec := pods[i%len(pods)].Spec
		name := fmt.Sprintf("app-%d", i)
		d := appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: ktypes.UID(fmt.Sprint("d", i))}}
		d.Spec.Template.Spec = spec
		rs := appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name + "-1", Namespace: ns, UID: ktypes.UID(fmt.Sprint("r", i)),
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: name, UID: d.UID, Controller: &yes}}}}
		rs.Spec.Template.Spec = spec
		s.Deployments = append(s.Deployments, d)
		s.ReplicaSets = append(s.ReplicaSets, rs)
		for j := 0; j < 2; j++ {
			s.Pods = append(s.Pods, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-1-%d", name, j), Namespace: ns,
				OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes}}}, Spec: spec})
		}
	}
	for i := 0; i < 50; i++ {
		s.Namespaces = append(s.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns-%d", i),
			Labels: map[string]string{"pod-security.kubernetes.io/enforce": []string{"baseline", "restricted"}[i%2]}}})
	}
	return s
}

// BenchmarkCheck measures a 20,000-workload cluster (5,000 Deployments, their ReplicaSets and
// 10,000 pods).
func BenchmarkCheck(b *testing.B) {
	s := clusterOf(b, 5000)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		res, err := Check(context.Background(), s, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(res.Findings)
	}
	b.ReportMetric(float64(n), "findings")
	b.ReportMetric(float64(len(s.Deployments)+len(s.ReplicaSets)+len(s.Pods))*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}
