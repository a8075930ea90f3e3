package rbac_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/kubetest"
	"github.com/rampartsec/rampart/internal/rbac"
	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

const fixtureDir = "testdata/fixture"

// request is one question put both to Rampart and to the API server.
type request struct {
	user rbac.User
	attr rbac.Attributes
}

func (r request) String() string {
	a := r.attr
	if a.Path != "" {
		return fmt.Sprintf("%s%v %s %s", r.user.Name, r.user.Groups, a.Verb, a.Path)
	}
	return fmt.Sprintf("%s%v %s %s.%s/%s name=%q ns=%q", r.user.Name, r.user.Groups, a.Verb, a.Resource, a.APIGroup, a.Subresource, a.Name, a.Namespace)
}

// sar asks the API server's authorizer through a SubjectAccessReview.
func sar(ctx context.Context, cs kubernetes.Interface, r request) (bool, error) {
	spec := authzv1.SubjectAccessReviewSpec{User: r.user.Name, Groups: r.user.Groups}
	if r.attr.Path != "" {
		spec.NonResourceAttributes = &authzv1.NonResourceAttributes{Path: r.attr.Path, Verb: r.attr.Verb}
	} else {
		a := r.attr
		spec.ResourceAttributes = &authzv1.ResourceAttributes{Namespace: a.Namespace, Verb: a.Verb, Group: a.APIGroup,
			Resource: a.Resource, Subresource: a.Subresource, Name: a.Name}
	}
	got, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return got.Status.Allowed, nil
}

// sarAll answers every request with a SubjectAccessReview, eight at a time.
func sarAll(t *testing.T, cs kubernetes.Interface, reqs []request) []bool {
	t.Helper()
	out := make([]bool, len(reqs))
	errs := make(chan error, len(reqs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ok, err := sar(context.Background(), cs, reqs[i])
				if err != nil {
					errs <- fmt.Errorf("%s: %w", reqs[i], err)
					continue
				}
				out[i] = ok
			}
		}()
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("SubjectAccessReview: %v", err)
	}
	return out
}

// users are the identities of the comparison, with the groups the authenticators would give them.
func users() []rbac.User {
	u := []rbac.User{
		rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: "rbt-alice"}),
		rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: "rbt-alice"}, "rbt-devs"),
		rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: "rbt-bob"}),
		rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: "rbt-bob"}, "rbt-ops"),
		rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: "rbt-carol"}),
		rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: "rbt-dave"}),
		rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: "rbt-erin"}),
		rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: "rbt-frank"}),
		rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: "rbt-gina"}),
		rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: "rbt-nobody"}),
		rbac.UserFor(rbac.Subject{Kind: rbac.KindUser, Name: rbac.UserAnonymous}),
		rbac.UserFor(rbac.ServiceAccount("rbt-alpha", "app")),
		rbac.UserFor(rbac.ServiceAccount("rbt-alpha", "default")),
		rbac.UserFor(rbac.ServiceAccount("rbt-alpha", "admin-bot")),
		rbac.UserFor(rbac.ServiceAccount("rbt-beta", "ci")),
		rbac.UserFor(rbac.ServiceAccount("rbt-beta", "app")),
		rbac.UserFor(rbac.ServiceAccount("kube-system", "replicaset-controller")),
	}
	return u
}

type res struct{ group, resource, sub string }

var (
	verbs     = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate"}
	resources = []res{
		{"", "pods", ""}, {"", "pods", "exec"}, {"", "pods", "attach"}, {"", "pods", "log"}, {"", "secrets", ""},
		{"", "configmaps", ""}, {"", "services", ""}, {"apps", "deployments", ""}, {"apps", "deployments", "scale"},
		{"apps", "statefulsets", "scale"}, {"", "replicationcontrollers", "scale"}, {"rbac.authorization.k8s.io", "roles", ""},
		{"rbac.authorization.k8s.io", "clusterroles", ""}, {"", "users", ""}, {"", "serviceaccounts", "token"},
		{"", "nodes", "proxy"}, {"", "nodes", ""}, {"example.com", "widgets", ""}, {"batch", "jobs", ""},
	}
	names      = []string{"", "db-creds", "web", "rbt-bob", "other"}
	namespaces = []string{"", "rbt-alpha", "rbt-beta", "default"}
	paths      = []string{"/rbt-metrics", "/rbt-logs/a", "/rbt-logs", "/rbt/x", "/rbt", "/healthz", "/api", "/version", "/metrics"}
)

