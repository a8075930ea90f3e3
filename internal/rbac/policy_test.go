package rbac_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/rbac"
	"github.com/rampartsec/rampart/internal/result"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var update = flag.Bool("update", false, "rewrite golden files")

func fixture(t testing.TB) (*kube.Snapshot, *rbac.Policy) {
	t.Helper()
	s, err := kube.LoadManifests(context.Background(), fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	return s, rbac.Resolve(s)
}

func user(name string, groups ...string) rbac.User {
	return rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: name}, groups...)
}

func sa(ns, name string) rbac.User { return rbac.UserFor(rbac.ServiceAccount(ns, name)) }

// TestAllows checks hand-worked answers for the fixture read from files (no bootstrap roles):
// each case names the rule of the RBAC authorizer it exercises.
func TestAllows(t *testing.T) {
	_, p := fixture(t)
	type A = rbac.Attributes
	tests := []struct {
		name string
		u    rbac.User
		a    A
		want bool
	}{
		{"aggregated twice, any namespace", user("rbt-alice"), A{Verb: "get", Resource: "pods", Namespace: "rbt-beta"}, true},
		{"aggregated subresource, cluster scope", user("rbt-alice"), A{Verb: "list", Resource: "pods", Subresource: "log"}, true},
		{"resourceNames match", user("rbt-alice"), A{Verb: "get", Resource: "secrets", Name: "db-creds", Namespace: "x"}, true},
		{"resourceNames need a name", user("rbt-alice"), A{Verb: "get", Resource: "secrets", Namespace: "x"}, false},
		{"resourceNames other name", user("rbt-alice"), A{Verb: "get", Resource: "secrets", Name: "other", Namespace: "x"}, false},
		{"aggregated from second role", user("rbt-alice"), A{Verb: "watch", APIGroup: "apps", Resource: "deployments", Namespace: "x"}, true},
		{"verb not granted", user("rbt-alice"), A{Verb: "list", APIGroup: "apps", Resource: "deployments", Namespace: "x"}, false},
		{"group mismatch", user("rbt-alice"), A{Verb: "watch", APIGroup: "extensions", Resource: "deployments", Namespace: "x"}, false},
		{"non-resource prefix", user("rbt-alice"), A{Verb: "get", Path: "/rbt/a/b"}, true},
		{"non-resource prefix needs the slash", user("rbt-alice"), A{Verb: "get", Path: "/rbt"}, false},
		{"group via RoleBinding in its namespace", rbac.User{Name: "x", Groups: []string{"rbt-devs"}}, A{Verb: "get", Resource: "pods", Namespace: "rbt-alpha"}, true},
		{"RoleBinding other namespace", rbac.User{Name: "x", Groups: []string{"rbt-devs"}}, A{Verb: "get", Resource: "pods", Namespace: "rbt-beta"}, false},
		{"RoleBinding never cluster scope", rbac.User{Name: "x", Groups: []string{"rbt-devs"}}, A{Verb: "get", Resource: "pods"}, false},
		{"SA subject without namespace takes the binding's", sa("rbt-alpha", "app"), A{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "rbt-alpha"}, true},
		{"Role only in its namespace", sa("rbt-alpha", "app"), A{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "rbt-beta"}, false},
		{"wildcard verb", sa("rbt-alpha", "app"), A{Verb: "deletecollection", Resource: "configmaps", Namespace: "rbt-alpha"}, true},
		{"subresource not implied", sa("rbt-alpha", "app"), A{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "rbt-alpha"}, false},
		{"SA of another namespace", sa("rbt-beta", "ci"), A{Verb: "create", Resource: "pods", Namespace: "rbt-alpha"}, true},
		{"implied group system:serviceaccounts:NS", sa("rbt-beta", "app"), A{Verb: "list", Resource: "secrets", Namespace: "rbt-beta"}, true},
		{"implied group, other namespace", sa("rbt-beta", "app"), A{Verb: "list", Resource: "secrets", Namespace: "rbt-alpha"}, false},
		{"*/scale", sa("rbt-beta", "app"), A{Verb: "update", APIGroup: "apps", Resource: "statefulsets", Subresource: "scale", Namespace: "q"}, true},
		{"*/scale not the resource", sa("rbt-beta", "app"), A{Verb: "update", APIGroup: "apps", Resource: "deployments", Namespace: "q"}, false},
		{"*/scale keeps the group", sa("rbt-beta", "app"), A{Verb: "update", Resource: "replicationcontrollers", Subresource: "scale", Namespace: "q"}, false},
		{"named service", user("rbt-bob"), A{Verb: "get", Resource: "services", Name: "web", Namespace: "rbt-beta"}, true},
		{"named service, list", user("rbt-bob"), A{Verb: "list", Resource: "services", Namespace: "rbt-beta"}, false},
		{"* resources and groups", user("rbt-bob", "rbt-ops"), A{Verb: "get", APIGroup: "example.com", Resource: "widgets", Subresource: "status", Name: "w"}, true},
		{"* resources, verb still limited", user("rbt-bob", "rbt-ops"), A{Verb: "list", Resource: "pods"}, false},
		{"exec create", user("rbt-carol"), A{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "rbt-beta"}, true},
		{"exec get", user("rbt-carol"), A{Verb: "get", Resource: "pods", Subresource: "exec", Namespace: "rbt-beta"}, false},
		{"cluster-scoped resource through a RoleBinding", user("rbt-carol"), A{Verb: "get", Resource: "nodes", Subresource: "proxy", Name: "n1"}, false},
		{"cluster-scoped resource through a ClusterRoleBinding", user("rbt-gina"), A{Verb: "get", Resource: "nodes", Subresource: "proxy", Name: "n1"}, true},
		{"impersonate named user", user("rbt-dave"), A{Verb: "impersonate", Resource: "users", Name: "rbt-bob"}, true},
		{"impersonate unnamed", user("rbt-dave"), A{Verb: "impersonate", Resource: "users"}, false},
		{"escalate", user("rbt-dave"), A{Verb: "escalate", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"}, true},
		{"unauthenticated", user(rbac.UserAnonymous), A{Verb: "delete", APIGroup: "example.com", Resource: "widgets", Namespace: "n"}, true},
		{"authenticated non-resource", user("rbt-nobody"), A{Verb: "get", Path: "/rbt-metrics"}, true},
		{"authenticated non-resource glob", user("rbt-nobody"), A{Verb: "get", Path: "/rbt-logs/x"}, true},
		{"non-resource verb", user("rbt-nobody"), A{Verb: "post", Path: "/rbt-metrics"}, false},
		{"binding to a missing role", user("rbt-erin"), A{Verb: "get", Resource: "pods", Namespace: "rbt-alpha"}, false},
		{"no group, no grant", rbac.User{Name: "rbt-nobody"}, A{Verb: "get", Path: "/rbt-metrics"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Allows(tt.u, tt.a); got != tt.want {
				t.Errorf("Allows(%v, %+v) = %v, want %v", tt.u, tt.a, got, tt.want)
			}
		})
	}
	want := []string{
		"ClusterRoleBinding/rbt-admin-sa refers to missing ClusterRole cluster-admin",
		"RoleBinding/rbt-alpha/missing-role refers to missing Role rbt-alpha/rbt-nonexistent",
		"RoleBinding/rbt-beta/view refers to missing ClusterRole view",
	}
	if diff := cmp.Diff(want, p.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestWhoCan(t *testing.T) {
	_, p := fixture(t)
	grp := func(n string) rbac.Subject { return rbac.Subject{Kind: rbac.KindGroup, Name: n} }
	usr := func(n string) rbac.Subject { return rbac.Subject{Kind: rbac.KindUser, Name: n} }
	tests := []struct {
		a    rbac.Attributes
		want []rbac.Subject
	}{
		{rbac.Attributes{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "rbt-alpha"},
			[]rbac.Subject{grp("rbt-devs"), grp("rbt-ops"), usr("rbt-alice")}},
		{rbac.Attributes{Verb: "list", Resource: "secrets", Namespace: "rbt-beta"},
			[]rbac.Subject{grp("system:serviceaccounts:rbt-beta"), usr("rbt-bob")}},
		{rbac.Attributes{Verb: "create", Resource: "pods", Namespace: "rbt-alpha"},
			[]rbac.Subject{rbac.ServiceAccount("rbt-alpha", "app"), rbac.ServiceAccount("rbt-beta", "ci")}},
		{rbac.Attributes{Verb: "create", Resource: "pods", Namespace: "rbt-beta"}, nil},
		{rbac.Attributes{Verb: "get", Path: "/rbt-logs/1"}, []rbac.Subject{grp("system:authenticated")}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, p.WhoCan(tt.a)); diff != "" {
			t.Errorf("WhoCan(%+v) (-want +got):\n%s", tt.a, diff)
		}
	}
}

// TestAggregationFromFiles: rbt-agg2 selects rbt-agg (itself aggregated) and rbt-extra; each
// grant names the role the rule really came from.
func TestAggregationFromFiles(t *testing.T) {
	_, p := fixture(t)
	var got []string
	for _, g := range p.For(user("rbt-alice")) {
		if g.Binding.Name == "rbt-agg2-alice" {
			got = append(got, g.Chain()+": "+rbac.FormatRule(&g.Rule))
		}
	}
	want := []string{
		"ClusterRoleBinding/rbt-agg2-alice → ClusterRole/rbt-agg2 (aggregated from ClusterRole/rbt-agg-pods): get,list pods,pods/log",
		"ClusterRoleBinding/rbt-agg2-alice → ClusterRole/rbt-agg2 (aggregated from ClusterRole/rbt-agg-secrets): get secrets names db-creds",
		"ClusterRoleBinding/rbt-agg2-alice → ClusterRole/rbt-agg2 (aggregated from ClusterRole/rbt-extra): get nonResourceURLs /rbt/*",
		"ClusterRoleBinding/rbt-agg2-alice → ClusterRole/rbt-agg2 (aggregated from ClusterRole/rbt-extra): watch deployments.apps",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alice's rbt-agg2 grants (-want +got):\n%s", diff)
	}
}

func TestRisksGolden(t *testing.T) {
	s, p := fixture(t)
	rep := p.Risks(s, rbac.RiskOptions{})
	got, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/risks.golden"
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.TrimSpace(string(want)), strings.TrimSpace(string(got))); diff != "" {
		t.Errorf("risks (-golden +got; rerun with -update after review):\n%s", diff)
	}
	checkControls(t, rep)
	// Independent of the golden file: the findings the fixture was written to produce.
	type key struct{ id, subject, scope, workloads string }
	have := map[key]bool{}
	for _, f := range rep.Findings {
		if f.Kind != finding.KindPermission {
			t.Errorf("%s: kind %q", f.ID, f.Kind)
		}
		sub := rbac.Subject{Kind: f.Resource.Kind, Namespace: f.Resource.Namespace, Name: f.Resource.Name}
		have[key{f.ID, sub.String(), f.Extra["scope"], f.Extra["workloads"]}] = true
	}
	for _, k := range []key{
		{"RB002", "group:system:unauthenticated", "cluster-wide", ""},
		{"RB003", "group:system:authenticated", "cluster-wide", "Deployment/rbt-alpha/bot, Deployment/rbt-alpha/web, Pod/rbt-beta/runner"},
		{"RB004", "group:rbt-ops", "cluster-wide", ""},
		{"RB004", "system:serviceaccount:rbt-alpha:app", "namespace rbt-alpha", "Deployment/rbt-alpha/web"},
		{"RB005", "group:system:serviceaccounts:rbt-beta", "namespace rbt-beta", "Pod/rbt-beta/runner"},
		{"RB006", "system:serviceaccount:rbt-beta:ci", "namespace rbt-alpha", "Pod/rbt-beta/runner"},
		{"RB007", "user:rbt-carol", "namespace rbt-beta", ""},
		{"RB008", "user:rbt-carol", "namespace rbt-beta", ""},
		{"RB009", "user:rbt-dave", "cluster-wide", ""},
		{"RB010", "user:rbt-carol", "namespace rbt-beta", ""},
		{"RB011", "user:rbt-gina", "cluster-wide", ""},
	} {
		if !have[k] {
			t.Errorf("missing finding %+v", k)
		}
	}
	// nodes are cluster-scoped: a RoleBinding cannot grant nodes/proxy.
	if have[key{"RB011", "user:rbt-carol", "namespace rbt-beta", ""}] {
		t.Error("nodes/proxy through a RoleBinding reported")
	}
	// get on one named secret is the remediation, not a finding.
	if have[key{"RB005", "user:rbt-alice", "cluster-wide", ""}] {
		t.Error("get on a named secret reported as RB005")
	}
	// The wildcard rule over example.com reports as RB004, not again as each implied check.
	for _, f := range rep.Findings {
		if f.Resource.Name == "rbt-ops" && f.ID != "RB004" {
			t.Errorf("wildcard-only grant also reported as %s", f.ID)
		}
	}
}

func TestRisksClusterAdminAndDefaults(t *testing.T) {
	s := &kube.Snapshot{
		ClusterRoles: []rbacv1.ClusterRole{{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin", Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin", Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}},
				RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: "system:masters"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "bot"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "ci", Name: "bot"}}},
		},
	}
	var got []string
	rep := rbac.Resolve(s).Risks(s, rbac.RiskOptions{})
	for _, f := range rep.Findings {
		got = append(got, f.ID+" "+string(f.Severity)+" "+f.Resource.Name+" "+f.Extra["binding"])
	}
	want := []string{"RB001 CRITICAL bot ClusterRoleBinding/bot", "RB004 CRITICAL bot ClusterRoleBinding/bot"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// cluster-admin's wildcard holds every rule check's permission: each fails, not a pass,
	// though only RB004 reports the grant.
	checkControls(t, rep)
	statuses := map[string]result.Status{}
	for _, c := range rep.Controls {
		statuses[c.Control] = c.Status
	}
	for _, id := range []string{"RB001", "RB004", "RB005", "RB006", "RB007", "RB009", "RB011", "RB013"} {
		if statuses[id] != result.StatusFail {
			t.Errorf("%s: %s under cluster-admin, want fail", id, statuses[id])
		}
	}
	for _, id := range []string{"RB002", "RB003"} {
		if statuses[id] != result.StatusPass {
			t.Errorf("%s: %s, want pass (nothing granted to those groups)", id, statuses[id])
		}
	}
	n := len(rbac.Resolve(s).Risks(s, rbac.RiskOptions{IncludeDefaults: true}).Findings)
	if n != 3 {
		t.Errorf("with defaults: %d findings, want 3 (system:masters' wildcard too)", n)
	}
}

