package kubetest

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestLoadAndNamespace(t *testing.T) {
	env := Load(t)
	if !strings.HasPrefix(env.Server, "https://127.0.0.1:") || env.Version == "" {
		t.Errorf("server %q version %q", env.Server, env.Version)
	}
	cs := env.Clientset(t, Admin)
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != env.Version {
		t.Errorf("server says %s, the environment file %s", v.GitVersion, env.Version)
	}
	ns := env.Namespace(t, "kubetest", map[string]string{"rampart.dev/test": "yes"})
	got, err := cs.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Labels["rampart.dev/test"] != "yes" {
		t.Errorf("labels %v", got.Labels)
	}
	// The low-privilege user really is: the API server refuses it a list.
	if _, err := env.Clientset(t, LowPriv).CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{}); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("lowpriv list pods: err = %v, want forbidden", err)
	}
}