// attributes returns n pseudo-random resource requests (fixed seed) plus every non-resource one.
func attributes(n int) []rbac.Attributes {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []rbac.Attributes
	for range n {
		r := resources[rng.IntN(len(resources))]
		out = append(out, rbac.Attributes{
			Verb: verbs[rng.IntN(len(verbs))], APIGroup: r.group, Resource: r.resource, Subresource: r.sub,
			Name: names[rng.IntN(len(names))], Namespace: namespaces[rng.IntN(len(namespaces))],
		})
	}
	for _, p := range paths {
		for _, v := range []string{"get", "post"} {
			out = append(out, rbac.Attributes{Verb: v, Path: p})
		}
	}
	return out
}

// applyFixture creates the fixture's objects (replacing leftovers) and removes them when the test ends.
func applyFixture(t *testing.T, cs kubernetes.Interface) *kube.Snapshot {
	t.Helper()
	ctx := context.Background()
	fx, err := kube.LoadManifests(ctx, fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range fx.Namespaces {
		// A namespace of an earlier run may still be terminating.
		deadline := time.Now().Add(90 * time.Second)
		for {
			got, err := cs.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				if _, err := cs.CoreV1().Namespaces().Create(ctx, &ns, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
				break
			}
			if err == nil && got.DeletionTimestamp == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("namespace %s still terminating", ns.Name)
			}
			time.Sleep(time.Second)
		}
	}
	del := func() {
		for _, o := range fx.ClusterRoleBindings {
			_ = cs.RbacV1().ClusterRoleBindings().Delete(ctx, o.Name, metav1.DeleteOptions{})
		}
		for _, o := range fx.ClusterRoles {
			_ = cs.RbacV1().ClusterRoles().Delete(ctx, o.Name, metav1.DeleteOptions{})
		}
		for _, o := range fx.RoleBindings {
			_ = cs.RbacV1().RoleBindings(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{})
		}
		for _, o := range fx.Roles {
			_ = cs.RbacV1().Roles(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{})
		}
	}
	del()
	t.Cleanup(func() {
		del()
		for _, ns := range fx.Namespaces {
			_ = cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
		}
	})
	create := func(what string, err error) {
		t.Helper()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create %s: %v", what, err)
		}
	}
	for _, o := range fx.ServiceAccounts {
		_, err := cs.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
		create("serviceaccount "+o.Name, err)
	}
	for _, o := range fx.ClusterRoles {
		_, err := cs.RbacV1().ClusterRoles().Create(ctx, &o, metav1.CreateOptions{})
		create("clusterrole "+o.Name, err)
	}
	for _, o := range fx.Roles {
		_, err := cs.RbacV1().Roles(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
		create("role "+o.Name, err)
	}
	for _, o := range fx.ClusterRoleBindings {
		_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &o, metav1.CreateOptions{})
		create("clusterrolebinding "+o.Name, err)
	}
	for _, o := range fx.RoleBindings {
		_, err := cs.RbacV1().RoleBindings(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
		create("rolebinding "+o.Name, err)
	}
	for _, o := range fx.Deployments {
		_, err := cs.AppsV1().Deployments(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
		create("deployment "+o.Name, err)
	}
	for _, o := range fx.Pods {
		_, err := cs.CoreV1().Pods(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
		create("pod "+o.Name, err)
	}
	// The controller-manager fills the aggregated roles: rbt-agg from two roles (one rule each),
	// rbt-agg2 from rbt-agg's two and rbt-extra's two.
	want := map[string]int{"rbt-agg": 2, "rbt-agg2": 4}
	deadline := time.Now().Add(60 * time.Second)
	for name, n := range want {
		for {
			cr, err := cs.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			if err == nil && len(cr.Rules) == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("kube-controller-manager did not aggregate %s to %d rules (is it running?): %v", name, n, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Wait for the Deployment's ReplicaSet to have made its pod (Pending: no scheduler), so that
	// the snapshot holds owned objects that must be reported through their Deployment.
	for {
		pods, err := cs.CoreV1().Pods("rbt-alpha").List(ctx, metav1.ListOptions{LabelSelector: "app=bot"})
		if err == nil && len(pods.Items) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pod of Deployment rbt-alpha/bot (is kube-controller-manager running?): %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fx
}

// dumpForManifests writes the live cluster's RBAC objects that the fixture does not hold (the
// bootstrap roles, bindings) as a List file, with every aggregated ClusterRole's rules removed so
// that aggregation has to be computed from the files, and returns a directory also holding the
// fixture's files.
func dumpForManifests(t *testing.T, live *kube.Snapshot, fx *kube.Snapshot) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"rbac.yaml", "workloads.yaml"} {
		b, err := os.ReadFile(filepath.Join(fixtureDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inFixture := map[string]bool{}
	for _, o := range fx.ClusterRoles {
		inFixture["ClusterRole/"+o.Name] = true
	}
	for _, o := range fx.ClusterRoleBindings {
		inFixture["ClusterRoleBinding/"+o.Name] = true
	}
	for _, o := range fx.Roles {
		inFixture["Role/"+o.Namespace+"/"+o.Name] = true
	}
	for _, o := range fx.RoleBindings {
		inFixture["RoleBinding/"+o.Namespace+"/"+o.Name] = true
	}
	var items []any
	for _, o := range live.ClusterRoles {
		if inFixture["ClusterRole/"+o.Name] {
			continue
		}
		o.APIVersion, o.Kind = "rbac.authorization.k8s.io/v1", "ClusterRole"
		if o.AggregationRule != nil {
			o.Rules = nil
		}
		items = append(items, o)
	}
	for _, o := range live.ClusterRoleBindings {
		if !inFixture["ClusterRoleBinding/"+o.Name] {
			o.APIVersion, o.Kind = "rbac.authorization.k8s.io/v1", "ClusterRoleBinding"
			items = append(items, o)
		}
	}
	for _, o := range live.Roles {
		if !inFixture["Role/"+o.Namespace+"/"+o.Name] {
			o.APIVersion, o.Kind = "rbac.authorization.k8s.io/v1", "Role"
			items = append(items, o)
		}
	}
	for _, o := range live.RoleBindings {
		if !inFixture["RoleBinding/"+o.Namespace+"/"+o.Name] {
			o.APIVersion, o.Kind = "rbac.authorization.k8s.io/v1", "RoleBinding"
			items = append(items, o)
		}
	}
	b, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cluster-rbac.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLiveMatchesSubjectAccessReview is the truth test: for hundreds of subject × verb × resource
// × name × namespace combinations (and non-resource URLs), Rampart's answer from the live
// snapshot and from the same objects read as manifests must equal the API server's own
// SubjectAccessReview.
func TestLiveMatchesSubjectAccessReview(t *testing.T) {
	env := kubetest.Load(t)
	cs := env.Clientset(t, kubetest.Admin)
	fx := applyFixture(t, cs)
	ctx := context.Background()
	live, err := kube.LoadClusterREST(ctx, env.RESTConfig(t, kubetest.Admin), "admin", kube.ClusterConfig{PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(live.Gaps) > 0 {
		t.Fatalf("admin snapshot has gaps: %v", live.Gaps)
	}
	manifests, err := kube.LoadManifests(ctx, dumpForManifests(t, live, fx))
	if err != nil {
		t.Fatal(err)
	}
	policies := map[string]*rbac.Policy{"live": rbac.Resolve(live), "manifests": rbac.Resolve(manifests)}

	attrs := attributes(220)
	var reqs []request
	for _, u := range users() {
		for _, a := range attrs {
			reqs = append(reqs, request{u, a})
		}
	}
	truth := sarAll(t, cs, reqs)
	allowed := 0
	for _, ok := range truth {
		if ok {
			allowed++
		}
	}
	t.Logf("%d SubjectAccessReviews, %d allowed", len(reqs), allowed)
	// Both answers must be well represented, or the comparison proves little.
	if allowed < 200 || len(reqs)-allowed < 200 {
		t.Fatalf("fixture too one-sided: %d allowed of %d", allowed, len(reqs))
	}
	for name, p := range policies {
		bad := 0
		for i, r := range reqs {
			if got := p.Allows(r.user, r.attr); got != truth[i] {
				bad++
				if bad <= 15 {
					t.Errorf("%s: %s: Rampart says allowed=%v, SubjectAccessReview says %v", name, r, got, truth[i])
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d answers differ", name, bad, len(reqs))
		}
	}

	// who-can: every subject any binding names is asked on its own (a group through a member
	// with no other identity); the subjects allowed must be exactly those who-can lists.
	candidates := policies["live"].Subjects()
	candidates = append(candidates, rbac.Subject{Kind: rbac.KindUser, Name: "rbt-nobody"})
	probe := func(s rbac.Subject) rbac.User {
		switch s.Kind {
		case rbac.KindGroup:
			return rbac.User{Name: "rbt-probe", Groups: []string{s.Name}}
		case rbac.KindServiceAccount:
			return rbac.User{Name: s.String()}
		}
		return rbac.User{Name: s.Name}
	}
	whoAttrs := attributes(40)
	var wreqs []request
	for _, a := range whoAttrs {
		for _, s := range candidates {
			wreqs = append(wreqs, request{probe(s), a})
		}
	}
	wtruth := sarAll(t, cs, wreqs)
	for ai, a := range whoAttrs {
		var want []rbac.Subject
		for si, s := range candidates {
			if wtruth[ai*len(candidates)+si] {
				want = append(want, s)
			}
		}
		rbac.SortSubjects(want)
		for name, p := range policies {
			got := p.WhoCan(a)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: who-can %+v (-SubjectAccessReview +Rampart):\n%s", name, a, diff)
			}
		}
	}
	t.Logf("who-can compared for %d requests over %d candidate subjects", len(whoAttrs), len(candidates))

	// Risk findings of the fixture's bindings are the same from the cluster and from files. On
	// the cluster the controller-manager has made ReplicaSets and pods of the Deployments: they
	// must be reported through their Deployment, as the files (which have no such pods) do.
	riskKeys := func(s *kube.Snapshot, p *rbac.Policy) []string {
		var out []string
		for _, f := range p.Risks(s, rbac.RiskOptions{}).Findings {
			if !strings.Contains(f.Extra["binding"], "rbt-") || f.Resource.Name == rbac.GroupAuthenticated {
				continue // system:authenticated holds every workload of the cluster, other tests' too
			}
			out = append(out, strings.Join([]string{f.ID, string(f.Severity), f.Resource.Kind, f.Resource.Namespace, f.Resource.Name,
				f.Extra["binding"], f.Extra["role"], f.Extra["scope"], f.Extra["workloads"]}, " | "))
		}
		slices.Sort(out)
		return out
	}
	liveRisks := riskKeys(live, policies["live"])
	// The live cluster's checks are control results like the files' (its own bindings differ).
	checkControls(t, policies["live"].Risks(live, rbac.RiskOptions{}))
	if diff := cmp.Diff(riskKeys(manifests, policies["manifests"]), liveRisks); diff != "" {
		t.Errorf("risk findings (-manifests +live):\n%s", diff)
	}
	for _, want := range []string{
		"RB001 | CRITICAL | ServiceAccount | rbt-alpha | admin-bot | ClusterRoleBinding/rbt-admin-sa | ClusterRole/cluster-admin | cluster-wide | Deployment/rbt-alpha/bot",
		"RB005 | HIGH | Group |  | system:serviceaccounts:rbt-beta | RoleBinding/rbt-beta/reader | Role/rbt-beta/reader | namespace rbt-beta | Pod/rbt-beta/runner",
	} {
		if !slices.Contains(liveRisks, want) {
			t.Errorf("live risks lack %q", want)
		}
	}

	// The aggregated fixture roles computed from files equal what the controller-manager stored.
	for _, name := range []string{"rbt-agg", "rbt-agg2", "admin", "edit", "view"} {
		var liveRules, fileRules []rbacv1.PolicyRule
		for _, g := range policies["live"].Grants() {
			if g.Role.Name == name && g.Binding.Name != "" && g.Role.Kind == "ClusterRole" {
				liveRules = append(liveRules, g.Rule)
			}
		}
		for _, g := range policies["manifests"].Grants() {
			if g.Role.Name == name && g.Role.Kind == "ClusterRole" {
				fileRules = append(fileRules, g.Rule)
			}
		}
		if !slices.EqualFunc(liveRules, fileRules, func(a, b rbacv1.PolicyRule) bool { return cmp.Equal(a, b) }) && len(liveRules) > 0 {
			t.Errorf("aggregated %s: cluster and computed rules differ:\n%s", name, cmp.Diff(liveRules, fileRules))
		}
	}
}
