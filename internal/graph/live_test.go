package graph_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/rampartsec/rampart/internal/kubetest"
	"github.com/rampartsec/rampart/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.Cleanup()
	os.Exit(code)
}

type liveReport struct {
	Artifact struct {
		Digest string `json:"digest"`
	} `json:"artifact"`
	Findings []liveFinding `json:"findings"`
	raw      []byte
}

type liveFinding struct {
	Kind     string            `json:"kind"`
	Severity string            `json:"severity"`
	KEV      bool              `json:"kev"`
	EPSS     *float64          `json:"epss"`
	Extra    map[string]string `json:"extra"`
}

// wayIn says, from `rampart image` output alone, whether an image has a vulnerability that
// docs/graph.md counts as a way in: HIGH or CRITICAL, KEV-listed, EPSS ≥ 0.1, or a linked
// vulnerable Go symbol — and not one whose symbol is absent.
func (r *liveReport) wayIn() bool {
	for _, f := range r.Findings {
		if f.Kind != "vulnerability" || f.Extra["symbol"] == "absent" {
			continue
		}
		if f.Severity == "HIGH" || f.Severity == "CRITICAL" || f.KEV || f.EPSS != nil && *f.EPSS >= 0.1 || f.Extra["symbol"] == "present" {
			return true
		}
	}
	return false
}

