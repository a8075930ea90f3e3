package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ClusterConfig says which cluster to read. The zero value uses the default kubeconfig
// ($KUBECONFIG or ~/.kube/config) and its current context.
type ClusterConfig struct {
	Kubeconfig string // path; "" for the default loading rules
	Context    string // "" for the current context
	// PageSize is the number of objects asked for per list call. Default 500.
	PageSize int64
	// Timeout bounds each API call. Default 30s.
	Timeout time.Duration
	// Logger receives progress at debug level. Default slog.Default().
	Logger *slog.Logger
}

// RESTConfig builds the client configuration for cfg.
func (cfg ClusterConfig) RESTConfig() (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if cfg.Kubeconfig != "" {
		rules.ExplicitPath = cfg.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: cfg.Context})
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("load kubeconfig: %w", err)
	}
	raw, err := cc.RawConfig()
	name := cfg.Context
	if err == nil && name == "" {
		name = raw.CurrentContext
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	rc.Timeout = timeout
	rc.QPS, rc.Burst = 50, 100
	rc.UserAgent = "rampart"
	return rc, name, nil
}

// LoadCluster lists every object of a [Snapshot] across all namespaces of a live cluster,
// page by page. Secrets are listed through the metadata API, so their values never leave the
// server. A forbidden list becomes a [Gap]; it returns an error wrapping [ErrUnauthorized] when
// the credentials are refused and [ErrUnreachable] when the server cannot be reached.
func LoadCluster(ctx context.Context, cfg ClusterConfig) (*Snapshot, error) {
	rc, name, err := cfg.RESTConfig()
	if err != nil {
		return nil, err
	}
	return LoadClusterREST(ctx, rc, name, cfg)
}

