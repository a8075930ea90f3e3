package graph

import (
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/rampartsec/rampart/internal/finding"
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

// systemMasters is the group the API server treats as cluster-admin without any binding.
const systemMasters = "system:masters"

// Crown-jewel classes: what is at stake when a path reaches a node.
const (
	CrownClusterAdmin = "cluster-admin"
	CrownNode         = "node"
	CrownSecret       = "secret"
	CrownNamespace    = "crown-jewel"
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

// VulnFact is one vulnerability of one image, with what makes it exploitable.
type VulnFact struct {
	ID        string           `json:"id"`
	Package   string           `json:"package"`
	Version   string           `json:"version"`
	Severity  finding.Severity `json:"severity"`
	KEV       bool             `json:"kev,omitempty"`
	EPSS      float64          `json:"epss,omitempty"`
	Fixed     string           `json:"fixed,omitempty"`
	Symbol    string           `json:"symbol,omitempty"`
	P         float64          `json:"p"`
	Image     int              `json:"-"`
	Ecosystem string           `json:"-"`
}

// Exploitability estimates how likely v is to give an attacker code execution, in [0, 1].
// A Go vulnerability whose symbol is not linked into the binary is not reachable (0); below
// HIGH, without KEV listing, an EPSS of at least 0.1 or a vulnerable Go symbol known to be
// linked in, a vulnerability is not counted as a way in. A linked vulnerable symbol and a
// published fix each add 0.05; the result is at most 0.99.
func Exploitability(v VulnFact) float64 {
	if v.Symbol == "absent" {
		return 0
	}
	p := 0.0
	switch v.Severity {
	case finding.SeverityCritical:
		p = 0.6
	case finding.SeverityHigh:
		p = 0.4
	default:
		// The Go vulnerability database rates nothing; a vulnerable function linked into the
		// binary is a way in all the same.
		if v.Symbol == "present" {
			p = 0.3
		}
	}
	if v.EPSS > p {
		p = v.EPSS
	}
	if v.KEV && p < 0.95 {
		p = 0.95
	}
	if p < 0.1 {
		return 0
	}
	if v.Symbol == "present" {
		p += 0.05
	}
	if v.Fixed != "" {
		// A published fix shows where the flaw is: exploits follow patches.
		p += 0.05
	}
	return min(p, 0.99)
}

func (v VulnFact) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) in %s %s", v.ID, v.Severity, v.Package, v.Version)
	if v.KEV {
		b.WriteString(", known exploited (KEV)")
	}
	if v.EPSS > 0 {
		fmt.Fprintf(&b, ", EPSS %.2f", v.EPSS)
	}
	if v.Fixed != "" {
		fmt.Fprintf(&b, ", fixed in %s", v.Fixed)
	} else {
		b.WriteString(", no fix")
	}
	if v.Symbol != "" {
		fmt.Fprintf(&b, ", vulnerable symbol %s", v.Symbol)
	}
	return b.String()
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

func (b *builder) indexImage(r *result.Report) {
	if r == nil {
		return
	}
	keys := append([]string{r.Artifact.Name}, r.Artifact.RepoTags...)
	if r.Artifact.Digest != "" {
		keys = append(keys, r.Artifact.Digest)
	}
	for _, k := range keys {
		if k != "" {
			if _, ok := b.images[k]; !ok {
				b.images[k] = r
			}
		}
	}
}

// lookupImage finds the scan of a container image reference.
func (b *builder) lookupImage(ref string) *result.Report {
	if r, ok := b.images[ref]; ok {
		return r
	}
	if d, ok := b.in.Resolved[ref]; ok {
		if r, ok := b.images[d]; ok {
			return r
		}
	}
	if _, d, ok := strings.Cut(ref, "@"); ok {
		if r, ok := b.images[d]; ok {
			return r
		}
	}
	if !strings.Contains(ref, ":") || strings.LastIndex(ref, ":") < strings.LastIndex(ref, "/") {
		if r, ok := b.images[ref+":latest"]; ok {
			return r
		}
	}
	return nil
}

// image returns the node of a container image, adding its packages, vulnerabilities and leaked
// secrets the first time the image is seen.
func (b *builder) image(ref string) int {
	g := b.g
	r := b.lookupImage(ref)
	key := ref
	if r != nil && r.Artifact.Digest != "" {
		key = r.Artifact.Digest
	}
	if id, ok := b.imageIDs[key]; ok {
		return id
	}
	name := ref
	if r != nil && r.Artifact.Digest != "" {
		name = imageName(ref) + "@" + r.Artifact.Digest
	}
	id := g.Node(KindImage, "", "", name)
	b.imageIDs[key] = id
	reg := g.Node(KindRegistry, "", "", registryOf(ref))
	g.AddEdge(id, reg, EdgePulledFrom, 0, "image reference "+ref)
	if r == nil {
		g.SetAttr(id, "scanned", "false")
		return id
	}
	g.SetAttr(id, "scanned", "true")
	for i := range r.Packages {
		p := &r.Packages[i]
		pid := g.Node(KindPackage, p.Ecosystem, "", p.Name+"@"+p.Version)
		g.AddEdge(id, pid, EdgeContains, 0, p.Path)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		switch f.Kind {
		case finding.KindVulnerability:
			v := VulnFact{ID: f.ID, Severity: f.Severity, KEV: f.KEV, Symbol: f.Extra["symbol"], Image: id}
			if f.Package != nil {
				v.Package, v.Version, v.Ecosystem = f.Package.Name, f.Package.Version, f.Package.Ecosystem
			}
			if f.EPSS != nil {
				v.EPSS = *f.EPSS
			}
			if f.FixedVersion != nil {
				v.Fixed = *f.FixedVersion
			}
			v.P = Exploitability(v)
			g.vulns[id] = append(g.vulns[id], v)
			pid := g.Node(KindPackage, v.Ecosystem, "", v.Package+"@"+v.Version)
			g.AddEdge(id, pid, EdgeContains, 0, "")
			vid := g.Node(KindVulnerability, "", "", v.ID)
			g.SetAttr(vid, "severity", string(v.Severity))
			if v.KEV {
				g.SetAttr(vid, "kev", "true")
			}
			ev := "affected"
			if v.Fixed != "" {
				ev = "fixed in " + v.Fixed
			}
			g.AddEdge(pid, vid, EdgeAffectedBy, 0, ev)
		case finding.KindSecret:
			desc := f.ID
			if f.Title != "" {
				desc = f.Title
			}
			where := f.Location.Path
			if where == "" {
				where = f.Location.Field
			}
			sid := g.Node(KindSecret, "leaked", "", f.ID+" in "+where)
			g.SetAttr(sid, "image", name)
			g.AddEdge(id, sid, EdgeLeaks, 0, desc+" at "+where)
			g.leaks[id] = append(g.leaks[id], leak{severity: f.Severity, edge: g.edge(id, sid, EdgeLeaks)})
		}
	}
	sort.SliceStable(g.vulns[id], func(i, j int) bool { return g.vulns[id][i].P > g.vulns[id][j].P })
	return id
}

func imageName(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[:i]
	}
	return ref
}

