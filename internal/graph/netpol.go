package graph

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/rampartsec/rampart/internal/kube"
)

// source is who sends traffic through a Service to the pods behind it.
type source string

const (
	// srcInternet is a client outside the cluster (LoadBalancer, NodePort, externalIPs).
	srcInternet source = "the Internet"
	// srcIngressController is an Ingress controller's pod, whose namespace and labels the
	// snapshot does not say.
	srcIngressController source = "the ingress controller"
	// srcClusterPod is any pod of the cluster.
	srcClusterPod source = "pods in the cluster"
)

// verdict is what the NetworkPolicies of a pod say about one kind of traffic. unsure means the
// traffic may be allowed but it could not be decided; such traffic is kept, never dropped.
type verdict int

const (
	blocked verdict = iota
	unsure
	allowed
)

// admission is a verdict and why.
type admission struct {
	v   verdict
	why string
}

// and is the verdict of two conditions that must both hold.
func and(a, b verdict) verdict { return min(a, b) }

// netpols indexes a snapshot's NetworkPolicies for ingress decisions.
type netpols struct {
	byNS map[string][]*networkingv1.NetworkPolicy
	// nsLabels are the labels of the snapshot's namespaces, with the kubernetes.io/metadata.name
	// label the API server sets on every namespace.
	// A snapshot may hold only some namespaces (manifests, or a live cluster scoped with
	// --namespace), so a namespace selector matching none of them may still match the
	// ingress controller's.
	nsLabels map[string]labels.Set
}

func newNetpols(snap *kube.Snapshot) *netpols {
	n := &netpols{byNS: map[string][]*networkingv1.NetworkPolicy{}, nsLabels: map[string]labels.Set{}}
	for i := range snap.NetworkPolicies {
		p := &snap.NetworkPolicies[i]
		ns := p.Namespace
		if ns == "" {
			ns = "default"
		}
		n.byNS[ns] = append(n.byNS[ns], p)
	}
	for i := range snap.Namespaces {
		ns := &snap.Namespaces[i]
		set := labels.Set{}
		for k, v := range ns.Labels {
			set[k] = v
		}
		set[corev1.LabelMetadataName] = ns.Name
		n.nsLabels[ns.Name] = set
	}
	return n
}

// affectsIngress says whether p isolates the pods it selects for ingress: policyTypes names
// Ingress, or is unset (then every policy affects ingress, whatever its sections).
func affectsIngress(p *networkingv1.NetworkPolicy) bool {
	if len(p.Spec.PolicyTypes) == 0 {
		return true
	}
	for _, t := range p.Spec.PolicyTypes {
		if t == networkingv1.PolicyTypeIngress {
			return true
		}
	}
	return false
}

// selects says whether sel (NetworkPolicy semantics: empty selects everything) matches set.
// An unparsable selector is reported as an error.
func selects(sel *metav1.LabelSelector, set map[string]string) (bool, error) {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	return s.Matches(labels.Set(set)), nil
}

func selectorString(sel *metav1.LabelSelector) string {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return "<invalid>"
	}
	if s.Empty() {
		return "{}"
	}
	return s.String()
}

func policyName(p *networkingv1.NetworkPolicy) string {
	return "NetworkPolicy " + p.Namespace + "/" + p.Name
}

// target is where a Service port sends traffic in a pod: a number, a container port name, or
// both once the name is resolved.
type target struct {
	num   int32
	name  string
	proto corev1.Protocol
}

func (t target) String() string {
	switch {
	case t.name != "" && t.num != 0:
		return fmt.Sprintf("%s (%d/%s)", t.name, t.num, t.proto)
	case t.name != "":
		return t.name + "/" + string(t.proto)
	}
	return fmt.Sprintf("%d/%s", t.num, t.proto)
}

// containerPort resolves a named port among the pod's containers.
func containerPort(spec *corev1.PodSpec, name string, proto corev1.Protocol) (int32, bool) {
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			for _, p := range cs[i].Ports {
				pp := p.Protocol
				if pp == "" {
					pp = corev1.ProtocolTCP
				}
				if p.Name == name && pp == proto {
					return p.ContainerPort, true
				}
			}
		}
	}
	return 0, false
}