// checkControls holds a report to the control model: one valid result.Control per check, in
// catalogue order; a check that fails has its findings counted (none only when the permission is
// held through wildcard rules alone, reported as RB004), one that passes has none, and the
// summary counts them.
func checkControls(t *testing.T, rep rbac.Report) {
	t.Helper()
	n := map[string]int{}
	for _, f := range rep.Findings {
		n[f.ID]++
	}
	if len(rep.Controls) != len(rbac.Checks()) {
		t.Fatalf("%d controls for %d checks", len(rep.Controls), len(rbac.Checks()))
	}
	for i, c := range rep.Controls {
		if err := c.Valid(); err != nil {
			t.Error(err)
		}
		if c.Control != rbac.Checks()[i].ID || c.Standard != rbac.Standard || c.Profile != rbac.Profile {
			t.Errorf("control %d: %s %s/%s, want %s", i, c.Control, c.Standard, c.Profile, rbac.Checks()[i].ID)
		}
		switch {
		case c.Findings != n[c.Control]:
			t.Errorf("%s: counts %d findings, the report has %d", c.Control, c.Findings, n[c.Control])
		case c.Status == result.StatusPass && n[c.Control] > 0, c.Status == result.StatusNotAssessed && n[c.Control] > 0:
			t.Errorf("%s: %s with %d findings", c.Control, c.Status, n[c.Control])
		case c.Status == result.StatusFail && n[c.Control] == 0 && (n["RB004"] == 0 || !strings.Contains(c.Evidence, "wildcard")):
			t.Errorf("%s: fails without a finding of its own nor a wildcard: %s", c.Control, c.Evidence)
		}
	}
	if diff := cmp.Diff(result.SummarizeControls(rep.Controls, nil), rep.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestRisksNotAssessed(t *testing.T) {
	s, _ := fixture(t)
	s.Gaps = []kube.Gap{{Verb: "list", Resource: "clusterrolebindings.rbac.authorization.k8s.io", Reason: "forbidden"}}
	rep := rbac.Resolve(s).Risks(s, rbac.RiskOptions{})
	checkControls(t, rep)
	if !result.NothingAssessed(rep.Controls) {
		t.Error("controls assessed from a snapshot without RBAC objects")
	}
	if len(rep.Findings) != 0 {
		t.Errorf("%d findings from an incomplete snapshot", len(rep.Findings))
	}
	if len(rep.NotAssessed) != len(rbac.Checks()) {
		t.Fatalf("not assessed: %v", rep.NotAssessed)
	}
	for _, na := range rep.NotAssessed {
		if !strings.Contains(na.Reason, "list clusterrolebindings.rbac.authorization.k8s.io") {
			t.Errorf("%s: reason %q does not name the missing permission", na.Check, na.Reason)
		}
	}
}

func TestParseSubjectAndResource(t *testing.T) {
	for in, want := range map[string]rbac.Subject{
		"system:serviceaccount:ns:app": rbac.ServiceAccount("ns", "app"),
		"serviceaccount:ns/app":        rbac.ServiceAccount("ns", "app"),
		"user:alice":                   {Kind: "User", Name: "alice"},
		"group:devs":                   {Kind: "Group", Name: "devs"},
		"bob":                          {Kind: "User", Name: "bob"},
	} {
		got, err := rbac.ParseSubject(in)
		if err != nil || got != want {
			t.Errorf("ParseSubject(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "system:serviceaccount:ns", "group:", "robot:x"} {
		if _, err := rbac.ParseSubject(bad); err == nil {
			t.Errorf("ParseSubject(%q) accepted", bad)
		}
	}
	for in, want := range map[string][3]string{
		"pods/exec":              {"", "pods", "exec"},
		"deployments":            {"apps", "deployments", ""},
		"deployments.apps/scale": {"apps", "deployments", "scale"},
		"widgets.example.com":    {"example.com", "widgets", ""},
		"*":                      {"*", "*", ""},
	} {
		g, r, s, err := rbac.ParseResource(in)
		if err != nil || [3]string{g, r, s} != want {
			t.Errorf("ParseResource(%q) = %q %q %q %v; want %q", in, g, r, s, err, want)
		}
	}
	if _, _, _, err := rbac.ParseResource("widgets"); err == nil {
		t.Error("ParseResource(widgets) accepted an unknown plain resource")
	}
}

// TestRisksWorkloadOwners: a pod is reported through its controller only when that controller is
// in the snapshot; an orphan (its ReplicaSet not listed) is reported itself.
func TestRisksWorkloadOwners(t *testing.T) {
	yes := true
	owned := func(kind, name string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{Kind: kind, Name: name, Controller: &yes}}
	}
	spec := corev1.PodSpec{ServiceAccountName: "web"}
	s := &kube.Snapshot{
		Deployments: []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}, Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}},
		ReplicaSets: []appsv1.ReplicaSet{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", OwnerReferences: owned("Deployment", "web")}, Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}},
		Pods: []corev1.Pod{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1-a", OwnerReferences: owned("ReplicaSet", "web-1")}, Spec: spec},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "old-b", OwnerReferences: owned("ReplicaSet", "old")}, Spec: spec},
		},
		Roles: []rbacv1.Role{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "r"}, Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}}}}},
		RoleBindings: []rbacv1.RoleBinding{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "b"}, RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "web"}}}},
	}
	fs := rbac.Resolve(s).Risks(s, rbac.RiskOptions{}).Findings
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1", len(fs))
	}
	if got, want := fs[0].Extra["workloads"], "Deployment/shop/web, Pod/shop/old-b"; got != want {
		t.Errorf("workloads %q, want %q", got, want)
	}
}