// registryOf returns the registry host of an image reference, as the container runtime reads it.
func registryOf(ref string) string {
	first, _, ok := strings.Cut(ref, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "docker.io"
}

func (b *builder) addWorkloads() {
	snap := b.in.Snapshot
	g := b.g
	type okey struct{ kind, ns, name string }
	top := map[okey]int{}
	tmpl := templateLabels(snap)
	for _, w := range snap.Workloads() {
		k := okey{w.Kind, w.Meta.Namespace, w.Meta.Name}
		if w.Owned {
			if owner, ok := controllerOf(w); ok {
				if id, ok := top[okey{owner.Kind, w.Meta.Namespace, owner.Name}]; ok {
					top[k] = id
					if w.Kind == "Pod" {
						pod := g.Node(KindPod, "", w.Meta.Namespace, w.Meta.Name)
						g.AddEdge(id, pod, EdgeRuns, 0, "owned by "+owner.Kind+"/"+owner.Name)
						if n := w.PodSpec.NodeName; n != "" {
							node := g.Node(KindNode, "", "", n)
							g.AddEdge(pod, node, EdgeScheduledOn, 0, "spec.nodeName")
							// A workload that escapes to "its node" escapes to every node its pods run on.
							if anyNode, ok := g.Lookup(KindNode, "", "", AnyNode); ok && g.edge(id, anyNode, EdgeEscapesToNode) >= 0 {
								esc := g.edge(id, anyNode, EdgeEscapesToNode)
								e := g.Edges[esc]
								g.AddEdge(id, node, EdgeEscapesToNode, e.P, e.Evidence+"; pod "+w.Meta.Name+" runs there")
							}
						}
					}
					continue
				}
			}
		}
		b.namespace(w.Meta.Namespace)
		id := g.Node(KindWorkload, w.Kind, w.Meta.Namespace, w.Meta.Name)
		top[k] = id
		var lbls map[string]string
		if w.Kind == "Pod" {
			lbls = w.Meta.Labels
		} else {
			lbls = tmpl[w.Meta]
		}
		b.workloads[w.Meta.Namespace] = append(b.workloads[w.Meta.Namespace], wl{id: id, labels: lbls, w: w})
		g.workloads = append(g.workloads, id)
		b.workload(id, w)
	}
}

func controllerOf(w kube.Workload) (kube.Ref, bool) {
	for _, o := range w.Meta.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			return kube.Ref{Kind: o.Kind, Name: o.Name}, true
		}
	}
	return kube.Ref{}, false
}