// LoadClusterREST is [LoadCluster] with an already built client configuration; name labels the
// snapshot's origin.
func LoadClusterREST(ctx context.Context, rc *rest.Config, name string, cfg ClusterConfig) (*Snapshot, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	page := cfg.PageSize
	if page <= 0 {
		page = 500
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kube client: %w", err)
	}
	md, err := metadata.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kube metadata client: %w", err)
	}
	origin := name
	if origin == "" {
		origin = rc.Host
	} else {
		origin = name + " (" + rc.Host + ")"
	}
	s := &Snapshot{Source: SourceCluster, Origin: origin, AggregationDone: true}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		// /version is readable by everyone, anonymous included: an error here is about the
		// connection or the credentials, never about RBAC.
		return nil, classify(fmt.Sprintf("contact %s", rc.Host), err)
	}
	s.ServerVersion = v.GitVersion

	l := lister{ctx: ctx, snap: s, page: page, log: log}
	c, a, b, n, r := cs.CoreV1(), cs.AppsV1(), cs.BatchV1(), cs.NetworkingV1(), cs.RbacV1()
	steps := []func() error{
		func() error {
			return list(&l, "namespaces", c.Namespaces().List, func(x *corev1.NamespaceList) (int, string) {
				s.Namespaces = append(s.Namespaces, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "pods", c.Pods("").List, func(x *corev1.PodList) (int, string) {
				s.Pods = append(s.Pods, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "services", c.Services("").List, func(x *corev1.ServiceList) (int, string) {
				s.Services = append(s.Services, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "serviceaccounts", c.ServiceAccounts("").List, func(x *corev1.ServiceAccountList) (int, string) {
				s.ServiceAccounts = append(s.ServiceAccounts, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error { return listSecretMeta(&l, md) },
		func() error {
			return list(&l, "deployments.apps", a.Deployments("").List, func(x *appsv1.DeploymentList) (int, string) {
				s.Deployments = append(s.Deployments, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "statefulsets.apps", a.StatefulSets("").List, func(x *appsv1.StatefulSetList) (int, string) {
				s.StatefulSets = append(s.StatefulSets, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "daemonsets.apps", a.DaemonSets("").List, func(x *appsv1.DaemonSetList) (int, string) {
				s.DaemonSets = append(s.DaemonSets, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "replicasets.apps", a.ReplicaSets("").List, func(x *appsv1.ReplicaSetList) (int, string) {
				s.ReplicaSets = append(s.ReplicaSets, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "jobs.batch", b.Jobs("").List, func(x *batchv1.JobList) (int, string) {
				s.Jobs = append(s.Jobs, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "cronjobs.batch", b.CronJobs("").List, func(x *batchv1.CronJobList) (int, string) {
				s.CronJobs = append(s.CronJobs, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "ingresses.networking.k8s.io", n.Ingresses("").List, func(x *networkingv1.IngressList) (int, string) {
				s.Ingresses = append(s.Ingresses, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "networkpolicies.networking.k8s.io", n.NetworkPolicies("").List, func(x *networkingv1.NetworkPolicyList) (int, string) {
				s.NetworkPolicies = append(s.NetworkPolicies, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "roles.rbac.authorization.k8s.io", r.Roles("").List, func(x *rbacv1.RoleList) (int, string) {
				s.Roles = append(s.Roles, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "clusterroles.rbac.authorization.k8s.io", r.ClusterRoles().List, func(x *rbacv1.ClusterRoleList) (int, string) {
				s.ClusterRoles = append(s.ClusterRoles, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "rolebindings.rbac.authorization.k8s.io", r.RoleBindings("").List, func(x *rbacv1.RoleBindingList) (int, string) {
				s.RoleBindings = append(s.RoleBindings, x.Items...)
				return len(x.Items), x.Continue
			})
		},
		func() error {
			return list(&l, "clusterrolebindings.rbac.authorization.k8s.io", r.ClusterRoleBindings().List, func(x *rbacv1.ClusterRoleBindingList) (int, string) {
				s.ClusterRoleBindings = append(s.ClusterRoleBindings, x.Items...)
				return len(x.Items), x.Continue
			})
		},
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := step(); err != nil {
			return nil, err
		}
	}
	s.sortAll()
	return s, nil
}

type lister struct {
	ctx  context.Context
	snap *Snapshot
	page int64
	log  *slog.Logger
}

// list pages through one resource. A 403 is recorded as a gap; other errors end the load.
func list[L any](l *lister, resource string, call func(context.Context, metav1.ListOptions) (L, error), add func(L) (int, string)) error {
	opts := metav1.ListOptions{Limit: l.page}
	total := 0
	for {
		got, err := call(l.ctx, opts)
		if err != nil {
			if apierrors.IsForbidden(err) {
				l.snap.Gaps = append(l.snap.Gaps, Gap{Verb: "list", Resource: resource, Reason: apiMessage(err)})
				l.log.Warn("not allowed to list", "resource", resource, "err", apiMessage(err))
				return nil
			}
			if apierrors.IsNotFound(err) {
				// The API group is not served by this server (an old or trimmed cluster).
				l.log.Debug("resource not served", "resource", resource)
				return nil
			}
			return classify("list "+resource, err)
		}
		n, cont := add(got)
		total += n
		if cont == "" {
			break
		}
		opts.Continue = cont
	}
	l.log.Debug("listed", "resource", resource, "count", total)
	return nil
}

func listSecretMeta(l *lister, md metadata.Interface) error {
	res := md.Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"})
	opts := metav1.ListOptions{Limit: l.page}
	for {
		got, err := res.List(l.ctx, opts)
		if err != nil {
			if apierrors.IsForbidden(err) {
				l.snap.Gaps = append(l.snap.Gaps, Gap{Verb: "list", Resource: "secrets", Reason: apiMessage(err)})
				l.log.Warn("not allowed to list", "resource", "secrets", "err", apiMessage(err))
				return nil
			}
			return classify("list secrets", err)
		}
		for _, it := range got.Items {
			m := it.ObjectMeta
			m.ManagedFields = nil
			// The last-applied annotation holds the whole object, data included.
			delete(m.Annotations, corev1.LastAppliedConfigAnnotation)
			l.snap.Secrets = append(l.snap.Secrets, SecretMeta{ObjectMeta: m})
		}
		if got.Continue == "" {
			return nil
		}
		opts.Continue = got.Continue
	}
}

func apiMessage(err error) string {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		return st.Status().Message
	}
	return err.Error()
}

// classify wraps err with ErrUnauthorized or ErrUnreachable when it is one of those.
func classify(what string, err error) error {
	var (
		ne net.Error
		ue *url.Error
	)
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("%s: %w: %s", what, ErrUnauthorized, apiMessage(err))
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne), errors.As(err, &ue):
		return fmt.Errorf("%s: %w: %w", what, ErrUnreachable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
