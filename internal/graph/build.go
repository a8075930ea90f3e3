package graph

import (
	"fmt"
	"log/slog"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/rbac"
	"github.com/rampartsec/rampart/internal/result"
)

// Names of the singleton nodes.
const (
	// InternetName names the one Internet node.
	InternetName = "internet"
	// AnyNode names the Node node standing for "the node the pod runs on" when the snapshot does
	// not say which (manifests, pending pods).
	AnyNode = "*"
)

// Input is what [Build] connects. Snapshot or DockerHosts is required; the rest may be empty.
type Input struct {
	Snapshot *kube.Snapshot
	// Policy is the resolved RBAC of Snapshot; nil means rbac.Resolve(Snapshot).
	Policy *rbac.Policy
	// Images are scan reports (as `rampart image --format json` writes them) of the workloads'
	// images. A container's image is matched by reference, repo tag or digest.
	Images []*result.Report
	// Resolved maps container image references to the digests the registry resolved them to,
	// so that two tags of one image share one scan.
	Resolved map[string]string
	// DockerHosts are Docker engines whose containers join the graph.
	DockerHosts []DockerHost
	// CrownJewels are namespaces whose objects are targets of attack paths.
	CrownJewels []string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

type builder struct {
	g      *Graph
	in     Input
	log    *slog.Logger
	images map[string]*result.Report
	// per-namespace indexes
	secrets   map[string][]int
	workloads map[string][]wl
	sas       map[string][]int
	imageIDs  map[string]int // image key → node
}

type wl struct {
	id     int
	labels map[string]string
	w      kube.Workload
}

// Build connects the snapshot's objects, its RBAC and the image scans into one graph.
func Build(in Input) (*Graph, error) {
	if in.Snapshot == nil {
		if len(in.DockerHosts) == 0 {
			return nil, fmt.Errorf("graph: no snapshot and no Docker host")
		}
		in.Snapshot = &kube.Snapshot{}
	}
	if in.Policy == nil {
		in.Policy = rbac.Resolve(in.Snapshot)
	}
	b := &builder{g: New(), in: in, log: in.Logger, images: map[string]*result.Report{},
		secrets: map[string][]int{}, workloads: map[string][]wl{}, sas: map[string][]int{}, imageIDs: map[string]int{}}
	if b.log == nil {
		b.log = slog.Default()
	}
	for _, r := range in.Images {
		b.indexImage(r)
	}
	snap := in.Snapshot
	g := b.g
	g.Node(KindInternet, "", "", InternetName)
	g.Node(KindGroup, "", "", rbac.GroupAuthenticated)
	for i := range snap.Namespaces {
		b.namespace(snap.Namespaces[i].Name)
	}
	for i := range snap.Secrets {
		s := &snap.Secrets[i]
		b.namespace(s.Namespace)
		id := g.Node(KindSecret, "", s.Namespace, s.Name)
		if s.Type != "" {
			g.SetAttr(id, "type", string(s.Type))
		}
	}
	for i := range snap.ServiceAccounts {
		sa := &snap.ServiceAccounts[i]
		b.serviceAccount(sa.Namespace, sa.Name)
	}
	b.addWorkloads()
	for _, h := range in.DockerHosts {
		b.addDockerHost(h)
	}
	b.addServices()
	b.addRBAC()
	b.addNamespaceEscalation()
	b.markCrowns()
	return g, nil
}

func (b *builder) namespace(ns string) int {
	id, ok := b.g.Lookup(KindNamespace, "", "", ns)
	if !ok {
		id = b.g.Node(KindNamespace, "", "", ns)
	}
	return id
}

func (b *builder) serviceAccount(ns, name string) int {
	id, ok := b.g.Lookup(KindServiceAccount, "", ns, name)
	if !ok {
		b.namespace(ns)
		id = b.g.Node(KindServiceAccount, "", ns, name)
		b.sas[ns] = append(b.sas[ns], id)
	}
	return id
}

func (b *builder) secret(ns, name string) int {
	id, ok := b.g.Lookup(KindSecret, "", ns, name)
	if !ok {
		id = b.g.Node(KindSecret, "", ns, name)
		b.g.SetAttr(id, "missing", "true")
	}
	return id
}

func (b *builder) findSA(ns, name string) *corev1.ServiceAccount {
	sas := b.in.Snapshot.ServiceAccounts
	i := sort.Search(len(sas), func(i int) bool {
		return sas[i].Namespace > ns || sas[i].Namespace == ns && sas[i].Name >= name
	})
	if i < len(sas) && sas[i].Namespace == ns && sas[i].Name == name {
		return &sas[i]
	}
	return nil
}
