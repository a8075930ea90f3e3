// Package kubetest connects tests to the real Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager on loopback) that scripts/kube-setup.sh starts, described by the JSON
// file it writes.
//
// It is for tests only.
//
// # Usage
//
//	env := kubetest.Load(t) // skips, or fails under RAMPART_REQUIRE_FIXTURES=1, when absent
//	cs := env.Clientset(t, kubetest.Admin)
//	ns := env.Namespace(t, "rbac") // a fresh namespace, deleted when the test ends
//
// The file is $RAMPART_KUBE_ENV, else $RAMPART_TEST_CACHE/kube-env.json, else
// /var/cache/rampart-test/kube-env.json. Load also checks
// that the API server answers, so a stopped cluster is reported like a missing one.
package kubetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/testenv"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// EnvFile names the variable that points at the file scripts/kube-setup.sh writes.
const EnvFile = "RAMPART_KUBE_ENV"

// DefaultEnvFile is used when neither $RAMPART_KUBE_ENV nor $RAMPART_TEST_CACHE is set;
// otherwise the file is $RAMPART_TEST_CACHE/kube-env.json, where scripts/kube-setup.sh writes it.
const DefaultEnvFile = "/var/cache/rampart-test/kube-env.json"

// Contexts of the test kubeconfig.
const (
	Admin    = "admin"    // O=system:masters
	LowPriv  = "lowpriv"  // a user with no bindings of its own: 403 on lists
	Expired  = "expired"  // an expired client certificate: 401
	BadToken = "badtoken" // an unknown bearer token: 401
)

// Env is the content of the environment file.
type Env struct {
	Server     string `json:"server"`  // https://127.0.0.1:PORT
	Version    string `json:"version"` // gitVersion of kube-apiserver
	Kubeconfig string `json:"kubeconfig"`
	// LowPrivUser is the user name of the lowpriv context.
	LowPrivUser string `json:"lowpriv_user"`
	CACert      string `json:"ca_cert"`
	Logs        string `json:"logs"`
}

var loaded struct {
	once sync.Once
	env  *Env
	why  string
	err  error
}

// Load returns the cluster's description after checking that the API server is ready. When
// there is no cluster it skips the test, or fails it under RAMPART_REQUIRE_FIXTURES=1. A file
// that exists but cannot be parsed always fails the test. The returned Env is shared: do not
// modify it.
func Load(t testing.TB) *Env {
	t.Helper()
	loaded.once.Do(func() { loaded.env, loaded.why, loaded.err = read() })
	if loaded.err != nil {
		t.Fatalf("kube test environment: %v", loaded.err)
	}
	if loaded.env == nil {
		testenv.Missing(t, loaded.why+" (run scripts/kube-setup.sh)")
	}
	return loaded.env
}

func read() (*Env, string, error) {
	p := os.Getenv(EnvFile)
	if p == "" {
		p = DefaultEnvFile
		if c := os.Getenv("RAMPART_TEST_CACHE"); c != "" {
			p = filepath.Join(c, "kube-env.json")
		}
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Sprintf("no %s (set %s)", p, EnvFile), nil
	}
	if err != nil {
		return nil, "", err
	}
	var env Env
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, "", fmt.Errorf("parse %s: %w", p, err)
	}
	if env.Kubeconfig == "" || env.Server == "" {
		return nil, "", fmt.Errorf("%s lacks server or kubeconfig: rerun scripts/kube-setup.sh", p)
	}
	rc, err := restConfig(env.Kubeconfig, Admin)
	if err != nil {
		return nil, fmt.Sprintf("%s: %v", p, err), nil
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err != nil {
		return nil, fmt.Sprintf("API server %s not ready: %v", env.Server, err), nil
	}
	return &env, "", nil
}

func restConfig(kubeconfig, context string) (*rest.Config, error) {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, err
	}
	rc.Timeout = 30 * time.Second
	rc.QPS, rc.Burst = 100, 200
	return rc, nil
}

// RESTConfig returns the client configuration of one of the kubeconfig's contexts.
func (e *Env) RESTConfig(t testing.TB, context string) *rest.Config {
	t.Helper()
	rc, err := restConfig(e.Kubeconfig, context)
	if err != nil {
		t.Fatalf("kubeconfig context %s: %v", context, err)
	}
	return rc
}

// Clientset returns a typed client for one of the kubeconfig's contexts.
func (e *Env) Clientset(t testing.TB, context string) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(e.RESTConfig(t, context))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// Suffix returns a random suffix for names that must not collide with other tests' objects.
func Suffix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// Namespace creates a namespace named prefix-RANDOM with labels and deletes it when the test
// ends (objects in it go with it).
func (e *Env) Namespace(t testing.TB, prefix string, labels map[string]string) string {
	t.Helper()
	cs := e.Clientset(t, Admin)
	name := prefix + "-" + Suffix(t)
	_, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}