// targets lists where the Service's ports land in a pod of spec.
func targets(svc *corev1.Service, spec *corev1.PodSpec) []target {
	var ts []target
	for _, p := range svc.Spec.Ports {
		t := target{proto: p.Protocol}
		if t.proto == "" {
			t.proto = corev1.ProtocolTCP
		}
		switch {
		case p.TargetPort.Type == intstr.String && p.TargetPort.StrVal != "":
			t.name = p.TargetPort.StrVal
			t.num, _ = containerPort(spec, t.name, t.proto)
		case p.TargetPort.IntVal != 0:
			t.num = p.TargetPort.IntVal
		default:
			t.num = p.Port // targetPort defaults to port
		}
		ts = append(ts, t)
	}
	return ts
}

// portAllows says whether a rule port admits traffic to t.
func portAllows(rp *networkingv1.NetworkPolicyPort, t target, spec *corev1.PodSpec) admission {
	proto := corev1.ProtocolTCP
	if rp.Protocol != nil && *rp.Protocol != "" {
		proto = *rp.Protocol
	}
	if proto != t.proto {
		return admission{blocked, fmt.Sprintf("port %s is not %s", t, proto)}
	}
	if rp.Port == nil {
		return admission{allowed, "every " + string(proto) + " port"}
	}
	if rp.Port.Type == intstr.String {
		name := rp.Port.StrVal
		if t.name == name {
			return admission{allowed, "named port " + name}
		}
		num, ok := containerPort(spec, name, proto)
		if !ok {
			return admission{unsure, "named port " + name + " is not declared by the pod's containers, not assessed"}
		}
		if t.num == 0 {
			return admission{unsure, fmt.Sprintf("targetPort %s is not declared by the pod's containers, not assessed", t.name)}
		}
		if num == t.num {
			return admission{allowed, fmt.Sprintf("named port %s (%d)", name, num)}
		}
		return admission{blocked, fmt.Sprintf("named port %s (%d) is not %s", name, num, t)}
	}
	if t.num == 0 {
		return admission{unsure, fmt.Sprintf("targetPort %s is not declared by the pod's containers, not assessed", t.name)}
	}
	lo, hi := rp.Port.IntVal, rp.Port.IntVal
	// A CNI without endPort support allows only port: the range is an upper bound, so a port
	// outside it is blocked either way, and one inside it is counted as allowed.
	if rp.EndPort != nil && *rp.EndPort > lo {
		hi = *rp.EndPort
	}
	if t.num < lo || t.num > hi {
		return admission{blocked, fmt.Sprintf("port %s is outside %s", t, portRange(lo, hi, proto))}
	}
	return admission{allowed, "port " + portRange(lo, hi, proto)}
}

func portRange(lo, hi int32, proto corev1.Protocol) string {
	if lo == hi {
		return fmt.Sprintf("%d/%s", lo, proto)
	}
	return fmt.Sprintf("%d-%d/%s", lo, hi, proto)
}

// portsAllow says whether a rule's ports admit traffic to any of the Service's targets.
func portsAllow(ports []networkingv1.NetworkPolicyPort, ts []target, spec *corev1.PodSpec) admission {
	if len(ports) == 0 {
		return admission{allowed, "any port"}
	}
	if len(ts) == 0 {
		return admission{unsure, "the Service names no port to compare with the rule's ports, not assessed"}
	}
	best := admission{v: blocked}
	var whys []string
	for _, t := range ts {
		for i := range ports {
			a := portAllows(&ports[i], t, spec)
			if a.v > best.v {
				best = a
			}
			if a.v == blocked {
				whys = append(whys, a.why)
			}
		}
	}
	if best.v == blocked {
		best.why = strings.Join(whys, ", ")
	}
	return best
}

