package graph

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampartsec/rampart/internal/kube"
)

// addWorkloads adds a Workload node per top-level workload. A controlled workload whose
// controller is in the snapshot (a Deployment's ReplicaSet, its pods) joins its controller's
// node; a pod of it becomes a Pod node the workload runs.
func (b *builder) addWorkloads() {
	snap := b.in.Snapshot
	g := b.g
	top := map[kube.Ref]int{} // a workload's node: its own, or its controller's
	tmpl := templateLabels(snap)
	for _, w := range snap.Workloads() {
		if owner, ok := w.Controller(); ok {
			if id, ok := top[owner]; ok {
				top[w.Ref()] = id
				if w.Kind == "Pod" {
					b.controlledPod(id, w, owner)
				}
				continue
			}
		}
		b.namespace(w.Meta.Namespace)
		id := g.Node(KindWorkload, w.Kind, w.Meta.Namespace, w.Meta.Name)
		top[w.Ref()] = id
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

// controlledPod adds pod w of the workload node id (its controller, owner): the pod, the node it
// is scheduled on, and, when the workload escapes to "its node", an escape to that node.
func (b *builder) controlledPod(id int, w kube.Workload, owner kube.Ref) {
	g := b.g
	pod := g.Node(KindPod, "", w.Meta.Namespace, w.Meta.Name)
	g.AddEdge(id, pod, EdgeRuns, 0, "owned by "+owner.Kind+"/"+owner.Name)
	n := w.PodSpec.NodeName
	if n == "" {
		return
	}
	node := g.Node(KindNode, "", "", n)
	g.AddEdge(pod, node, EdgeScheduledOn, 0, "spec.nodeName")
	// A workload that escapes to "its node" escapes to every node its pods run on.
	if anyNode, ok := g.Lookup(KindNode, "", "", AnyNode); ok && g.edge(id, anyNode, EdgeEscapesToNode) >= 0 {
		esc := g.edge(id, anyNode, EdgeEscapesToNode)
		e := g.Edges[esc]
		g.AddEdge(id, node, EdgeEscapesToNode, e.P, e.Evidence+"; pod "+w.Meta.Name+" runs there")
	}
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
