package kube

import (
	"errors"
	"fmt"
	"sort"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Errors returned by [LoadCluster] and [LoadManifests].
var (
	// ErrUnauthorized means the API server refused the credentials (401).
	ErrUnauthorized = errors.New("kube: unauthorized")
	// ErrUnreachable means the API server could not be reached or did not answer in time.
	ErrUnreachable = errors.New("kube: API server unreachable")
	// ErrInvalid means a manifest file is not valid YAML or JSON, or not a Kubernetes object.
	ErrInvalid = errors.New("kube: invalid manifest")
	// ErrNotFound means the manifests path does not exist.
	ErrNotFound = errors.New("kube: not found")
)

// Source kinds of a [Snapshot].
const (
	SourceCluster   = "cluster"
	SourceManifests = "manifests"
)

// Snapshot is the set of objects Rampart analyses, as read from one cluster or one manifests
// directory. Lists are sorted by namespace then name. A Snapshot is plain data: safe for
// concurrent reads, not for concurrent writes.
type Snapshot struct {
	// Source is SourceCluster or SourceManifests; Origin names the context/server or directory.
	Source string
	Origin string
	// ServerVersion is the API server's gitVersion (cluster sources only).
	ServerVersion string

	Namespaces      []corev1.Namespace
	Pods            []corev1.Pod
	Deployments     []appsv1.Deployment
	StatefulSets    []appsv1.StatefulSet
	DaemonSets      []appsv1.DaemonSet
	ReplicaSets     []appsv1.ReplicaSet
	Jobs            []batchv1.Job
	CronJobs        []batchv1.CronJob
	Services        []corev1.Service
	Ingresses       []networkingv1.Ingress
	NetworkPolicies []networkingv1.NetworkPolicy
	ServiceAccounts []corev1.ServiceAccount
	// Secrets holds metadata only: never values.
	Secrets []SecretMeta

	Roles               []rbacv1.Role
	ClusterRoles        []rbacv1.ClusterRole
	RoleBindings        []rbacv1.RoleBinding
	ClusterRoleBindings []rbacv1.ClusterRoleBinding

	// AggregationDone says the ClusterRoles' rules already include what their aggregationRule
	// selects (true for a cluster, whose controller-manager fills them; false for manifests).
	AggregationDone bool

	// Locations says where each object of a manifests snapshot was read (file and line).
	Locations map[Ref]Location
	// nodes holds each manifest object's YAML (not rendered ones), for [Snapshot.FieldLine].
	nodes map[Ref]*yaml.Node
	// Skipped counts objects that were read but not loaded, by "apiVersion/Kind" (unknown kinds,
	// custom resources, CRDs).
	Skipped map[string]int
	// Gaps lists what could not be read (403). Checks depending on a gap are not assessed.
	Gaps []Gap
}

// SecretMeta is what Rampart keeps of a Secret: its metadata and type, never its data.
type SecretMeta struct {
	metav1.ObjectMeta
	// Type is the secret type when known (manifests); the cluster's metadata API does not say it.
	Type corev1.SecretType
	// Keys are the names of the data keys when known (manifests); never their values.
	Keys []string
}

// Ref names one object.
type Ref struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// MarshalText writes the ref as its String, so that maps keyed by Ref encode as JSON.
func (r Ref) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Location is where a manifest object was read: a file and the 1-based line its document starts.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

func (l Location) String() string { return fmt.Sprintf("%s:%d", l.File, l.Line) }

// Gap is something the loader was not allowed to read.
type Gap struct {
	Verb     string `json:"verb"`     // "list"
	Resource string `json:"resource"` // "secrets", "clusterroles.rbac.authorization.k8s.io"
	Reason   string `json:"reason"`   // the API server's message
}

func (g Gap) String() string { return fmt.Sprintf("%s %s: %s", g.Verb, g.Resource, g.Reason) }

// Missing reports whether resource (as in [Gap.Resource]) could not be read.
func (s *Snapshot) Missing(resource string) (Gap, bool) {
	for _, g := range s.Gaps {
		if g.Resource == resource {
			return g, true
		}
	}
	return Gap{}, false
}

// Workload is a pod-bearing object: a Pod or a controller with a pod template.
type Workload struct {
	Kind string // "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"
	Meta *metav1.ObjectMeta
	// PodSpec points into the Snapshot: it is the pod's spec or the template's.
	PodSpec *corev1.PodSpec
	// Owned is true when the object has a controller ownerReference (a ReplicaSet's pod, a
	// Deployment's ReplicaSet). The controller may be missing from the snapshot (not listed,
	// not in the manifests): check before reporting only the owner.
	Owned bool
}

// Ref names the workload.
func (w Workload) Ref() Ref { return Ref{Kind: w.Kind, Namespace: w.Meta.Namespace, Name: w.Meta.Name} }

// Controller returns the workload's controlling owner: the ownerReference with controller set,
// named in the workload's namespace (Kubernetes allows no owner in another namespace), so that
// it compares equal to the owner's own [Workload.Ref]. ok is false when nothing controls the
// workload.
func (w Workload) Controller() (owner Ref, ok bool) { return controllerOf(w.Meta) }

// ServiceAccount returns the name of the service account the workload's pods run as.
func (w Workload) ServiceAccount() string {
	if w.PodSpec.ServiceAccountName != "" {
		return w.PodSpec.ServiceAccountName
	}
	if w.PodSpec.DeprecatedServiceAccount != "" {
		return w.PodSpec.DeprecatedServiceAccount
	}
	return "default"
}

// Workloads returns every pod-bearing object of the snapshot, controllers first, then pods.
// The result points into s.
func (s *Snapshot) Workloads() []Workload {
	n := len(s.Deployments) + len(s.StatefulSets) + len(s.DaemonSets) + len(s.ReplicaSets) + len(s.Jobs) + len(s.CronJobs) + len(s.Pods)
	out := make([]Workload, 0, n)
	for i := range s.Deployments {
		o := &s.Deployments[i]
		out = append(out, Workload{Kind: "Deployment", Meta: &o.ObjectMeta, PodSpec: &o.Spec.Template.Spec})
	}
	for i := range s.StatefulSets {
		o := &s.StatefulSets[i]
		out = append(out, Workload{Kind: "StatefulSet", Meta: &o.ObjectMeta, PodSpec: &o.Spec.Template.Spec})
	}
	for i := range s.DaemonSets {
		o := &s.DaemonSets[i]
		out = append(out, Workload{Kind: "DaemonSet", Meta: &o.ObjectMeta, PodSpec: &o.Spec.Template.Spec})
	}
	for i := range s.CronJobs {
		o := &s.CronJobs[i]
		out = append(out, Workload{Kind: "CronJob", Meta: &o.ObjectMeta, PodSpec: &o.Spec.JobTemplate.Spec.Template.Spec})
	}
	for i := range s.ReplicaSets {
		o := &s.ReplicaSets[i]
		out = append(out, Workload{Kind: "ReplicaSet", Meta: &o.ObjectMeta, PodSpec: &o.Spec.Template.Spec, Owned: controlled(&o.ObjectMeta)})
	}
	for i := range s.Jobs {
		o := &s.Jobs[i]
		out = append(out, Workload{Kind: "Job", Meta: &o.ObjectMeta, PodSpec: &o.Spec.Template.Spec, Owned: controlled(&o.ObjectMeta)})
	}
	for i := range s.Pods {
		o := &s.Pods[i]
		out = append(out, Workload{Kind: "Pod", Meta: &o.ObjectMeta, PodSpec: &o.Spec, Owned: controlled(&o.ObjectMeta)})
	}
	return out
}

// controlled reports whether an object has a controlling owner.
func controlled(m *metav1.ObjectMeta) bool {
	_, ok := controllerOf(m)
	return ok
}

// controllerOf returns the controlling owner of an object, named in the object's namespace.
func controllerOf(m *metav1.ObjectMeta) (Ref, bool) {
	for _, o := range m.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			return Ref{Kind: o.Kind, Namespace: m.Namespace, Name: o.Name}, true
		}
	}
	return Ref{}, false
}