// peerAllows says whether one peer of a rule admits src.
func (n *netpols) peerAllows(peer *networkingv1.NetworkPolicyPeer, src source) admission {
	if b := peer.IPBlock; b != nil {
		desc := "ipBlock " + b.CIDR
		if len(b.Except) > 0 {
			desc += " except " + strings.Join(b.Except, ",")
		}
		switch src {
		case srcInternet:
			pfx, err := netip.ParsePrefix(b.CIDR)
			if err != nil {
				return admission{unsure, desc + " does not parse, not assessed"}
			}
			if pfx.Bits() != 0 {
				return admission{blocked, desc + " admits only part of the Internet"}
			}
			if exceptsAll(b.Except, pfx) {
				return admission{blocked, desc + " excepts the whole range"}
			}
			return admission{allowed, desc}
		default:
			// Whether an ipBlock matches pod addresses (or the node or load balancer addresses an
			// ingress controller's traffic may come from) depends on the CNI.
			return admission{unsure, desc + " may match its address (CNI-dependent), not assessed"}
		}
	}
	if peer.NamespaceSelector == nil && peer.PodSelector == nil {
		return admission{unsure, "a peer with no selector, not assessed"}
	}
	var parts []string
	if peer.NamespaceSelector != nil {
		parts = append(parts, "namespaceSelector "+selectorString(peer.NamespaceSelector))
	}
	if peer.PodSelector != nil {
		parts = append(parts, "podSelector "+selectorString(peer.PodSelector))
	}
	desc := strings.Join(parts, " and ")
	switch src {
	case srcInternet:
		return admission{blocked, desc + " admits pods only"}
	case srcClusterPod:
		return admission{allowed, desc}
	}
	// The ingress controller: its pod's namespace and labels are unknown.
	if peer.NamespaceSelector == nil {
		// Only pods of the policy's own namespace; controllers are installed in their own.
		return admission{blocked, desc + " admits pods of its own namespace only (the ingress controller is assumed to run in another)"}
	}
	nsSel, err := metav1.LabelSelectorAsSelector(peer.NamespaceSelector)
	if err != nil {
		return admission{unsure, desc + " does not parse, not assessed"}
	}
	var matched []string
	for name, set := range n.nsLabels {
		if nsSel.Matches(set) {
			matched = append(matched, name)
		}
	}
	podSel, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
	if err != nil {
		return admission{unsure, desc + " does not parse, not assessed"}
	}
	if nsSel.Empty() && (peer.PodSelector == nil || podSel.Empty()) {
		return admission{allowed, desc + " (every pod of every namespace)"}
	}
	where := "a namespace it selects"
	if len(matched) > 0 {
		slices.Sort(matched)
		where += " (" + strings.Join(matched, ",") + ")"
	} else {
		where += " (none in the snapshot)"
	}
	why := desc + ", assuming the ingress controller runs in " + where
	if peer.PodSelector != nil && !podSel.Empty() {
		why += " with labels its podSelector matches"
	}
	return admission{unsure, why}
}

// ruleAllows says whether one ingress rule admits src on one of the targets.
func (n *netpols) ruleAllows(r *networkingv1.NetworkPolicyIngressRule, src source, ts []target, spec *corev1.PodSpec) admission {
	ports := portsAllow(r.Ports, ts, spec)
	if ports.v == blocked {
		return ports
	}
	if len(r.From) == 0 {
		return admission{and(allowed, ports.v), "every source on " + ports.why}
	}
	peers := admission{v: blocked}
	var whys []string
	for i := range r.From {
		a := n.peerAllows(&r.From[i], src)
		if a.v > peers.v {
			peers = a
		}
		if a.v == blocked {
			whys = append(whys, a.why)
		}
	}
	if peers.v == blocked {
		return admission{blocked, strings.Join(whys, "; ")}
	}
	return admission{and(peers.v, ports.v), peers.why + " on " + ports.why}
}