// templateLabels maps each controller to its pod template labels (services select pods by them).
func templateLabels(snap *kube.Snapshot) map[*metav1.ObjectMeta]map[string]string {
	m := map[*metav1.ObjectMeta]map[string]string{}
	for i := range snap.Deployments {
		m[&snap.Deployments[i].ObjectMeta] = snap.Deployments[i].Spec.Template.Labels
	}
	for i := range snap.StatefulSets {
		m[&snap.StatefulSets[i].ObjectMeta] = snap.StatefulSets[i].Spec.Template.Labels
	}
	for i := range snap.DaemonSets {
		m[&snap.DaemonSets[i].ObjectMeta] = snap.DaemonSets[i].Spec.Template.Labels
	}
	for i := range snap.ReplicaSets {
		m[&snap.ReplicaSets[i].ObjectMeta] = snap.ReplicaSets[i].Spec.Template.Labels
	}
	for i := range snap.Jobs {
		m[&snap.Jobs[i].ObjectMeta] = snap.Jobs[i].Spec.Template.Labels
	}
	for i := range snap.CronJobs {
		m[&snap.CronJobs[i].ObjectMeta] = snap.CronJobs[i].Spec.JobTemplate.Spec.Template.Labels
	}
	return m
}

// dangerous host paths: mounting one gives the node (or its container runtime) to the pod.
var hostPathEscapes = map[string]string{
	"/":                                   "the node's root filesystem",
	"/etc":                                "the node's /etc",
	"/root":                               "root's home on the node",
	"/proc":                               "the node's /proc",
	"/var/lib/kubelet":                    "the kubelet's state",
	"/var/run/docker.sock":                "the Docker socket",
	"/run/docker.sock":                    "the Docker socket",
	"/var/run":                            "the runtime sockets under /var/run",
	"/run":                                "the runtime sockets under /run",
	"/run/containerd/containerd.sock":     "the containerd socket",
	"/var/run/containerd/containerd.sock": "the containerd socket",
	"/var/run/crio/crio.sock":             "the CRI-O socket",
}

