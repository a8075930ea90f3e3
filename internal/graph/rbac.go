package graph

import (
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/rampartsec/rampart/internal/rbac"
)

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