// sortAll puts every list in namespace/name order so output does not depend on list order.
func (s *Snapshot) sortAll() {
	sortBy(s.Namespaces, func(o *corev1.Namespace) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.Pods, func(o *corev1.Pod) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.Deployments, func(o *appsv1.Deployment) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.StatefulSets, func(o *appsv1.StatefulSet) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.DaemonSets, func(o *appsv1.DaemonSet) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.ReplicaSets, func(o *appsv1.ReplicaSet) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.Jobs, func(o *batchv1.Job) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.CronJobs, func(o *batchv1.CronJob) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.Services, func(o *corev1.Service) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.Ingresses, func(o *networkingv1.Ingress) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.NetworkPolicies, func(o *networkingv1.NetworkPolicy) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.ServiceAccounts, func(o *corev1.ServiceAccount) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.Secrets, func(o *SecretMeta) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.Roles, func(o *rbacv1.Role) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.ClusterRoles, func(o *rbacv1.ClusterRole) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.RoleBindings, func(o *rbacv1.RoleBinding) *metav1.ObjectMeta { return &o.ObjectMeta })
	sortBy(s.ClusterRoleBindings, func(o *rbacv1.ClusterRoleBinding) *metav1.ObjectMeta { return &o.ObjectMeta })
}

func sortBy[T any](xs []T, meta func(*T) *metav1.ObjectMeta) {
	sort.SliceStable(xs, func(i, j int) bool {
		a, b := meta(&xs[i]), meta(&xs[j])
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}