func (b *builder) workload(id int, w kube.Workload) {
	g := b.g
	ns := w.Meta.Namespace
	spec := w.PodSpec
	// Service account and token.
	sa := b.serviceAccount(ns, w.ServiceAccount())
	automount := true
	why := "the service account token is mounted (automountServiceAccountToken not disabled)"
	if spec.AutomountServiceAccountToken != nil {
		automount = *spec.AutomountServiceAccountToken
		if !automount {
			why = "spec.automountServiceAccountToken: false"
		}
	} else if s := b.findSA(ns, w.ServiceAccount()); s != nil && s.AutomountServiceAccountToken != nil && !*s.AutomountServiceAccountToken {
		automount = false
		why = "the service account sets automountServiceAccountToken: false"
	}
	p := 0.0
	if automount {
		p = 1
	}
	g.AddEdge(id, sa, EdgeUsesSA, p, why)

	// Escapes to the node.
	var escapes []string
	pEsc := 0.0
	add := func(p float64, reason string) {
		escapes = append(escapes, reason)
		if p > pEsc {
			pEsc = p
		}
	}
	if spec.HostPID {
		add(0.8, "spec.hostPID: true")
	}
	hostVols := map[string]string{}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			hostVols[v.Name] = strings.TrimRight(v.HostPath.Path, "/")
			if hostVols[v.Name] == "" {
				hostVols[v.Name] = "/"
			}
		}
		if v.Secret != nil {
			g.AddEdge(id, b.secret(ns, v.Secret.SecretName), EdgeMounts, 1, "volume "+v.Name)
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					g.AddEdge(id, b.secret(ns, s.Secret.Name), EdgeMounts, 1, "projected volume "+v.Name)
				}
			}
		}
	}
	containers := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	best := VulnFact{}
	for ci, c := range containers {
		cid := g.Node(KindContainer, "", ns, w.Meta.Name+"/"+c.Name)
		g.AddEdge(id, cid, EdgeContains, 0, fmt.Sprintf("%s/%s container %s", w.Kind, w.Meta.Name, c.Name))
		field := fmt.Sprintf("containers[%s]", c.Name)
		if ci < len(spec.InitContainers) {
			field = fmt.Sprintf("initContainers[%s]", c.Name)
		}
		if sc := c.SecurityContext; sc != nil {
			if sc.Privileged != nil && *sc.Privileged {
				g.SetAttr(cid, "privileged", "true")
				add(0.95, field+".securityContext.privileged: true")
			}
			if sc.Capabilities != nil {
				for _, cp := range sc.Capabilities.Add {
					switch strings.TrimPrefix(strings.ToUpper(string(cp)), "CAP_") {
					case "SYS_ADMIN", "ALL":
						add(0.8, fmt.Sprintf("%s.securityContext.capabilities.add: %s", field, cp))
					}
				}
			}
		}
		for _, m := range c.VolumeMounts {
			if hp, ok := hostVols[m.Name]; ok {
				if what, bad := hostPathEscapes[hp]; bad {
					p := 0.95
					if m.ReadOnly && !strings.HasSuffix(hp, ".sock") {
						p = 0.6
					}
					add(p, fmt.Sprintf("%s mounts hostPath %s (%s)", field, hp, what))
				}
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				g.AddEdge(id, b.secret(ns, e.ValueFrom.SecretKeyRef.Name), EdgeMounts, 1, field+" env "+e.Name)
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				g.AddEdge(id, b.secret(ns, e.SecretRef.Name), EdgeMounts, 1, field+" envFrom")
			}
		}
		if c.Image == "" {
			continue
		}
		img := b.image(c.Image)
		g.AddEdge(cid, img, EdgeRuns, 0, "image "+c.Image)
		if vs := g.vulns[img]; len(vs) > 0 && vs[0].P > best.P {
			best = vs[0]
		}
	}
	if best.P > 0 {
		g.exploit[id] = best
		g.SetAttr(id, "exploitable", best.ID)
	}
	if len(escapes) > 0 {
		node := AnyNode
		if w.Kind == "Pod" && spec.NodeName != "" {
			node = spec.NodeName
		}
		g.escapes[id] = escapes
		g.AddEdge(id, g.Node(KindNode, "", "", node), EdgeEscapesToNode, pEsc, strings.Join(escapes, "; "))
	}
	if w.Kind == "Pod" && spec.NodeName != "" {
		g.AddEdge(id, g.Node(KindNode, "", "", spec.NodeName), EdgeScheduledOn, 0, "spec.nodeName")
	}
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

