package posture

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/kubetest"
)

// admitted says whether the API server's answer to a create or update let the object through
// PodSecurity. ok is false for a rejection for any other reason: a fixture bug, reported as an
// error of the test.
func admitted(t *testing.T, name string, err error) (allowed, ok bool) {
	t.Helper()
	if err == nil {
		return true, true
	}
	if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "violates PodSecurity") {
		return false, true
	}
	t.Errorf("%s: rejected for a reason other than PodSecurity: %v", name, err)
	return false, false
}

// TestVerdictsMatchAPIServer is the truth test of the Pod Security Standards checks: every
// fixture pod is submitted to a real kube-apiserver (PodSecurity admission enabled) in namespaces
// enforcing baseline and restricted, and the API server's decision must equal Rampart's verdict.
func TestVerdictsMatchAPIServer(t *testing.T) {
	env := kubetest.Load(t)
	cs := env.Clientset(t, kubetest.Admin)
	ctx := context.Background()
	pods := loadPods(t)
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	checked := map[string]map[bool]int{}
	// Latest, and older policy versions whose checks differ: restricted before runAsUser (1.23)
	// and before capabilities and seccomp were restricted (1.22, 1.19); baseline sysctls before
	// 1.27, 1.29 and 1.32 widened the safe set.
	levels := []struct{ profile, version string }{
		{ProfileBaseline, "latest"}, {ProfileRestricted, "latest"},
		{ProfileRestricted, "v1.22"}, {ProfileRestricted, "v1.18"},
		{ProfileBaseline, "v1.26"}, {ProfileBaseline, "v1.0"},
	}
	for _, lv := range levels {
		profile, version := lv.profile, lv.version
		ns := env.Namespace(t, "pss-"+profile, map[string]string{psaapi.EnforceLevelLabel: profile, psaapi.EnforceVersionLabel: version})
		key := profile + ":" + version
		checked[key] = map[bool]int{}
		for _, p := range pods {
			p := p.DeepCopy()
			p.Namespace = ns
			_, err := cs.CoreV1().Pods(ns).Create(ctx, p, dry)
			server, ok := admitted(t, p.Name, err)
			if !ok {
				continue
			}
			ours, reasons, aerr := Allowed(profile, version, &p.ObjectMeta, &p.Spec)
			if aerr != nil {
				t.Fatal(aerr)
			}
			checked[key][server]++
			if ours != server {
				t.Errorf("%s (%s) at %s: API server admitted=%v (%v), Rampart allowed=%v %v",
					p.Name, p.Annotations["rampart.test/what"], key, server, err, ours, reasons)
			}
		}
	}
	// The fixtures must exercise both answers at each level.
	for profile, m := range checked {
		if m[true] == 0 || m[false] == 0 {
			t.Errorf("%s: %d admitted, %d rejected: fixtures do not exercise both answers", profile, m[true], m[false])
		}
	}
	t.Logf("verdicts agree on %d pods × %d levels and versions: %v", len(pods), len(levels), checked)
}

// TestEphemeralContainersMatchAPIServer adds ephemeral containers to a running restricted pod
// through the ephemeralcontainers subresource, which PodSecurity checks too.
func TestEphemeralContainersMatchAPIServer(t *testing.T) {
	env := kubetest.Load(t)
	cs := env.Clientset(t, kubetest.Admin)
	ctx := context.Background()
	ns := env.Namespace(t, "pss-ephemeral", map[string]string{psaapi.EnforceLevelLabel: ProfileRestricted})
	var base *corev1.Pod
	for _, p := range loadPods(t) {
		if p.Name == "restricted-ok" {
			base = p.DeepCopy()
		}
	}
	if base == nil {
		t.Fatal("fixture restricted-ok missing")
	}
	base.Namespace = ns
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, base, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f, t0 := false, true
	tests := []struct {
		name string
		sc   *corev1.SecurityContext
	}{
		{"compliant", &corev1.SecurityContext{AllowPrivilegeEscalation: &f, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}},
		{"privileged", &corev1.SecurityContext{Privileged: &t0, AllowPrivilegeEscalation: &t0}},
		{"no-security-context", nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, err := cs.CoreV1().Pods(ns).Get(ctx, base.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			upd := cur.DeepCopy()
			upd.Spec.EphemeralContainers = append(upd.Spec.EphemeralContainers, corev1.EphemeralContainer{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{
					Name: "debug" + string(rune('a'+i)), Image: "registry.k8s.io/pause:3.10", SecurityContext: tt.sc,
				},
			})
			_, err = cs.CoreV1().Pods(ns).UpdateEphemeralContainers(ctx, base.Name, upd, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
			server, ok := admitted(t, tt.name, err)
			if !ok {
				return
			}
			ours, reasons, aerr := Allowed(ProfileRestricted, "latest", &upd.ObjectMeta, &upd.Spec)
			if aerr != nil {
				t.Fatal(aerr)
			}
			if ours != server {
				t.Errorf("API server admitted=%v (%v), Rampart allowed=%v %v", server, err, ours, reasons)
			}
		})
	}
}

// warnings collects the API server's warning headers.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(code int, agent, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	return m
}

