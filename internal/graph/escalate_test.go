package graph

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampartsec/rampart/internal/kube"
)

// Privilege escalation through RBAC verbs other than reading secrets: impersonation, token
// requests, bind/escalate.
func TestRBACEscalation(t *testing.T) {
	rule := func(verbs, groups, res []string, names ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: res, ResourceNames: names}
	}
	sa := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "ServiceAccount", Namespace: "ns", Name: name}
	}
	rbacG := []string{"rbac.authorization.k8s.io"}
	snap := &kube.Snapshot{
		Namespaces: []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "ns"}}},
		ServiceAccounts: []corev1.ServiceAccount{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "admin"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "binder"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "masters"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "other-group"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "tokens"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "viewer"}},
		},
		ClusterRoles: []rbacv1.ClusterRole{
			{ObjectMeta: metav1.ObjectMeta{Name: "everything"}, Rules: []rbacv1.PolicyRule{rule([]string{"*"}, []string{"*"}, []string{"*"})}},
			{ObjectMeta: metav1.ObjectMeta{Name: "impersonate-masters"}, Rules: []rbacv1.PolicyRule{rule([]string{"impersonate"}, []string{""}, []string{"groups"}, "system:masters")}},
			{ObjectMeta: metav1.ObjectMeta{Name: "impersonate-devs"}, Rules: []rbacv1.PolicyRule{rule([]string{"impersonate"}, []string{""}, []string{"groups"}, "devs")}},
			{ObjectMeta: metav1.ObjectMeta{Name: "binder"}, Rules: []rbacv1.PolicyRule{rule([]string{"bind"}, rbacG, []string{"clusterroles"}), rule([]string{"create"}, rbacG, []string{"clusterrolebindings"})}},
			{ObjectMeta: metav1.ObjectMeta{Name: "bind-only"}, Rules: []rbacv1.PolicyRule{rule([]string{"bind"}, rbacG, []string{"clusterroles"})}},
		},
		Roles: []rbacv1.Role{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "tokens"}, Rules: []rbacv1.PolicyRule{rule([]string{"create"}, []string{""}, []string{"serviceaccounts/token"})}},
		},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			{ObjectMeta: metav1.ObjectMeta{Name: "admin"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "everything"}, Subjects: []rbacv1.Subject{sa("admin")}},
			{ObjectMeta: metav1.ObjectMeta{Name: "masters"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "impersonate-masters"}, Subjects: []rbacv1.Subject{sa("masters")}},
			{ObjectMeta: metav1.ObjectMeta{Name: "devs"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "impersonate-devs"}, Subjects: []rbacv1.Subject{sa("other-group")}},
			{ObjectMeta: metav1.ObjectMeta{Name: "binder"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "binder"}, Subjects: []rbacv1.Subject{sa("binder")}},
			{ObjectMeta: metav1.ObjectMeta{Name: "bind-only"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "bind-only"}, Subjects: []rbacv1.Subject{sa("viewer")}},
		},
		RoleBindings: []rbacv1.RoleBinding{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "tokens"}, RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "tokens"}, Subjects: []rbacv1.Subject{sa("tokens")}},
		},
	}
	g, err := Build(Input{Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	admins, err := g.Select(CrownClusterAdmin)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range g.WhoCanReach(admins) {
		if a.From.Kind != KindServiceAccount {
			continue
		}
		if a.From.Name == "tokens" {
			if len(a.Path) != 3 || a.Path[1].Name != "binder" && a.Path[1].Name != "masters" || a.Path[2].Name != systemMasters {
				t.Errorf("tokens path %s", pathString(a.Path))
			}
			continue
		}
		got[a.From.Name] = pathString(a.Path)
	}
	want := map[string]string{
		"admin":   "ServiceAccount ns/admin → Binding(ClusterRoleBinding) admin → ClusterRole everything",
		"masters": "ServiceAccount ns/masters → Group system:masters",
		"binder":  "ServiceAccount ns/binder → Group system:masters",
		// A token for another service account is as good as being it: binder's or masters's,
		// equally short (checked below).
		// other-group may impersonate only "devs", viewer may bind but not create bindings.
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("who reaches cluster-admin (-want +got):\n%s", diff)
	}
}

// A privileged controller escapes to the nodes its pods are scheduled on, as well as to "its
// node" for replicas not yet scheduled; an unprivileged one to none.
func TestEscapeToScheduledNodes(t *testing.T) {
	owner, spec := controlledBy, podSpec
	snap := &kube.Snapshot{
		DaemonSets: []appsv1.DaemonSet{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "agent"}, Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: spec(true, "")}}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "plain"}, Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: spec(false, "")}}},
		},
		Pods: []corev1.Pod{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "agent-a", OwnerReferences: owner("DaemonSet", "agent")}, Spec: spec(true, "node-a")},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "agent-b", OwnerReferences: owner("DaemonSet", "agent")}, Spec: spec(true, "node-b")},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "plain-a", OwnerReferences: owner("DaemonSet", "plain")}, Spec: spec(false, "node-a")},
		},
	}
	g, err := Build(Input{Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range g.Edges {
		if e.Kind == EdgeEscapesToNode {
			got = append(got, g.Nodes[e.From].Name+" → "+g.Nodes[e.To].Name)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"agent → *", "agent → node-a", "agent → node-b"}, got); diff != "" {
		t.Errorf("escape edges (-want +got):\n%s", diff)
	}
}

// controlledBy is the ownerReferences of an object controlled by kind/name.
func controlledBy(kind, name string) []metav1.OwnerReference {
	yes := true
	return []metav1.OwnerReference{{Kind: kind, Name: name, Controller: &yes}}
}

// podSpec is a pod spec of one container, privileged or not, scheduled on node ("" for none).
func podSpec(privileged bool, node string) corev1.PodSpec {
	c := corev1.Container{Name: "c", Image: "img"}
	if privileged {
		yes := true
		c.SecurityContext = &corev1.SecurityContext{Privileged: &yes}
	}
	return corev1.PodSpec{NodeName: node, Containers: []corev1.Container{c}}
}