func (b *builder) addServices() {
	snap := b.in.Snapshot
	g := b.g
	inet, _ := g.Lookup(KindInternet, "", "", InternetName)
	pols := newNetpols(snap)
	behindIngress := ingressBackends(snap)
	for i := range snap.Services {
		s := &snap.Services[i]
		typ := string(s.Spec.Type)
		if typ == "" {
			typ = string(corev1.ServiceTypeClusterIP)
		}
		id := g.Node(KindService, typ, s.Namespace, s.Name)
		// Who sends traffic through this Service, as far as the graph's paths go: pods are
		// entry points of their own and reach no Service node, so a Service's route to a pod
		// stands for the Internet and Ingress traffic it carries, or, when it carries none,
		// for in-cluster clients.
		var srcs []source
		switch s.Spec.Type {
		case corev1.ServiceTypeLoadBalancer:
			g.AddEdge(inet, id, EdgeExposes, 1, "spec.type: LoadBalancer"+ports(s))
			srcs = append(srcs, srcInternet)
		case corev1.ServiceTypeNodePort:
			g.AddEdge(inet, id, EdgeExposes, 1, "spec.type: NodePort"+ports(s))
			srcs = append(srcs, srcInternet)
		}
		if len(s.Spec.ExternalIPs) > 0 {
			g.AddEdge(inet, id, EdgeExposes, 1, "spec.externalIPs: "+strings.Join(s.Spec.ExternalIPs, ","))
			if len(srcs) == 0 {
				srcs = append(srcs, srcInternet)
			}
		}
		if behindIngress[s.Namespace+"/"+s.Name] {
			srcs = append(srcs, srcIngressController)
		}
		if len(srcs) == 0 {
			srcs = append(srcs, srcClusterPod)
		}
		if len(s.Spec.Selector) == 0 {
			continue
		}
		sel := labels.SelectorFromSet(s.Spec.Selector)
		for _, w := range b.workloads[s.Namespace] {
			if w.labels == nil || !sel.Matches(labels.Set(w.labels)) {
				continue
			}
			np, ok := b.networkPolicies(pols, id, s, w, srcs)
			if !ok {
				continue
			}
			ev := "selector " + sel.String() + " matches the pod labels; " + np
			p := 0.0
			if v, ok := g.exploit[w.id]; ok {
				p = v.P
				ev += "; exploitable through " + v.describe()
			} else {
				ev += "; no exploitable vulnerability known"
			}
			g.AddEdge(id, w.id, EdgeRoutesTo, p, ev)
		}
	}
	for i := range snap.Ingresses {
		in := &snap.Ingresses[i]
		id := g.Node(KindIngress, "", in.Namespace, in.Name)
		var hosts []string
		for _, r := range in.Spec.Rules {
			if r.Host != "" {
				hosts = append(hosts, r.Host)
			}
		}
		ev := "Ingress"
		if len(hosts) > 0 {
			ev += " for " + strings.Join(hosts, ",")
		}
		g.AddEdge(inet, id, EdgeExposes, 1, ev)
		route := func(svc, path string) {
			if svc == "" {
				return
			}
			sid, ok := g.Lookup(KindService, "ClusterIP", in.Namespace, svc)
			if !ok {
				for _, t := range []string{"NodePort", "LoadBalancer", "ExternalName"} {
					if sid, ok = g.Lookup(KindService, t, in.Namespace, svc); ok {
						break
					}
				}
			}
			if !ok {
				sid = g.Node(KindService, "ClusterIP", in.Namespace, svc)
				g.SetAttr(sid, "missing", "true")
			}
			g.AddEdge(id, sid, EdgeRoutesTo, 1, "backend for "+path)
		}
		if d := in.Spec.DefaultBackend; d != nil && d.Service != nil {
			route(d.Service.Name, "the default backend")
		}
		for _, r := range in.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service != nil {
					route(p.Backend.Service.Name, r.Host+p.Path)
				}
			}
		}
	}
}

// ingressBackends returns the Services ("namespace/name") an Ingress routes to.
func ingressBackends(snap *kube.Snapshot) map[string]bool {
	m := map[string]bool{}
	for i := range snap.Ingresses {
		in := &snap.Ingresses[i]
		if d := in.Spec.DefaultBackend; d != nil && d.Service != nil && d.Service.Name != "" {
			m[in.Namespace+"/"+d.Service.Name] = true
		}
		for _, r := range in.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service != nil && p.Backend.Service.Name != "" {
					m[in.Namespace+"/"+p.Backend.Service.Name] = true
				}
			}
		}
	}
	return m
}

