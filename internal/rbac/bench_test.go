package rbac_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/rbac"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// synthetic builds a cluster of pods spread over namespaces, each namespace with five service
// accounts, two Roles and bindings/namespaces RoleBindings to a mix of Roles, ClusterRoles,
// service accounts, users and groups, plus 50 ClusterRoles (10 aggregated) and 100
// ClusterRoleBindings.
func synthetic(namespaces, pods, bindings int) *kube.Snapshot {
	s := &kube.Snapshot{Source: kube.SourceManifests}
	rules := [][]rbacv1.PolicyRule{
		{{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: []string{"get", "list", "watch"}}},
		{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}},
		{{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets"}, Verbs: []string{"create", "update", "patch"}}},
		{{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/attach"}, Verbs: []string{"create", "get"}}},
		{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
		{{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"app-config"}, Verbs: []string{"get", "update"}}},
	}
	for i := range 50 {
		cr := rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cr-%d", i), Labels: map[string]string{"agg": fmt.Sprint(i % 10)}},
			Rules: rules[i%len(rules)]}
		if i < 10 {
			cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": fmt.Sprint(i)}}}}
			cr.Rules = nil
		}
		s.ClusterRoles = append(s.ClusterRoles, cr)
	}
	for i := range 100 {
		s.ClusterRoleBindings = append(s.ClusterRoleBindings, rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crb-%d", i)},
			RoleRef:    rbacv1.RoleRef{Kind: "ClusterRole", Name: fmt.Sprintf("cr-%d", i%50)},
			Subjects:   []rbacv1.Subject{{Kind: "User", Name: fmt.Sprintf("user-%d", i)}, {Kind: "ServiceAccount", Namespace: fmt.Sprintf("ns-%d", i%namespaces), Name: "sa-0"}},
		})
	}
	for n := range namespaces {
		ns := fmt.Sprintf("ns-%d", n)
		s.Namespaces = append(s.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		for i := range 5 {
			s.ServiceAccounts = append(s.ServiceAccounts, corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("sa-%d", i)}})
		}
		for i := range 2 {
			s.Roles = append(s.Roles, rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("role-%d", i)}, Rules: rules[(n+i)%len(rules)]})
		}
	}
	for i := range pods {
		ns := fmt.Sprintf("ns-%d", i%namespaces)
		s.Pods = append(s.Pods, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("pod-%d", i)},
			Spec: corev1.PodSpec{ServiceAccountName: fmt.Sprintf("sa-%d", i%5), Containers: []corev1.Container{{Name: "c", Image: "app:1"}}}})
	}
	for i := range bindings {
		ns := fmt.Sprintf("ns-%d", i%namespaces)
		ref := rbacv1.RoleRef{Kind: "Role", Name: fmt.Sprintf("role-%d", i%2)}
		if i%3 == 0 {
			ref = rbacv1.RoleRef{Kind: "ClusterRole", Name: fmt.Sprintf("cr-%d", i%50)}
		}
		var sub rbacv1.Subject
		switch i % 10 {
		case 0:
			sub = rbacv1.Subject{Kind: "Group", Name: "system:serviceaccounts:" + ns}
		case 1, 2, 3:
			sub = rbacv1.Subject{Kind: "User", Name: fmt.Sprintf("dev-%d", i%200)}
		default:
			sub = rbacv1.Subject{Kind: "ServiceAccount", Namespace: ns, Name: fmt.Sprintf("sa-%d", i%5)}
		}
		s.RoleBindings = append(s.RoleBindings, rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("rb-%d", i)},
			RoleRef: ref, Subjects: []rbacv1.Subject{sub}})
	}
	return s
}

// BenchmarkResolveAndRisks is the scale budget of docs/benchmarks.md: 30,000 pods in 500
// namespaces with 5,000 RoleBindings must resolve and report in ≤ 30 s and ≤ 1 GiB.
func BenchmarkResolveAndRisks(b *testing.B) {
	s := synthetic(500, 30000, 5000)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for b.Loop() {
		p := rbac.Resolve(s)
		rep := p.Risks(s, rbac.RiskOptions{})
		n = len(rep.Findings)
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(n), "findings")
	// Sys only grows: what the process took from the OS during the runs, snapshot included.
	b.ReportMetric(float64(after.Sys)/(1<<20), "sys-MiB")
	// The budget of the RBAC issue: 30 s and 1 GiB on the 2-core machine.
	if per := b.Elapsed() / time.Duration(b.N); per > 30*time.Second {
		b.Errorf("%v per run, budget 30s", per)
	}
	if after.Sys > 1<<30 {
		b.Errorf("%d MiB from the OS, budget 1 GiB", after.Sys>>20)
	}
}

// TestScale resolves the benchmark's workload once: resolution and the risk checks must work at
// that size and find something. Time and memory are BenchmarkResolveAndRisks' to measure.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	s := synthetic(500, 30000, 5000)
	rep := rbac.Resolve(s).Risks(s, rbac.RiskOptions{})
	t.Logf("%d findings", len(rep.Findings))
	if len(rep.Findings) == 0 {
		t.Error("no risky permissions in a snapshot built with cluster-admin bindings")
	}
}
