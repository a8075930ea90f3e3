package graph

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/rampartsec/rampart/internal/kube"
)

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