// networkPolicies decides whether the NetworkPolicies of workload w let any of srcs reach it
// through Service svc (node id). It returns the evidence for the route, or false when every
// source is blocked; then the route is not added and the workload's "netpol-blocked" attribute
// (and a debug log) says why.
func (b *builder) networkPolicies(pols *netpols, id int, svc *corev1.Service, w wl, srcs []source) (string, bool) {
	ts := targets(svc, w.w.PodSpec)
	var kept, dropped []string
	for _, src := range srcs {
		a := pols.admit(svc.Namespace, w.labels, w.w.PodSpec, src, ts)
		if a.v == blocked {
			dropped = append(dropped, string(src)+": "+a.why)
			continue
		}
		if len(srcs) == 1 || a.why == "no NetworkPolicy selects the pod" {
			kept = append(kept, a.why)
		} else {
			kept = append(kept, string(src)+": "+a.why)
		}
		if a.why == "no NetworkPolicy selects the pod" {
			break
		}
	}
	if len(kept) > 0 {
		// A source blocked beside one admitted still shows, so that the route is read right.
		for _, d := range dropped {
			kept = append(kept, "blocked for "+d)
		}
		return strings.Join(kept, "; "), true
	}
	g := b.g
	why := g.Nodes[id].Ref().String() + ": " + strings.Join(dropped, "; ")
	b.log.Debug("graph: NetworkPolicy blocks a route", "service", svc.Namespace+"/"+svc.Name,
		"workload", g.Nodes[w.id].Ref().String(), "why", why)
	if old := g.Nodes[w.id].Attrs["netpol-blocked"]; old != "" {
		why = old + " | " + why
	}
	g.SetAttr(w.id, "netpol-blocked", why)
	return "", false
}

func ports(s *corev1.Service) string {
	var ps []string
	for _, p := range s.Spec.Ports {
		if p.NodePort != 0 {
			ps = append(ps, fmt.Sprintf("%d→%d", p.NodePort, p.Port))
		} else {
			ps = append(ps, fmt.Sprint(p.Port))
		}
	}
	if len(ps) == 0 {
		return ""
	}
	return ", ports " + strings.Join(ps, ",")
}

// isAdminRule says whether a rule grants everything (cluster-admin's "*" on "*" in "*").
func isAdminRule(r *rbacv1.PolicyRule) bool {
	has := func(xs []string) bool {
		for _, x := range xs {
			if x == "*" {
				return true
			}
		}
		return false
	}
	return has(r.Verbs) && has(r.Resources) && has(r.APIGroups) && len(r.ResourceNames) == 0
}

func (b *builder) subject(s rbac.Subject) int {
	switch s.Kind {
	case rbac.KindServiceAccount:
		return b.serviceAccount(s.Namespace, s.Name)
	case rbac.KindGroup:
		return b.g.Node(KindGroup, "", "", s.Name)
	}
	return b.g.Node(KindUser, "", "", s.Name)
}