func scanImage(t *testing.T, ref, db string) *liveReport {
	t.Helper()
	res := testenv.Run(t, nil, "--quiet", "image", "registry://"+ref, "--insecure", "--db-dir", db, "--scanners", "vuln,secret", "-f", "json")
	if res.Code != 0 {
		t.Fatalf("scan %s: %s", ref, res)
	}
	r := liveReport{raw: res.Stdout}
	if err := json.Unmarshal(res.Stdout, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// pushBaseImage builds an image (no network) and pushes it to the plain registry: Debian 12's
// os-release and no package, so no vulnerability and no way in. (It was the fixture's Debian
// base until the bundled data gave its packages CVSS ratings: several are HIGH, a way in.)
func pushBaseImage(t *testing.T, registry string) string {
	t.Helper()
	docker, err := exec.LookPath("docker")
	if err != nil {
		testenv.Missing(t, "docker is not installed")
	}
	dir := t.TempDir()
	osRelease := "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"
	if err := os.WriteFile(filepath.Join(dir, "os-release"), []byte(osRelease), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY os-release /etc/os-release\nLABEL org.rampart.test=graph\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := registry + "/rampart-test/graph-base:1"
	for _, args := range [][]string{{"build", "--network", "none", "-q", "-t", ref, dir}, {"push", ref}} {
		if out, err := exec.Command(docker, args...).CombinedOutput(); err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return ref
}

type liveIssue struct {
	Rule  string  `json:"rule"`
	Score float64 `json:"score"`
	Path  []struct {
		Kind      string `json:"kind"`
		Type      string `json:"type"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"path"`
}

func (is *liveIssue) hops() string {
	var s []string
	for _, p := range is.Path {
		n := p.Kind + ":"
		if p.Namespace != "" {
			n += p.Namespace + "/"
		}
		s = append(s, n+p.Name)
	}
	return strings.Join(s, " > ")
}

// TestLiveCluster loads a real API server with a small cluster holding known attack paths and
// known dead ends, runs `rampart graph` against it with real images from the registry, and checks
// the paths found, the dead ends missed, the score order and that one image digest is one node.
func TestLiveCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("real API server and registry")
	}
	env := testenv.Load(t)
	kenv := kubetest.Load(t)
	ctx := context.Background()
	cs := kenv.Clientset(t, kubetest.Admin)

	db := filepath.Join(t.TempDir(), "db")
	if res := testenv.Run(t, nil, "db", "import", "--db-dir", db, filepath.Join("..", "..", "data", "vulndb")); res.Code != 0 {
		t.Fatalf("db import: %s", res)
	}
	appRef := env.Registry.Plain + "/" + env.Registry.AppRepository + ":" + env.Registry.AppTag
	baseRef := pushBaseImage(t, env.Registry.Plain)
	app, base := scanImage(t, appRef, db), scanImage(t, baseRef, db)
	// The test's premise, from the image scanner's own output: the app image has a way in, the
	// base image (no package) has none.
	if !app.wayIn() || base.wayIn() {
		t.Fatalf("fixture premise broken: app way in %v (want true), base way in %v (want false)", app.wayIn(), base.wayIn())
	}
	appPinned := env.Registry.Plain + "/" + env.Registry.AppRepository + "@" + app.Artifact.Digest

	sfx := kubetest.Suffix(t)
	web := kenv.Namespace(t, "graph-web", nil)
	jewel := kenv.Namespace(t, "graph-jewel", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	mk := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	deploy := func(ns, name, sa, img string) {
		labels := map[string]string{"app": name}
		_, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: "main", Image: img}}}},
			}}, metav1.CreateOptions{})
		mk(err)
	}
	service := func(ns, name string, typ corev1.ServiceType) {
		_, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.ServiceSpec{Type: typ, Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Port: 8080}}}}, metav1.CreateOptions{})
		mk(err)
	}
	sa := func(ns, name string) {
		_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		mk(err)
	}
	crb := func(name, role, ns, saName string) {
		name += "-" + sfx
		_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: saName, Namespace: ns}}}, metav1.CreateOptions{})
		mk(err)
		t.Cleanup(func() {
			_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}

	// Path: the Internet → web (LoadBalancer; the app image has a way in) → its service account,
	// which may exec into ops → ops's service account is cluster-admin.
	sa(web, "web")
	deploy(web, "web", "web", appRef)
	service(web, "web", corev1.ServiceTypeLoadBalancer)
	_, err := cs.RbacV1().Roles(web).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "exec"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}}}}, metav1.CreateOptions{})
	mk(err)
	_, err = cs.RbacV1().RoleBindings(web).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "web-exec"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "exec"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "web", Namespace: web}}}, metav1.CreateOptions{})
	mk(err)
	sa(web, "ops")
	deploy(web, "ops", "ops", baseRef)
	crb("graph-ops", "cluster-admin", web, "ops")
	// The same app image by digest, unexposed: it must share the tag's image node.
	deploy(web, "pinned", "default", appPinned)
	// Dead end: api is exposed and its service account reads every secret, but its image (the
	// base) has no way in.
	sa(web, "api")
	deploy(web, "api", "api", baseRef)
	service(web, "api", corev1.ServiceTypeNodePort)
	crb("graph-api", "view", web, "api") // view reads no secrets
	_, err = cs.CoreV1().Secrets(jewel).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "vault"}, StringData: map[string]string{"k": "v"}}, metav1.CreateOptions{})
	mk(err)
	// NetworkPolicies (stored by the API server; no CNI needed): walled and opened are web's
	// twins, LoadBalancer Services included. A default deny isolates both; walled admits only
	// pods, so the Internet cannot reach it; opened admits 0.0.0.0/0 on its port, so its path
	// to cluster-admin stands.
	for _, name := range []string{"walled", "opened"} {
		deploy(web, name, "web", appRef)
		service(web, name, corev1.ServiceTypeLoadBalancer)
	}
	netpol := func(name string, sel map[string]string, ingress []networkingv1.NetworkPolicyIngressRule) {
		_, err := cs.NetworkingV1().NetworkPolicies(web).Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: sel},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, Ingress: ingress}}, metav1.CreateOptions{})
		mk(err)
	}
	netpol("deny-walled-opened", nil, nil)
	// deny-walled-opened selects every pod of the namespace: web, ops, pinned and api need their
	// own allowance to keep the paths above.
	for _, name := range []string{"web", "ops", "pinned", "api"} {
		netpol("allow-"+name, map[string]string{"app": name}, []networkingv1.NetworkPolicyIngressRule{{}})
	}
	netpol("walled-from-pods", map[string]string{"app": "walled"}, []networkingv1.NetworkPolicyIngressRule{
		{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}})
	port := intstr.FromInt32(8080)
	netpol("opened-from-anywhere", map[string]string{"app": "opened"}, []networkingv1.NetworkPolicyIngressRule{
		{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}},
			Ports: []networkingv1.NetworkPolicyPort{{Port: &port}}}})

	run := func(format string, extra ...string) string {
		args := append([]string{"--quiet", "graph", "--kubeconfig", kenv.Kubeconfig, "--context", kubetest.Admin,
			"--registry-insecure", "--db-dir", db, "--crown-jewel", jewel, "--format", format,
			// Only this test's namespaces: other tests' workloads name images nobody can pull.
			"--namespace", web + "," + jewel}, extra...)
		res := testenv.Run(t, nil, args...)
		if res.Code != 0 {
			t.Fatalf("rampart graph: %s", res)
		}
		return string(res.Stdout)
	}
	var out struct {
		Issues   []liveIssue    `json:"issues"`
		Stats    map[string]any `json:"stats"`
		Warnings []string       `json:"warnings"`
	}
	mk(json.Unmarshal([]byte(run("json")), &out))

	mine := func(is *liveIssue) bool { return strings.Contains(is.hops(), web+"/") }
	got := map[string][]*liveIssue{}
	for i := range out.Issues {
		is := &out.Issues[i]
		if !mine(is) {
			continue // other tests' objects share the cluster
		}
		got[is.Rule] = append(got[is.Rule], is)
		// Dead ends: no path from the Internet goes through api, nor through walled, which a
		// NetworkPolicy closes to the Internet.
		for _, dead := range []string{"api", "walled"} {
			if is.Path[0].Kind == "Internet" && strings.Contains(is.hops(), "Workload:"+web+"/"+dead) {
				t.Errorf("%s goes through the dead end %s: %s", is.Rule, dead, is.hops())
			}
		}
	}
	wantPaths := map[string]string{
		"RG004": fmt.Sprintf("Internet:internet > Service:%[1]s/web > Workload:%[1]s/web > ServiceAccount:%[1]s/web > Workload:%[1]s/ops > ServiceAccount:%[1]s/ops > Binding:graph-ops-%[2]s > ClusterRole:cluster-admin", web, sfx),
		// The NetworkPolicy admitting 0.0.0.0/0 keeps opened's own way in.
		"RG004 opened": fmt.Sprintf("Internet:internet > Service:%[1]s/opened > Workload:%[1]s/opened > ServiceAccount:%[1]s/web > Workload:%[1]s/ops > ServiceAccount:%[1]s/ops > Binding:graph-ops-%[2]s > ClusterRole:cluster-admin", web, sfx),
		// cluster-admin may create pods in the jewel namespace (reaching the namespace itself) as
		// surely as it may read its secret; the namespace wins the tie.
		"RG007": fmt.Sprintf("Internet:internet > Service:%[1]s/web > Workload:%[1]s/web > ServiceAccount:%[1]s/web > Workload:%[1]s/ops > ServiceAccount:%[1]s/ops > Namespace:%[2]s", web, jewel),
	}
	found := map[string]*liveIssue{}
	for key, want := range wantPaths {
		rule, _, _ := strings.Cut(key, " ")
		for _, is := range got[rule] {
			if is.hops() == want {
				found[key] = is
			}
		}
		if found[key] == nil {
			t.Errorf("%s path not reported: %s\nwarnings: %q", rule, want, out.Warnings)
			for _, is := range got[rule] {
				t.Logf("reported %s %v: %s", is.Rule, is.Score, is.hops())
			}
		}
	}
	if a, b := found["RG004"], found["RG007"]; a != nil && b != nil && a.Score <= b.Score {
		t.Errorf("RG004 score %v, want above RG007 %v (cluster-admin outranks one namespace)", a.Score, b.Score)
	}
	// No CRITICAL or KEV vulnerability in the app image according to the scanner means no RG001.
	critical := slices.ContainsFunc(app.Findings, func(f liveFinding) bool {
		return f.Kind == "vulnerability" && (f.Severity == "CRITICAL" || f.KEV) && f.Extra["symbol"] != "absent"
	})
	if _, ok := got["RG001"]; ok != critical {
		t.Errorf("RG001 reported %v, want %v (critical/KEV in the app image per rampart image)", ok, critical)
	}

	// One image node for the app digest, whichever reference the workloads use.
	type data struct {
		Key string `xml:"key,attr"`
		Val string `xml:",chardata"`
	}
	var gml struct {
		Nodes []struct {
			ID   string `xml:"id,attr"`
			Data []data `xml:"data"`
		} `xml:"graph>node"`
		Edges []struct {
			Source string `xml:"source,attr"`
			Target string `xml:"target,attr"`
			Data   []data `xml:"data"`
		} `xml:"graph>edge"`
	}
	mk(xml.Unmarshal([]byte(run("graphml")), &gml))
	get := func(ds []data, key string) string {
		for _, d := range ds {
			if d.Key == key {
				return d.Val
			}
		}
		return ""
	}
	images := 0
	names := map[string]string{}
	walledBlocked := ""
	for _, n := range gml.Nodes {
		kind, name := get(n.Data, "kind"), get(n.Data, "name")
		names[n.ID] = kind + ":" + get(n.Data, "namespace") + "/" + name
		if names[n.ID] == "Workload:"+web+"/walled" {
			walledBlocked = get(n.Data, "attrs")
		}
		if kind == "Image" && strings.HasSuffix(name, "@"+app.Artifact.Digest) {
			images++
		}
	}
	if images != 1 {
		t.Errorf("%d image nodes for the app digest %s, want 1", images, app.Artifact.Digest)
	}
	// api really is exposed — the Internet reaches its Service, which routes to it — and the
	// route is no attack step (no likelihood): that is what makes it a dead end.
	exposed, routed := false, false
	walledExposed, walledRouted, openedRouted := false, false, false
	for _, e := range gml.Edges {
		from, to, kind := names[e.Source], names[e.Target], get(e.Data, "ekind")
		switch {
		case kind == "exposes" && from == "Internet:/internet" && to == "Service:"+web+"/walled":
			walledExposed = true
		case kind == "routes-to" && to == "Workload:"+web+"/walled":
			walledRouted = true
		case kind == "routes-to" && from == "Service:"+web+"/opened" && to == "Workload:"+web+"/opened":
			openedRouted = strings.Contains(get(e.Data, "evidence"), "NetworkPolicy "+web+"/opened-from-anywhere ingress[0] admits the Internet")
		case kind == "exposes" && from == "Internet:/internet" && to == "Service:"+web+"/api":
			exposed = true
		case kind == "routes-to" && from == "Service:"+web+"/api" && to == "Workload:"+web+"/api":
			routed = true
			if p := get(e.Data, "p"); p != "" {
				t.Errorf("route to the dead end api has likelihood %s", p)
			}
		}
	}
	if !exposed || !routed {
		t.Errorf("api exposed %v, routed %v: want both", exposed, routed)
	}
	// walled's Service is still exposed, but the route into it is gone, and the workload says why.
	if !walledExposed || walledRouted || !openedRouted {
		t.Errorf("walled exposed %v (want true), routed %v (want false); opened routed by its policy %v (want true)", walledExposed, walledRouted, openedRouted)
	}
	if !strings.Contains(walledBlocked, "netpol-blocked=Service(LoadBalancer) "+web+"/walled: the Internet: isolated for ingress by NetworkPolicy") {
		t.Errorf("walled attrs %q: want netpol-blocked naming its Service and the policies", walledBlocked)
	}

	// A user who may list nothing gets a graph of what it could read and says what it could not.
	res := testenv.Run(t, nil, "--quiet", "graph", "--kubeconfig", kenv.Kubeconfig, "--context", kubetest.LowPriv, "--no-images", "--format", "json")
	var low struct {
		Warnings []string `json:"warnings"`
	}
	if res.Code != 0 || json.Unmarshal(res.Stdout, &low) != nil || !slices.ContainsFunc(low.Warnings, func(w string) bool {
		return strings.HasPrefix(w, "not read: list clusterrolebindings")
	}) {
		t.Errorf("lowpriv: want exit 0 and a warning for clusterrolebindings; got %s\n%s", res, res.Stdout)
	}

	// The same reports given with --images-from (the pinned reference found by digest) give the
	// same issues as scanning the registry.
	scans := filepath.Join(t.TempDir(), "scans.json")
	mk(os.WriteFile(scans, append(append(app.raw, '\n'), base.raw...), 0o644))
	var pre struct {
		Issues []liveIssue `json:"issues"`
	}
	mk(json.Unmarshal([]byte(run("json", "--images-from", scans)), &pre))
	summary := func(issues []liveIssue) []string {
		var s []string
		for i := range issues {
			s = append(s, fmt.Sprintf("%s %v %s", issues[i].Rule, issues[i].Score, issues[i].hops()))
		}
		return s
	}
	if a, b := strings.Join(summary(out.Issues), "\n"), strings.Join(summary(pre.Issues), "\n"); a != b {
		t.Errorf("--images-from gives other issues:\nscanned:\n%s\npre-scanned:\n%s", a, b)
	}
}
