package posture

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/rampartsec/rampart/internal/finding"
)

// Namespace and exposure checks.
var (
	ruleNoNetPol = rule{id: "KN001", title: "Namespace has no NetworkPolicy", severity: finding.SeverityMedium,
		cis: []string{"5.3.2"}, nsa: []string{nsaNetPol}, needs: []input{inWorkloads, inNetworkPolicies},
		remediation: "Add a default-deny NetworkPolicy to the namespace and allow only the traffic its workloads need."}
	ruleNoEnforce = rule{id: "KN002", title: "Namespace does not enforce a Pod Security Standards level", severity: finding.SeverityMedium,
		cis: []string{"5.2.1"}, nsa: []string{nsaPodSecurity}, needs: []input{inNamespaces},
		remediation: "Label the namespace pod-security.kubernetes.io/enforce=restricted (or baseline where restricted cannot be met)."}
	ruleViolatesEnforce = rule{id: "KN003", title: "Workload violates its namespace's enforced Pod Security level", severity: finding.SeverityHigh,
		nsa: []string{nsaPodSecurity}, needs: []input{inWorkloads, inNamespaces},
		remediation: "Fix the workload's pod template (see its PS findings): the API server rejects pods that violate the namespace's enforce level."}
	ruleLoadBalancer = rule{id: "KE001", kind: finding.KindExposure, title: "Service of type LoadBalancer exposes pods outside the cluster", severity: finding.SeverityMedium,
		nsa: []string{nsaExposure}, needs: []input{inServices},
		remediation: "Use a ClusterIP service behind an Ingress with TLS, or restrict spec.loadBalancerSourceRanges."}
	ruleNodePort = rule{id: "KE002", kind: finding.KindExposure, title: "Service of type NodePort opens a port on every node", severity: finding.SeverityMedium,
		nsa: []string{nsaExposure}, needs: []input{inServices},
		remediation: "Use a ClusterIP service behind an Ingress with TLS instead of a NodePort."}
	ruleIngressTLS = rule{id: "KE003", kind: finding.KindExposure, title: "Ingress serves hosts without TLS", severity: finding.SeverityMedium,
		nsa: []string{nsaExposure}, needs: []input{inIngresses},
		remediation: "Add spec.tls entries covering every host of the Ingress, with a certificate secret."}
)

// unsetNamespace stands for manifests that set no namespace: they land in whatever namespace
// they are applied to.
const unsetNamespace = "(unset)"

func nsName(ns string) string {
	if ns == "" {
		return unsetNamespace
	}
	return ns
}

// namespaces runs the per-namespace checks: NetworkPolicy coverage, the enforce label, and
// workloads that violate the enforced level.
func (c *checker) namespaces() {
	netpol := map[string]bool{}
	for _, p := range c.snap.NetworkPolicies {
		netpol[p.Namespace] = true
	}
	byNS := map[string][]workloadVerdict{}
	for _, v := range c.verdicts {
		byNS[v.w.Meta.Namespace] = append(byNS[v.w.Meta.Namespace], v)
	}
	var names []string
	for ns := range byNS {
		names = append(names, ns)
	}
	sort.Strings(names)
	if _, gap := c.gap(inNetworkPolicies); !gap {
		for _, ns := range names {
			if netpol[ns] {
				continue
			}
			m := c.namespaceMeta(ns)
			c.res.Findings = append(c.res.Findings, ruleNoNetPol.finding(
				finding.Resource{Kind: "Namespace", Name: nsName(ns)}, c.location("Namespace", m, ""),
				fmt.Sprintf("%d workloads, no NetworkPolicy selects them", len(byNS[ns]))))
		}
	}
	for i := range c.snap.Namespaces {
		n := &c.snap.Namespaces[i]
		level, ok := n.Labels[psaapi.EnforceLevelLabel]
		if ok && (level == ProfileBaseline || level == ProfileRestricted) {
			continue
		}
		ev := "no " + psaapi.EnforceLevelLabel + " label"
		if ok {
			ev = psaapi.EnforceLevelLabel + "=" + level
		}
		r := ruleNoEnforce
		r.remediation = suggestLevel(byNS[n.Name]) + " " + r.remediation
		c.res.Findings = append(c.res.Findings, r.finding(
			finding.Resource{Kind: "Namespace", Name: n.Name}, c.location("Namespace", &n.ObjectMeta, "metadata.labels"), ev))
	}
	// Workloads against their namespace's enforced level, at its enforced version.
	for _, ns := range names {
		for _, v := range byNS[ns] {
			if v.enforceLevel == "" || v.enforceLevel == ProfilePrivileged {
				continue
			}
			lv, err := levelVersion(v.enforceLevel, v.enforceVer)
			if err != nil {
				// The API server evaluates an unparsable level as restricted, an unparsable
				// version as latest; ParseLevel and ParseVersion return those with the error.
				lv.Level, _ = psaapi.ParseLevel(v.enforceLevel)
				lv.Version, _ = psaapi.ParseVersion(v.enforceVer)
			}
			viols := c.e.evaluate(lv.Level, lv.Version, v.tmeta, v.w.PodSpec)
			if len(viols) == 0 {
				continue
			}
			var ids []string
			for _, x := range viols {
				ids = append(ids, x.check.id)
			}
			r := ruleViolatesEnforce
			f := r.finding(resource(v.w.Kind, v.w.Meta), c.location(v.w.Kind, v.w.Meta, ""),
				fmt.Sprintf("namespace %s enforces %s (%s); violated: %s", ns, v.enforceLevel, versionOr(v.enforceVer), strings.Join(dedupe(ids), ", ")))
			c.res.Findings = append(c.res.Findings, f)
		}
	}
}