func (b *builder) addRBAC() {
	g := b.g
	snap := b.in.Snapshot
	for i := range snap.Secrets {
		s := &snap.Secrets[i]
		id, _ := g.Lookup(KindSecret, "", s.Namespace, s.Name)
		b.secrets[s.Namespace] = append(b.secrets[s.Namespace], id)
	}
	var namespaces []string
	for ns := range b.secrets {
		namespaces = append(namespaces, ns)
	}
	for i := range g.Nodes {
		if g.Nodes[i].Kind == KindNamespace {
			namespaces = append(namespaces, g.Nodes[i].Name)
		}
	}
	sort.Strings(namespaces)
	namespaces = slices.Compact(namespaces)

	subjects := map[rbac.Subject]int{}
	grants := b.in.Policy.Grants()
	for gi := range grants {
		gr := &grants[gi]
		if len(gr.Subjects) == 0 || gr.Rule.NonResourceURLs != nil && len(gr.Rule.Resources) == 0 {
			continue
		}
		bind := g.Node(KindBinding, gr.Binding.Kind, gr.Binding.Namespace, gr.Binding.Name)
		roleKind := KindRole
		if gr.Role.Kind == "ClusterRole" {
			roleKind = KindClusterRole
		}
		role := g.Node(roleKind, "", gr.Role.Namespace, gr.Role.Name)
		rule := ruleString(&gr.Rule)
		admin := isAdminRule(&gr.Rule)
		pGrant := 0.0
		if admin && gr.Namespace == "" {
			// Only a cluster-wide binding of an everything-rule is cluster-admin.
			pGrant = 1
			g.crown[role] = CrownClusterAdmin
		}
		g.AddEdge(bind, role, EdgeGrants, pGrant, rule)
		chain := gr.Chain() + ": " + rule
		scope := []string{gr.Namespace}
		if gr.Namespace == "" {
			scope = namespaces
		}
		readSecret := func(name string) bool {
			for _, verb := range []string{"get", "list", "watch"} {
				if rbac.RuleAllows(&gr.Rule, rbac.Attributes{Verb: verb, Resource: "secrets", Name: name}) {
					return true
				}
			}
			return false
		}
		readAll := readSecret("")
		readSome := readAll || len(gr.Rule.ResourceNames) > 0 && readSecret(gr.Rule.ResourceNames[0])
		exec := rbac.RuleAllows(&gr.Rule, rbac.Attributes{Verb: "create", Resource: "pods", Subresource: "exec"})
		createPods := false
		for _, r := range []struct{ group, res string }{{"", "pods"}, {"apps", "deployments"}, {"apps", "daemonsets"}, {"apps", "statefulsets"}, {"apps", "replicasets"}, {"batch", "jobs"}, {"batch", "cronjobs"}} {
			if rbac.RuleAllows(&gr.Rule, rbac.Attributes{Verb: "create", APIGroup: r.group, Resource: r.res}) {
				createPods = true
				break
			}
		}
		allows := func(verb, group, res, sub, name string) bool {
			return rbac.RuleAllows(&gr.Rule, rbac.Attributes{Verb: verb, APIGroup: group, Resource: res, Subresource: sub, Name: name})
		}
		// Becoming a service account: impersonating it, or asking for its token.
		becomeSA := allows("impersonate", "", "serviceaccounts", "", "") || allows("create", "", "serviceaccounts", "token", "")
		// Becoming cluster-admin: impersonating system:masters or any user (cluster scope only).
		var escalate string
		if gr.Namespace == "" && !admin { // an everything-rule is cluster-admin already
			switch {
			case allows("impersonate", "", "groups", "", "system:masters"):
				escalate = "impersonate group system:masters"
			case allows("impersonate", "", "users", "", ""):
				escalate = "impersonate any user"
			}
		}
		for _, s := range gr.Subjects {
			sub := b.subject(s)
			subjects[s] = sub
			g.AddEdge(sub, bind, EdgeBoundTo, 1, "subject of "+gr.Binding.String())
			if escalate != "" {
				g.AddEdge(sub, g.Node(KindGroup, "", "", systemMasters), EdgeCanEscalate, 1, chain+" ("+escalate+")")
			}
			if readAll && gr.Namespace == "" && s.Kind == rbac.KindServiceAccount {
				if _, ok := g.clusterReaders[sub]; !ok {
					g.clusterReaders[sub] = grantRef{binding: bind, role: role}
				}
			}
			for _, ns := range scope {
				if readSome {
					for _, sec := range b.secrets[ns] {
						if readAll || readSecret(g.Nodes[sec].Name) {
							g.AddEdge(sub, sec, EdgeCanRead, 1, chain)
						}
					}
				}
				if exec {
					for _, w := range b.workloads[ns] {
						g.AddEdge(sub, w.id, EdgeCanExecInto, 1, chain)
					}
				}
				if createPods {
					g.AddEdge(sub, b.namespace(ns), EdgeCanCreatePodsIn, 1, chain)
				}
				if becomeSA {
					for _, sa := range b.sas[ns] {
						if sa != sub {
							g.AddEdge(sub, sa, EdgeCanImpersonate, 1, chain)
						}
					}
				}
			}
		}
	}
	b.addBindEscalation(subjects)
	// Implicit groups: every service account is in system:serviceaccounts[:NS] and
	// system:authenticated, every user in system:authenticated.
	auth, _ := g.Lookup(KindGroup, "", "", rbac.GroupAuthenticated)
	n := len(g.Nodes)
	for id := 0; id < n; id++ {
		nd := &g.Nodes[id]
		switch nd.Kind {
		case KindServiceAccount:
			for _, grp := range []string{rbac.GroupServiceAccounts, rbac.GroupServiceAccounts + ":" + nd.Namespace} {
				if gid, ok := g.Lookup(KindGroup, "", "", grp); ok {
					g.AddEdge(id, gid, EdgeMemberOf, 1, "every service account is in "+grp)
				}
			}
			g.AddEdge(id, auth, EdgeMemberOf, 1, "a service account token authenticates")
		case KindUser:
			if nd.Name != rbac.UserAnonymous {
				g.AddEdge(id, auth, EdgeMemberOf, 1, "every authenticated user is in "+rbac.GroupAuthenticated)
			}
		}
	}
}