// TestTemplateWarningsMatchAPIServer submits each fixture as a Deployment's pod template: the API
// server admits the Deployment but warns when its template would violate the namespace's level.
// Rampart's verdict on the template must predict the warning.
func TestTemplateWarningsMatchAPIServer(t *testing.T) {
	env := kubetest.Load(t)
	rc := rest.CopyConfig(env.RESTConfig(t, kubetest.Admin))
	w := &warnings{}
	rc.WarningHandler = w
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := env.Namespace(t, "pss-templates", map[string]string{psaapi.EnforceLevelLabel: ProfileRestricted})
	one := int32(1)
	for _, p := range loadPods(t) {
		if len(p.Spec.EphemeralContainers) > 0 {
			continue
		}
		labels := map[string]string{"app": p.Name}
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Replicas: &one,
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: p.Annotations}, Spec: p.Spec},
			},
		}
		w.take()
		if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		warned := false
		for _, m := range w.take() {
			if strings.Contains(m, "would violate PodSecurity") {
				warned = true
			}
		}
		ours, reasons, err := Allowed(ProfileRestricted, "latest", &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec)
		if err != nil {
			t.Fatal(err)
		}
		if ours == warned {
			t.Errorf("%s: API server warned=%v, Rampart allowed=%v %v", p.Name, warned, ours, reasons)
		}
	}
}

// TestEnforceLabelMatchesAPIServer labels a namespace with running pods enforce=restricted: the
// API server answers with a warning per existing pod that violates the new level. Rampart's KN003
// findings on the namespace, read from the live cluster, must name the same pods.
func TestEnforceLabelMatchesAPIServer(t *testing.T) {
	env := kubetest.Load(t)
	ctx := context.Background()
	ns := env.Namespace(t, "pss-label", nil)
	cs := env.Clientset(t, kubetest.Admin)
	want := map[string]bool{}
	for _, p := range loadPods(t) {
		switch p.Name {
		case "restricted-ok", "baseline-ok", "privileged", "run-as-user-0-pod-overridden", "seccomp-container-only":
		default:
			continue
		}
		p := p.DeepCopy()
		p.Namespace = ns
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		want[p.Name] = false
	}
	rc := rest.CopyConfig(env.RESTConfig(t, kubetest.Admin))
	w := &warnings{}
	rc.WarningHandler = w
	wcs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	n, err := wcs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Labels[psaapi.EnforceLevelLabel] = ProfileRestricted
	if _, err := wcs.CoreV1().Namespaces().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	server := map[string]bool{}
	for _, m := range w.take() {
		name, _, ok := strings.Cut(m, ":")
		if _, ours := want[name]; ok && ours {
			server[name] = true
		}
	}
	if len(server) == 0 {
		t.Fatal("the API server warned about no pod: the fixtures chosen do not violate restricted")
	}
	t.Logf("API server: pods violating restricted: %v", server)
	snap, err := kube.LoadClusterREST(ctx, env.RESTConfig(t, kubetest.Admin), "test", kube.ClusterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Check(ctx, snap, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range res.Findings {
		if f.ID == "KN003" && f.Resource.Namespace == ns {
			got[f.Resource.Name] = true
		}
	}
	if diff := cmp.Diff(server, got); diff != "" {
		t.Errorf("pods violating the new enforce level (-API server +Rampart):\n%s", diff)
	}
}