func versionOr(v string) string {
	if v == "" {
		return psaapi.VersionLatest
	}
	return v
}

func dedupe(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// suggestLevel says which level a namespace's workloads would pass today.
func suggestLevel(ws []workloadVerdict) string {
	base, restr := true, true
	for _, v := range ws {
		base = base && v.baseline
		restr = restr && v.restricted
	}
	switch {
	case len(ws) == 0:
		return "The namespace has no workloads here: restricted costs nothing now."
	case restr:
		return "All its workloads meet restricted today."
	case base:
		return "All its workloads meet baseline today (not restricted)."
	}
	return "Some of its workloads do not meet even baseline: fix them first (see their PS findings)."
}

// namespaceMeta returns the metadata of a namespace object, or a stand-in with its name.
func (c *checker) namespaceMeta(ns string) *metav1.ObjectMeta {
	for i := range c.snap.Namespaces {
		if c.snap.Namespaces[i].Name == ns {
			return &c.snap.Namespaces[i].ObjectMeta
		}
	}
	return &metav1.ObjectMeta{Name: ns}
}

// exposure reports services and ingresses that reach outside the cluster.
func (c *checker) exposure() {
	for i := range c.snap.Services {
		s := &c.snap.Services[i]
		res := resource("Service", &s.ObjectMeta)
		switch s.Spec.Type {
		case corev1.ServiceTypeLoadBalancer:
			ev := "type: LoadBalancer"
			if len(s.Spec.LoadBalancerSourceRanges) > 0 {
				ev += ", source ranges " + strings.Join(s.Spec.LoadBalancerSourceRanges, ", ")
			}
			c.res.Findings = append(c.res.Findings, ruleLoadBalancer.finding(res, c.location("Service", &s.ObjectMeta, "spec.type"), ev+ports(s)))
		case corev1.ServiceTypeNodePort:
			c.res.Findings = append(c.res.Findings, ruleNodePort.finding(res, c.location("Service", &s.ObjectMeta, "spec.type"), "type: NodePort"+ports(s)))
		}
	}
	for i := range c.snap.Ingresses {
		in := &c.snap.Ingresses[i]
		if hosts := uncoveredHosts(in); len(hosts) > 0 {
			c.res.Findings = append(c.res.Findings, ruleIngressTLS.finding(resource("Ingress", &in.ObjectMeta),
				c.location("Ingress", &in.ObjectMeta, "spec.tls"), "no TLS for "+strings.Join(hosts, ", ")))
		}
	}
}

func ports(s *corev1.Service) string {
	var ps []string
	for _, p := range s.Spec.Ports {
		x := fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if p.NodePort != 0 {
			x += fmt.Sprintf(" (node %d)", p.NodePort)
		}
		ps = append(ps, x)
	}
	if len(ps) == 0 {
		return ""
	}
	return ", ports " + strings.Join(ps, ", ")
}

// uncoveredHosts lists the hosts of an Ingress that no TLS entry covers ("*" for rules without
// a host, and for a default backend).
func uncoveredHosts(in *networkingv1.Ingress) []string {
	tls := map[string]bool{}
	anyTLS := false
	for _, t := range in.Spec.TLS {
		anyTLS = true
		for _, h := range t.Hosts {
			tls[h] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	addHost := func(h string) {
		if seen[h] {
			return
		}
		seen[h] = true
		if h == "" {
			// A rule without a host is served with the TLS entry without hosts, if any.
			if !anyTLS {
				out = append(out, "*")
			}
			return
		}
		if !tls[h] && !wildcardCovers(tls, h) {
			out = append(out, h)
		}
	}
	if in.Spec.DefaultBackend != nil {
		addHost("")
	}
	for _, r := range in.Spec.Rules {
		addHost(r.Host)
	}
	return out
}

func wildcardCovers(tls map[string]bool, host string) bool {
	if i := strings.IndexByte(host, '.'); i > 0 {
		return tls["*"+host[i:]]
	}
	return false
}
