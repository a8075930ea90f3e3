package kube_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/kubetest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// TestLoadClusterPaged lists with pages of 3 and compares with what the API server lists in one
// call; the namespace's own objects must all be there, and a secret's value nowhere.
func TestLoadClusterPaged(t *testing.T) {
	env := kubetest.Load(t)
	cs := env.Clientset(t, kubetest.Admin)
	ctx := context.Background()
	ns := env.Namespace(t, "kube-load", nil)
	const value = "rampart-secret-value-0f4c2e"
	for i := range 7 {
		_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sa-%d", i)}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("s-%d", i), Labels: map[string]string{"k": "v"},
				Annotations: map[string]string{corev1.LastAppliedConfigAnnotation: `{"stringData":{"pw":"` + value + `"}}`}},
			StringData: map[string]string{"pw": value},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p-%d", i)},
			Spec: corev1.PodSpec{ServiceAccountName: "sa-1", Containers: []corev1.Container{{Name: "c", Image: "app:1"}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	snap, err := kube.LoadClusterREST(ctx, env.RESTConfig(t, kubetest.Admin), "admin", kube.ClusterConfig{PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if snap.ServerVersion != env.Version || len(snap.Gaps) != 0 || !snap.AggregationDone {
		t.Errorf("version %q (want %q), gaps %v, aggregation %v", snap.ServerVersion, env.Version, snap.Gaps, snap.AggregationDone)
	}
	// Independent count: one unpaged list per kind.
	crs, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(crs.Items) < 40 || len(snap.ClusterRoles) < len(crs.Items)-5 || len(snap.ClusterRoles) > len(crs.Items)+5 {
		// Other tests may add or remove a few roles between the two lists.
		t.Errorf("paged list has %d ClusterRoles, one list %d", len(snap.ClusterRoles), len(crs.Items))
	}
	var sas, secrets, pods []string
	for _, o := range snap.ServiceAccounts {
		// The controller-manager adds "default" when it gets to it.
		if o.Namespace == ns && o.Name != "default" {
			sas = append(sas, o.Name)
		}
	}
	for _, o := range snap.Secrets {
		if o.Namespace == ns {
			secrets = append(secrets, o.Name)
			if o.Labels["k"] != "v" {
				t.Errorf("secret %s lost its labels: %v", o.Name, o.Labels)
			}
		}
	}
	for _, w := range snap.Workloads() {
		if w.Meta.Namespace == ns {
			pods = append(pods, w.Ref().String()+" "+w.ServiceAccount())
		}
	}
	var wantSA, wantSecrets, wantPods []string
	for i := range 7 {
		wantSA = append(wantSA, fmt.Sprintf("sa-%d", i))
		wantSecrets = append(wantSecrets, fmt.Sprintf("s-%d", i))
		wantPods = append(wantPods, fmt.Sprintf("Pod/%s/p-%d sa-1", ns, i))
	}
	if diff := cmp.Diff(wantSA, sas); diff != "" {
		t.Errorf("service accounts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantSecrets, secrets); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantPods, pods); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), value) {
		t.Error("a secret value reached the snapshot")
	}
}

func TestLoadClusterErrors(t *testing.T) {
	env := kubetest.Load(t)
	ctx := context.Background()
	for _, c := range []string{kubetest.Expired, kubetest.BadToken} {
		_, err := kube.LoadClusterREST(ctx, env.RESTConfig(t, c), c, kube.ClusterConfig{})
		if !errors.Is(err, kube.ErrUnauthorized) {
			t.Errorf("%s: err = %v, want ErrUnauthorized", c, err)
		}
	}
	// 403 on every list: the load succeeds with one gap per resource, each naming the verb.
	snap, err := kube.LoadClusterREST(ctx, env.RESTConfig(t, kubetest.LowPriv), "lowpriv", kube.ClusterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Gaps) != 17 {
		t.Errorf("%d gaps, want 17 (every kind): %v", len(snap.Gaps), snap.Gaps)
	}
	for _, g := range snap.Gaps {
		if g.Verb != "list" || !strings.Contains(g.Reason, env.LowPrivUser) || !strings.Contains(g.Reason, "forbidden") {
			t.Errorf("gap %v", g)
		}
	}
	if _, ok := snap.Missing("secrets"); !ok {
		t.Error("Missing(secrets) = false")
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	rc := &rest.Config{Host: "https://" + addr, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	if _, err := kube.LoadClusterREST(ctx, rc, "", kube.ClusterConfig{}); !errors.Is(err, kube.ErrUnreachable) {
		t.Errorf("closed port: err = %v, want ErrUnreachable", err)
	}
}