// addBindEscalation finds the subjects that may bind (or escalate) cluster roles and create or
// update cluster role bindings: they can bind themselves to cluster-admin. The two rights may
// come from different rules and bindings, so this asks the resolved policy per subject.
func (b *builder) addBindEscalation(subjects map[rbac.Subject]int) {
	const group = "rbac.authorization.k8s.io"
	pol := b.in.Policy
	masters := -1
	// In node order, so that edges (and ties between equally likely paths) do not depend on map order.
	order := make([]rbac.Subject, 0, len(subjects))
	for s := range subjects {
		order = append(order, s)
	}
	sort.Slice(order, func(i, j int) bool { return subjects[order[i]] < subjects[order[j]] })
	for _, s := range order {
		id := subjects[s]
		u := rbac.UserFor(s)
		can := func(verb, res string) bool {
			return pol.Allows(u, rbac.Attributes{Verb: verb, APIGroup: group, Resource: res})
		}
		if !(can("bind", "clusterroles") || can("escalate", "clusterroles")) ||
			!(can("create", "clusterrolebindings") || can("update", "clusterrolebindings")) {
			continue
		}
		if can("*", "*") {
			continue // cluster-admin already
		}
		if masters < 0 {
			masters = b.g.Node(KindGroup, "", "", systemMasters)
		}
		b.g.AddEdge(id, masters, EdgeCanEscalate, 1, "may bind or escalate cluster roles and create cluster role bindings: it can bind itself to cluster-admin")
	}
}

// addNamespaceEscalation adds what creating pods in a namespace gives: its secrets, its service
// accounts and, unless Pod Security admission enforces baseline or restricted, its nodes.
func (b *builder) addNamespaceEscalation() {
	g := b.g
	enforced := map[string]string{}
	for i := range b.in.Snapshot.Namespaces {
		ns := &b.in.Snapshot.Namespaces[i]
		enforced[ns.Name] = ns.Labels["pod-security.kubernetes.io/enforce"]
	}
	for id := range g.Nodes {
		nd := &g.Nodes[id]
		if nd.Kind != KindNamespace || len(g.in[id]) == 0 {
			continue
		}
		ns := nd.Name
		for _, sec := range b.secrets[ns] {
			g.AddEdge(id, sec, EdgeMounts, 0.9, "a pod created in "+ns+" can mount any secret of "+ns)
		}
		for _, sa := range b.sas[ns] {
			g.AddEdge(id, sa, EdgeUsesSA, 0.9, "a pod created in "+ns+" can run as any service account of "+ns)
		}
		if lvl := enforced[ns]; lvl != "baseline" && lvl != "restricted" {
			why := "namespace " + ns + " does not enforce Pod Security baseline (a privileged pod is admitted)"
			g.AddEdge(id, g.Node(KindNode, "", "", AnyNode), EdgeEscapesToNode, 0.9, why)
		}
	}
}

func (b *builder) markCrowns() {
	g := b.g
	jewels := map[string]bool{}
	for _, ns := range b.in.CrownJewels {
		jewels[ns] = true
	}
	for id := range g.Nodes {
		nd := &g.Nodes[id]
		switch {
		case nd.Kind == KindNode:
			g.crown[id] = CrownNode
		case nd.Kind == KindGroup && nd.Name == systemMasters:
			// The API server gives this group every right, whatever the bindings say.
			g.crown[id] = CrownClusterAdmin
		case nd.Kind == KindNamespace && jewels[nd.Name]:
			g.crown[id] = CrownNamespace
		case jewels[nd.Namespace] && (nd.Kind == KindSecret || nd.Kind == KindWorkload || nd.Kind == KindServiceAccount):
			g.crown[id] = CrownNamespace
		case nd.Kind == KindSecret && nd.Type == "":
			g.crown[id] = CrownSecret
		}
	}
	for id, c := range g.crown {
		g.SetAttr(id, "crown", c)
	}
}

// Crown returns what is at stake at node id ("" when it is not a crown jewel).
func (g *Graph) Crown(id int) string { return g.crown[id] }

func ruleString(r *rbacv1.PolicyRule) string {
	res := strings.Join(r.Resources, ",")
	if len(r.ResourceNames) > 0 {
		res += "[" + strings.Join(r.ResourceNames, ",") + "]"
	}
	groups := ""
	if len(r.APIGroups) > 0 && !(len(r.APIGroups) == 1 && r.APIGroups[0] == "") {
		groups = " (apiGroups " + strings.Join(r.APIGroups, ",") + ")"
	}
	return strings.Join(r.Verbs, ",") + " " + res + groups
}
