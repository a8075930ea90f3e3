package kubecmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/result"

	"github.com/google/go-cmp/cmp"
	"github.com/rampartsec/rampart/internal/kubetest"
	"github.com/rampartsec/rampart/internal/rbac"
)

const k8sFixture = "../../rbac/testdata/fixture"

func runK8s(t *testing.T, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"k8s"}, args...), strings.NewReader(""), &out, &errb)
	return runResult{code, out.String(), errb.String()}
}

func whoCanJSON(t *testing.T, res runResult) []rbac.Subject {
	t.Helper()
	if res.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var v struct {
		Subjects []rbac.Subject `json:"subjects"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
		t.Fatalf("decode: %v\n%s", err, res.stdout)
	}
	return v.Subjects
}

func TestK8sWhoCanManifests(t *testing.T) {
	tests := []struct {
		args []string
		want []rbac.Subject
	}{
		{[]string{"create", "pods", "-n", "rbt-alpha"}, []rbac.Subject{rbac.ServiceAccount("rbt-alpha", "app"), rbac.ServiceAccount("rbt-beta", "ci")}},
		{[]string{"get", "secrets", "-n", "rbt-alpha", "--resource-name", "db-creds"}, []rbac.Subject{{Kind: "Group", Name: "rbt-devs"}, {Kind: "Group", Name: "rbt-ops"}, {Kind: "User", Name: "rbt-alice"}}},
		{[]string{"update", "statefulsets.apps/scale", "-n", "x"}, []rbac.Subject{rbac.ServiceAccount("rbt-beta", "app")}},
		{[]string{"get", "/rbt-metrics"}, []rbac.Subject{{Kind: "Group", Name: "system:authenticated"}}},
		{[]string{"delete", "namespaces"}, []rbac.Subject{}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got := whoCanJSON(t, runK8s(t, append([]string{"who-can", "--manifests", k8sFixture, "-f", "json"}, tt.args...)...))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("subjects (-want +got):\n%s", diff)
			}
		})
	}
	res := runK8s(t, "who-can", "--manifests", k8sFixture, "create", "pods", "-n", "rbt-alpha")
	if res.code != cli.ExitOK || !strings.Contains(res.stdout, "ServiceAccount  rbt-beta   ci") {
		t.Errorf("table: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

func TestK8sCanManifests(t *testing.T) {
	res := runK8s(t, "can", "--manifests", k8sFixture, "-f", "json", "system:serviceaccount:rbt-beta:app")
	if res.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var v struct {
		Groups []string  `json:"groups"`
		Rules  []canRule `json:"rules"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range v.Rules {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%s", r.Namespace, strings.Join(r.Verbs, ","), strings.Join(r.Resources, ","), r.Binding, r.Via))
	}
	want := []string{
		"|update,patch|*/scale|ClusterRoleBinding/rbt-scale|",
		"|get|/rbt-metrics,/rbt-logs/*|ClusterRoleBinding/rbt-nonres|group:system:authenticated",
		"rbt-beta|list,watch|secrets|RoleBinding/rbt-beta/reader|group:system:serviceaccounts:rbt-beta",
		"rbt-beta|get|services|RoleBinding/rbt-beta/reader|group:system:serviceaccounts:rbt-beta",
	}
	// Non-resource rules have no resources: put the URLs where the resources go.
	for i, r := range v.Rules {
		if len(r.NonResourceURLs) > 0 {
			got[i] = fmt.Sprintf("|%s|%s|%s|%s", strings.Join(r.Verbs, ","), strings.Join(r.NonResourceURLs, ","), r.Binding, r.Via)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"system:serviceaccounts", "system:serviceaccounts:rbt-beta", "system:authenticated"}, v.Groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}

// checkRBACControls holds `rampart k8s rbac` JSON to the control model: one valid control result
// per check, in catalogue order, a failed one counting the findings of its check (internal/rbac's
// tests cover failures through wildcard rules), and the summary counting them.
func checkRBACControls(t *testing.T, v rbacJSON) {
	t.Helper()
	n := map[string]int{}
	for _, f := range v.Findings {
		n[f.ID]++
	}
	if len(v.Controls) != len(rbac.Checks()) {
		t.Fatalf("%d controls for %d checks", len(v.Controls), len(rbac.Checks()))
	}
	for i, c := range v.Controls {
		if err := c.Valid(); err != nil {
			t.Error(err)
		}
		if c.Control != rbac.Checks()[i].ID || c.Findings != n[c.Control] || n[c.Control] > 0 && c.Status != result.StatusFail {
			t.Errorf("control %s (%s, %d findings): check %s has %d findings", c.Control, c.Status, c.Findings, rbac.Checks()[i].ID, n[c.Control])
		}
	}
	if diff := cmp.Diff(result.SummarizeControls(v.Controls, nil), v.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestK8sRBACManifests(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []string{k8sFixture + "/rbac.yaml", k8sFixture + "/workloads.yaml", "../../kube/testdata/mixed/app.yaml"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(src)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := runK8s(t, "rbac", "--manifests", dir, "-f", "json")
	if res.code != cli.ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var v rbacJSON
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
		t.Fatal(err)
	}
	if v.Source != "manifests" || len(v.Findings) < 15 || len(v.NotAssessed) != 0 {
		t.Errorf("source %q, %d findings, not assessed %v", v.Source, len(v.Findings), v.NotAssessed)
	}
	checkRBACControls(t, v)
	if n := result.Count(v.Controls); n[result.StatusFail] == 0 || n[result.StatusNotAssessed] != 0 {
		t.Errorf("controls %v", n)
	}
	wantSkipped := map[string]int{"example.com/v1/Widget": 1, "apiextensions.k8s.io/v1/CustomResourceDefinition": 1, "v1/ConfigMap": 1}
	if diff := cmp.Diff(wantSkipped, v.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	res = runK8s(t, "rbac", "--manifests", dir)
	if s := result.TotalControls(v.Summary); !strings.Contains(res.stdout, fmt.Sprintf("checks: %d fail, %d pass, 0 not assessed\n", s.Fail, s.Pass)) {
		t.Errorf("table lacks the checks' count line:\n%s", res.stdout)
	}
	if want := "skipped: 3 objects of kinds not analysed (apiextensions.k8s.io/v1/CustomResourceDefinition=1,example.com/v1/Widget=1,v1/ConfigMap=1)"; !strings.Contains(res.stdout, want) {
		t.Errorf("table lacks %q:\n%s", want, res.stdout)
	}
	if res := runK8s(t, "rbac", "--manifests", dir, "--fail-on", "critical", "-q"); res.code != cli.ExitGate {
		t.Errorf("--fail-on critical: exit %d, want %d", res.code, cli.ExitGate)
	}
	if res := runK8s(t, "rbac", "--manifests", dir, "-f", "sarif"); res.code != cli.ExitOK || !strings.Contains(res.stdout, `"ruleId": "RB009"`) {
		t.Errorf("sarif: exit %d %s", res.code, res.stderr)
	}
}

func TestK8sBadInput(t *testing.T) {
	// A port nothing listens on: take a free one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://%s", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
`, closed)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"closed port", []string{"rbac", "--kubeconfig", kc}, cli.ExitUnreachable, closed},
		{"malformed YAML", []string{"rbac", "--manifests", "../../kube/testdata/bad"}, cli.ExitInvalid, "testdata/bad/broken.yaml:9:"},
		{"missing directory", []string{"who-can", "get", "pods", "--manifests", "testdata/no-such-dir"}, cli.ExitNotFound, "no-such-dir"},
		{"unknown resource", []string{"who-can", "get", "widgets", "--manifests", k8sFixture}, cli.ExitUsage, "RESOURCE.GROUP"},
		{"bad subject", []string{"can", "robot:x", "--manifests", k8sFixture}, cli.ExitUsage, "robot:x"},
		{"manifests and context", []string{"rbac", "--manifests", k8sFixture, "--context", "x"}, cli.ExitUsage, "--manifests"},
		{"bad format", []string{"rbac", "--manifests", k8sFixture, "-f", "xml"}, cli.ExitUsage, "xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runK8s(t, tt.args...)
			if res.code != tt.code || !strings.Contains(res.stderr, tt.inStderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", res.code, res.stderr, tt.code, tt.inStderr)
			}
		})
	}
}

// TestK8sLiveCredentials runs against the kube-setup.sh cluster: refused credentials are exit 5,
// and a user who may not list RBAC objects gets "not assessed" naming what is missing.
func TestK8sLiveCredentials(t *testing.T) {
	env := kubetest.Load(t)
	for _, ctx := range []string{kubetest.Expired, kubetest.BadToken} {
		res := runK8s(t, "rbac", "--kubeconfig", env.Kubeconfig, "--context", ctx)
		if res.code != cli.ExitUnauthorized || !strings.Contains(res.stderr, "unauthorized") {
			t.Errorf("%s: exit %d, stderr %q; want %d", ctx, res.code, res.stderr, cli.ExitUnauthorized)
		}
	}

	// Nothing assessed: the report says why, and the exit code says nothing was (9).
	res := runK8s(t, "rbac", "--kubeconfig", env.Kubeconfig, "--context", kubetest.LowPriv, "-f", "json")
	if res.code != cli.ExitNotAssessed {
		t.Fatalf("lowpriv rbac: exit %d, want %d: %s", res.code, cli.ExitNotAssessed, res.stderr)
	}
	var v rbacJSON
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Findings) != 0 || len(v.NotAssessed) != len(rbac.Checks()) {
		t.Fatalf("lowpriv: %d findings, not assessed %v", len(v.Findings), v.NotAssessed)
	}
	checkRBACControls(t, v)
	if !result.NothingAssessed(v.Controls) || result.Count(v.Controls)[result.StatusNotAssessed] != len(rbac.Checks()) {
		t.Errorf("lowpriv controls: %v", result.Count(v.Controls))
	}
	for _, na := range v.NotAssessed {
		if !strings.Contains(na.Reason, "list clusterroles.rbac.authorization.k8s.io") {
			t.Errorf("%s: reason %q does not name the missing permission", na.Check, na.Reason)
		}
	}
	if !strings.Contains(res.stderr, "not assessed") {
		t.Errorf("lowpriv: no warning on stderr: %q", res.stderr)
	}
	res = runK8s(t, "who-can", "get", "pods", "--kubeconfig", env.Kubeconfig, "--context", kubetest.LowPriv)
	if res.code != cli.ExitUnauthorized || !strings.Contains(res.stderr, "list clusterroles.rbac.authorization.k8s.io") {
		t.Errorf("lowpriv who-can: exit %d, stderr %q", res.code, res.stderr)
	}

	// The admin sees the bootstrap binding of cluster-admin to system:masters.
	got := whoCanJSON(t, runK8s(t, "who-can", "escalate", "clusterroles", "--kubeconfig", env.Kubeconfig, "--context", kubetest.Admin, "-f", "json"))
	if !slices.Contains(got, rbac.Subject{Kind: "Group", Name: "system:masters"}) {
		t.Errorf("who-can escalate clusterroles: %v lacks group system:masters", got)
	}
}

// refusingAPIServer is an API server that answers /version and refuses (403) every other
// request, as one does to an identity no role is bound to.
func refusingAPIServer(t *testing.T) (kubeconfig string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/version" {
			fmt.Fprint(w, `{"major":"1","minor":"33","gitVersion":"v1.33.4"}`)
			return
		}
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,`+
			`"message":"%s is forbidden: User \"nobody\" cannot list resource"}`, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "%s"}}]
users: [{name: nobody, user: {token: x}}]
contexts: [{name: ctx, context: {cluster: c, user: nobody}}]
current-context: ctx
`, srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc
}

// TestK8sNothingAssessed: with an identity refused everywhere, every check and control is not
// assessed: rbac, posture and the whole audit write their report and exit 9, never 0, whatever
// --fail-on says.
func TestK8sNothingAssessed(t *testing.T) {
	kc := refusingAPIServer(t)
	for _, args := range [][]string{
		{"rbac", "--fail-on", "LOW", "-f", "json"},
		{"posture", "--fail-on", "LOW", "-f", "json"},
		{"--fail-on", "LOW", "-f", "json"},
		{"rbac"},
		{"posture", "-f", "sarif"},
	} {
		res := runK8s(t, append(args, "--kubeconfig", kc)...)
		if res.code != cli.ExitNotAssessed || !strings.Contains(res.stderr, "rampart: nothing assessed: every ") || !strings.Contains(res.stderr, "missing permission") {
			t.Errorf("%v: exit %d, stderr %q; want %d naming the missing permissions", args, res.code, res.stderr, cli.ExitNotAssessed)
		}
		if res.stdout == "" {
			t.Errorf("%v: no report", args)
		}
	}
}

// TestKubeExitCodes: every Kubernetes command maps the same failure to the same exit code:
// a path that does not exist 4, input that does not parse 7, a named pipe or device 2.
func TestKubeExitCodes(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pods.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	dirWithFifo := filepath.Dir(fifo)
	missing := "testdata/no-such-dir"
	bad := "../../kube/testdata/bad"
	commands := map[string][]string{
		"k8s posture":   {"k8s", "posture", "--manifests"},
		"k8s rbac":      {"k8s", "rbac", "--manifests"},
		"k8s who-can":   {"k8s", "who-can", "get", "pods", "--manifests"},
		"k8s":           {"k8s", "--manifests"},
		"graph":         {"graph", "--no-images", "--manifests"},
		"graph query":   {"graph", "query", "reach", "internet", "--no-images", "--manifests"},
		"config":        {"config"},
		"config --json": {"config", "--format", "json"},
	}
	for name, cmd := range commands {
		inputs := []struct {
			path string
			code int
			say  string
		}{
			{missing, cli.ExitNotFound, "no-such-dir"},
			{fifo, cli.ExitUsage, "named pipe"},
			{bad + "/broken.yaml", cli.ExitInvalid, "broken.yaml:"},
		}
		if !strings.HasPrefix(name, "config") {
			inputs = append(inputs, struct {
				path string
				code int
				say  string
			}{bad, cli.ExitInvalid, "broken.yaml:"}, struct {
				path string
				code int
				say  string
			}{dirWithFifo, cli.ExitUsage, "named pipe"})
		}
		for _, in := range inputs {
			withTimeout(t, 30*time.Second, func() {
				var out, errb bytes.Buffer
				code := Main(context.Background(), append(append([]string{"-q"}, cmd...), in.path), strings.NewReader(""), &out, &errb)
				if code != in.code || strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), in.say) {
					t.Errorf("%s %s: exit %d, stderr %q; want %d and one line saying %q", name, in.path, code, errb.String(), in.code, in.say)
				}
			})
		}
	}
}