// admit says whether the NetworkPolicies of namespace ns let src reach a pod with podLabels and
// spec through the Service's targets. A pod no policy isolates for ingress admits everything;
// an isolated one admits what at least one rule of one of its policies admits (policies and
// rules are OR-ed). A policy whose podSelector does not parse is taken not to select the pod, so
// that it cannot remove an edge.
func (n *netpols) admit(ns string, podLabels map[string]string, spec *corev1.PodSpec, src source, ts []target) admission {
	var isolating []string
	best := admission{v: blocked}
	var whys []string
	for _, p := range n.byNS[ns] {
		if !affectsIngress(p) {
			continue
		}
		if ok, err := selects(&p.Spec.PodSelector, podLabels); err != nil || !ok {
			continue
		}
		isolating = append(isolating, p.Name)
		for i := range p.Spec.Ingress {
			a := n.ruleAllows(&p.Spec.Ingress[i], src, ts, spec)
			where := fmt.Sprintf("%s ingress[%d]", policyName(p), i)
			switch {
			case a.v == blocked:
				whys = append(whys, where+": "+a.why)
			case a.v > best.v:
				verb := "admits"
				if a.v == unsure {
					verb = "may admit"
				}
				best = admission{a.v, fmt.Sprintf("%s %s %s: %s", where, verb, src, a.why)}
			}
		}
	}
	if len(isolating) == 0 {
		return admission{allowed, "no NetworkPolicy selects the pod"}
	}
	if best.v != blocked {
		return best
	}
	if src == srcInternet {
		if a, ok := n.unionAdmits(ns, podLabels, spec, ts); ok {
			return a
		}
	}
	why := fmt.Sprintf("isolated for ingress by NetworkPolicy %s in %s; no rule admits %s", strings.Join(isolating, ","), ns, src)
	if len(whys) > 0 {
		why += " (" + strings.Join(whys, "; ") + ")"
	}
	if spec.HostNetwork {
		// Kubernetes leaves NetworkPolicy on host-network pods undefined; most CNIs do not
		// enforce it there.
		return admission{unsure, "the pod uses hostNetwork, where NetworkPolicies may not apply, not assessed: " + why}
	}
	return admission{blocked, why}
}

// unionAdmits says whether ipBlocks that each admit part of the Internet (on a port of the
// Service) admit all of it together, as 0.0.0.0/1 and 128.0.0.0/1 do. Their excepts are holes,
// as in a single 0.0.0.0/0 block.
func (n *netpols) unionAdmits(ns string, podLabels map[string]string, spec *corev1.PodSpec, ts []target) (admission, bool) {
	var pfxs []netip.Prefix
	var names []string
	v := allowed
	for _, p := range n.byNS[ns] {
		if !affectsIngress(p) {
			continue
		}
		if ok, err := selects(&p.Spec.PodSelector, podLabels); err != nil || !ok {
			continue
		}
		for i := range p.Spec.Ingress {
			r := &p.Spec.Ingress[i]
			ports := portsAllow(r.Ports, ts, spec)
			if ports.v == blocked {
				continue
			}
			for _, peer := range r.From {
				if peer.IPBlock == nil {
					continue
				}
				if pfx, err := netip.ParsePrefix(peer.IPBlock.CIDR); err == nil && !exceptsAll(peer.IPBlock.Except, pfx) {
					pfxs = append(pfxs, pfx.Masked())
					names = append(names, fmt.Sprintf("%s ingress[%d] ipBlock %s", policyName(p), i, peer.IPBlock.CIDR))
					v = min(v, ports.v)
				}
			}
		}
	}
	for _, whole := range []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")} {
		if covers(pfxs, whole) {
			verb := "admit"
			if v == unsure {
				verb = "may admit"
			}
			return admission{v, fmt.Sprintf("%s together %s the Internet (they cover %s)", strings.Join(names, ", "), verb, whole)}, true
		}
	}
	return admission{}, false
}

// exceptsAll says whether one of excepts holds all of pfx.
func exceptsAll(excepts []string, pfx netip.Prefix) bool {
	for _, e := range excepts {
		if ep, err := netip.ParsePrefix(e); err == nil && ep.Bits() <= pfx.Bits() && ep.Contains(pfx.Addr()) {
			return true
		}
	}
	return false
}

// covers says whether the union of pfxs holds every address of p.
func covers(pfxs []netip.Prefix, p netip.Prefix) bool {
	inside := false
	for _, q := range pfxs {
		if q.Addr().Is4() != p.Addr().Is4() {
			continue
		}
		if q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
			return true
		}
		if q.Bits() > p.Bits() && p.Contains(q.Addr()) {
			inside = true
		}
	}
	if !inside {
		return false
	}
	// Split p in halves: only halves holding smaller prefixes recurse, so the work is bounded
	// by the number of prefixes times the address length.
	lo := netip.PrefixFrom(p.Addr(), p.Bits()+1)
	b := p.Addr().AsSlice()
	b[p.Bits()/8] |= 0x80 >> (p.Bits() % 8)
	hiAddr, _ := netip.AddrFromSlice(b)
	hi := netip.PrefixFrom(hiAddr, p.Bits()+1)
	return covers(pfxs, lo) && covers(pfxs, hi)
}
