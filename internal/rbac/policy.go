// Package rbac computes effective Kubernetes RBAC permissions from a [kube.Snapshot]: which
// subjects may do what, where, and through which binding. Its answers follow the API server's
// RBAC authorizer rule for rule (wildcards, resourceNames, subresources including "*/sub",
// non-resource URLs, RoleBinding vs ClusterRoleBinding scope, the groups a service account is
// implicitly in), and it computes ClusterRole aggregation itself for manifests, where no
// controller-manager has done it.
//
// # Usage
//
//	p := rbac.Resolve(snap)
//	ok := p.Allows(rbac.UserFor(rbac.ServiceAccount("ns", "app")), rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: "ns"})
//	subjects := p.WhoCan(rbac.Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "ns"})
//	report := p.Risks(snap, rbac.RiskOptions{})
//
// A Policy is immutable after Resolve and safe for concurrent use.
package rbac

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/rampartsec/rampart/internal/kube"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Subject kinds, as RBAC bindings spell them.
const (
	KindUser           = rbacv1.UserKind
	KindGroup          = rbacv1.GroupKind
	KindServiceAccount = rbacv1.ServiceAccountKind
)

// Well-known groups the API server's authenticators add.
const (
	GroupAuthenticated   = "system:authenticated"
	GroupUnauthenticated = "system:unauthenticated"
	GroupServiceAccounts = "system:serviceaccounts"
	UserAnonymous        = "system:anonymous"
	saUserPrefix         = "system:serviceaccount:"
)

// Subject is who a binding grants to. Namespace is set for service accounts only.
type Subject struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

func (s Subject) String() string {
	switch s.Kind {
	case KindServiceAccount:
		return saUserPrefix + s.Namespace + ":" + s.Name
	case KindGroup:
		return "group:" + s.Name
	}
	return "user:" + s.Name
}

// ServiceAccount returns the Subject of a service account.
func ServiceAccount(namespace, name string) Subject {
	return Subject{Kind: KindServiceAccount, Namespace: namespace, Name: name}
}

// ParseSubject reads "system:serviceaccount:NS:NAME", "serviceaccount:NS/NAME", "user:NAME",
// "group:NAME" or a bare user name.
func ParseSubject(s string) (Subject, error) {
	switch {
	case strings.HasPrefix(s, saUserPrefix):
		ns, name, ok := strings.Cut(strings.TrimPrefix(s, saUserPrefix), ":")
		if !ok || !objectName(ns) || !objectName(name) {
			return Subject{}, fmt.Errorf("service account %q: want system:serviceaccount:NAMESPACE:NAME", s)
		}
		return ServiceAccount(ns, name), nil
	case strings.HasPrefix(s, "serviceaccount:"), strings.HasPrefix(s, "sa:"):
		_, rest, _ := strings.Cut(s, ":")
		ns, name, ok := strings.Cut(rest, "/")
		if !ok || !objectName(ns) || !objectName(name) {
			return Subject{}, fmt.Errorf("service account %q: want serviceaccount:NAMESPACE/NAME", s)
		}
		return ServiceAccount(ns, name), nil
	case strings.HasPrefix(s, "group:"):
		if n := strings.TrimPrefix(s, "group:"); n != "" {
			return Subject{Kind: KindGroup, Name: n}, nil
		}
	case strings.HasPrefix(s, "user:"):
		if n := strings.TrimPrefix(s, "user:"); n != "" {
			return Subject{Kind: KindUser, Name: n}, nil
		}
	case s != "" && !strings.Contains(s, ":"):
		return Subject{Kind: KindUser, Name: s}, nil
	}
	return Subject{}, fmt.Errorf("subject %q: want user:NAME, group:NAME or system:serviceaccount:NAMESPACE:NAME", s)
}

// objectName reports whether s can be a namespace or service account name: not empty, and
// without the separators of the subject syntax (Kubernetes names never hold them).
func objectName(s string) bool { return s != "" && !strings.ContainsAny(s, ":/") }

// User is an authenticated identity as the authorizer sees it: a name and groups.
type User struct {
	Name   string
	Groups []string
}

// UserFor returns the identity a request by s carries: a service account is user
// system:serviceaccount:NS:NAME in groups system:serviceaccounts, system:serviceaccounts:NS and
// system:authenticated; a user is in system:authenticated (system:anonymous in
// system:unauthenticated) plus extraGroups; a group subject is a nameless member of that group only.
func UserFor(s Subject, extraGroups ...string) User {
	switch s.Kind {
	case KindServiceAccount:
		return User{Name: s.String(), Groups: append([]string{GroupServiceAccounts, GroupServiceAccounts + ":" + s.Namespace, GroupAuthenticated}, extraGroups...)}
	case KindGroup:
		return User{Groups: append([]string{s.Name}, extraGroups...)}
	}
	if s.Name == UserAnonymous {
		return User{Name: s.Name, Groups: append([]string{GroupUnauthenticated}, extraGroups...)}
	}
	return User{Name: s.Name, Groups: append([]string{GroupAuthenticated}, extraGroups...)}
}

// Attributes describe one request, as in a SubjectAccessReview. Namespace "" means cluster
// scope (cluster-scoped resources, or all namespaces). Path set means a non-resource request.
type Attributes struct {
	Verb        string
	APIGroup    string
	Resource    string
	Subresource string
	Name        string
	Namespace   string
	Path        string
}

// Grant is one rule granted by one binding: to its subjects, in Namespace ("" for every
// namespace and cluster scope).
type Grant struct {
	Binding   kube.Ref
	Role      kube.Ref
	Namespace string
	Rule      rbacv1.PolicyRule
	// From names the ClusterRole an aggregated role took the rule from (zero otherwise).
	From     kube.Ref
	Subjects []Subject
	// Default is true for the API server's own bootstrap bindings (kubernetes.io/bootstrapping=rbac-defaults).
	Default bool
}

// Chain describes how the grant reaches its subjects: "RoleBinding/ns/b → ClusterRole/r".
func (g *Grant) Chain() string {
	s := g.Binding.String() + " → " + g.Role.String()
	if g.From.Name != "" {
		s += " (aggregated from " + g.From.String() + ")"
	}
	return s
}

// Policy is the resolved RBAC state of one snapshot.
type Policy struct {
	grants    []Grant
	bySubject map[string][]int // subject key → indexes into grants
	// Warnings are problems of the input that do not stop resolution (a binding to a missing role).
	Warnings []string
}

func subjectKey(kind, namespace, name string) string {
	return kind + "\x00" + namespace + "\x00" + name
}

// Resolve builds the policy of snap. ClusterRole aggregation is computed from the
// aggregationRules unless snap.AggregationDone says the cluster already did it.
func Resolve(snap *kube.Snapshot) *Policy {
	p := &Policy{bySubject: map[string][]int{}}
	type roleRules struct {
		rules []rbacv1.PolicyRule
		from  []kube.Ref
	}
	clusterRoles := make(map[string]roleRules, len(snap.ClusterRoles))
	for name, rr := range aggregate(snap.ClusterRoles, !snap.AggregationDone) {
		clusterRoles[name] = roleRules{rr.rules, rr.from}
	}
	roles := make(map[string]*rbacv1.Role, len(snap.Roles))
	for i := range snap.Roles {
		r := &snap.Roles[i]
		roles[r.Namespace+"/"+r.Name] = r
	}
	add := func(binding kube.Ref, meta *metav1.ObjectMeta, ref rbacv1.RoleRef, subjects []rbacv1.Subject, ns string) {
		var (
			rules   []rbacv1.PolicyRule
			from    []kube.Ref
			roleRef kube.Ref
		)
		switch ref.Kind {
		case "ClusterRole":
			roleRef = kube.Ref{Kind: "ClusterRole", Name: ref.Name}
			rr, ok := clusterRoles[ref.Name]
			if !ok {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s refers to missing ClusterRole %s", binding, ref.Name))
				return
			}
			rules, from = rr.rules, rr.from
		case "Role":
			roleRef = kube.Ref{Kind: "Role", Namespace: ns, Name: ref.Name}
			r, ok := roles[ns+"/"+ref.Name]
			if ns == "" || !ok {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s refers to missing Role %s/%s", binding, ns, ref.Name))
				return
			}
			rules = r.Rules
		default:
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s has roleRef of unknown kind %q", binding, ref.Kind))
			return
		}
		subs := make([]Subject, 0, len(subjects))
		for _, s := range subjects {
			switch s.Kind {
			case KindUser, KindGroup:
				subs = append(subs, Subject{Kind: s.Kind, Name: s.Name})
			case KindServiceAccount:
				sns := s.Namespace
				if sns == "" {
					// The authorizer takes a RoleBinding's namespace for a service account without one.
					sns = ns
				}
				if sns == "" {
					continue
				}
				subs = append(subs, ServiceAccount(sns, s.Name))
			}
		}
		if len(subs) == 0 {
			return
		}
		def := meta.Labels["kubernetes.io/bootstrapping"] == "rbac-defaults"
		for i, r := range rules {
			g := Grant{Binding: binding, Role: roleRef, Namespace: ns, Rule: r, Subjects: subs, Default: def}
			if from != nil {
				g.From = from[i]
			}
			idx := len(p.grants)
			p.grants = append(p.grants, g)
			for _, s := range subs {
				k := subjectKey(s.Kind, s.Namespace, s.Name)
				p.bySubject[k] = append(p.bySubject[k], idx)
			}
		}
	}
	for i := range snap.ClusterRoleBindings {
		b := &snap.ClusterRoleBindings[i]
		add(kube.Ref{Kind: "ClusterRoleBinding", Name: b.Name}, &b.ObjectMeta, b.RoleRef, b.Subjects, "")
	}
	for i := range snap.RoleBindings {
		b := &snap.RoleBindings[i]
		if b.Namespace == "" {
			p.Warnings = append(p.Warnings, fmt.Sprintf("RoleBinding %s has no namespace", b.Name))
			continue
		}
		add(kube.Ref{Kind: "RoleBinding", Namespace: b.Namespace, Name: b.Name}, &b.ObjectMeta, b.RoleRef, b.Subjects, b.Namespace)
	}
	for _, w := range p.Warnings {
		slog.Debug("rbac", "warning", w)
	}
	return p
}

type aggregated struct {
	rules []rbacv1.PolicyRule
	from  []kube.Ref // parallel to rules; zero Ref for a role's own rules
}

// aggregate returns every ClusterRole's rules. With compute, a role with an aggregationRule gets
// the union of the rules of the roles its selectors match (by name order, duplicates dropped, its
// own rules replaced), repeated until nothing changes, as the controller-manager does; without,
// the stored rules are kept and only their source role is looked up.
func aggregate(crs []rbacv1.ClusterRole, compute bool) map[string]aggregated {
	out := make(map[string]aggregated, len(crs))
	sorted := make([]*rbacv1.ClusterRole, len(crs))
	for i := range crs {
		sorted[i] = &crs[i]
		out[crs[i].Name] = aggregated{rules: crs[i].Rules}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	type agg struct {
		role      *rbacv1.ClusterRole
		selectors []labels.Selector
	}
	var aggs []agg
	for _, cr := range sorted {
		if cr.AggregationRule == nil {
			continue
		}
		a := agg{role: cr}
		for _, ls := range cr.AggregationRule.ClusterRoleSelectors {
			sel, err := metav1.LabelSelectorAsSelector(&ls)
			if err != nil {
				slog.Warn("bad aggregationRule selector", "role", cr.Name, "err", err)
				continue
			}
			a.selectors = append(a.selectors, sel)
		}
		aggs = append(aggs, a)
	}
	// compose builds one aggregated role from the current rules of the roles it selects.
	compose := func(a agg) aggregated {
		var res aggregated
		for _, sel := range a.selectors {
			for _, cr := range sorted {
				if cr.Name == a.role.Name || !sel.Matches(labels.Set(cr.Labels)) {
					continue
				}
				src := out[cr.Name]
				for j, r := range src.rules {
					if containsRule(res.rules, r) {
						continue
					}
					from := kube.Ref{Kind: "ClusterRole", Name: cr.Name}
					if src.from != nil && src.from[j].Name != "" {
						from = src.from[j]
					}
					res.rules = append(res.rules, r)
					res.from = append(res.from, from)
				}
			}
		}
		return res
	}
	if compute {
		for iter := 0; iter <= len(aggs)+1; iter++ {
			changed := false
			for _, a := range aggs {
				next := compose(a)
				if !equality.Semantic.DeepEqual(next.rules, out[a.role.Name].rules) {
					changed = true
				}
				out[a.role.Name] = next
			}
			if !changed {
				break
			}
		}
		return out
	}
	// The stored rules are authoritative; name where each came from when a selected role has it.
	for _, a := range aggs {
		cur := out[a.role.Name]
		src := compose(a)
		cur.from = make([]kube.Ref, len(cur.rules))
		for i, r := range cur.rules {
			for j, sr := range src.rules {
				if equality.Semantic.DeepEqual(r, sr) {
					cur.from[i] = src.from[j]
					break
				}
			}
		}
		out[a.role.Name] = cur
	}
	return out
}

func containsRule(rules []rbacv1.PolicyRule, r rbacv1.PolicyRule) bool {
	for _, x := range rules {
		if equality.Semantic.DeepEqual(x, r) {
			return true
		}
	}
	return false
}

// Grants returns every grant, in binding order. The slice is shared: do not modify it.
func (p *Policy) Grants() []Grant { return p.grants }

// grantsFor returns the indexes of the grants whose subjects include u (directly, through a
// group, or as the service account u names), sorted.
func (p *Policy) grantsFor(u User) []int {
	var idx []int
	idx = append(idx, p.bySubject[subjectKey(KindUser, "", u.Name)]...)
	for _, g := range u.Groups {
		idx = append(idx, p.bySubject[subjectKey(KindGroup, "", g)]...)
	}
	if rest, ok := strings.CutPrefix(u.Name, saUserPrefix); ok {
		if ns, name, ok := strings.Cut(rest, ":"); ok {
			idx = append(idx, p.bySubject[subjectKey(KindServiceAccount, ns, name)]...)
		}
	}
	sort.Ints(idx)
	// A subject named twice in one binding, or a user in two groups of one binding.
	out := idx[:0]
	for i, v := range idx {
		if i == 0 || v != idx[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Allows reports whether u may make the request a, as the RBAC authorizer would answer.
func (p *Policy) Allows(u User, a Attributes) bool {
	for _, i := range p.grantsFor(u) {
		if grantAllows(&p.grants[i], a) {
			return true
		}
	}
	return false
}

// For returns the grants that apply to u, in binding order.
func (p *Policy) For(u User) []Grant {
	idx := p.grantsFor(u)
	out := make([]Grant, len(idx))
	for i, j := range idx {
		out[i] = p.grants[j]
	}
	return out
}

// WhoCan returns the subjects named in bindings that allow a, sorted and without duplicates.
// Someone allowed only through a group is reported as that group.
func (p *Policy) WhoCan(a Attributes) []Subject {
	seen := map[Subject]bool{}
	var out []Subject
	for i := range p.grants {
		g := &p.grants[i]
		if !grantAllows(g, a) {
			continue
		}
		for _, s := range g.Subjects {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	SortSubjects(out)
	return out
}

// SortSubjects orders subjects by kind, namespace and name.
func SortSubjects(s []Subject) {
	sort.Slice(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
}

// Subjects returns every subject some binding names, sorted.
func (p *Policy) Subjects() []Subject {
	seen := map[Subject]bool{}
	var out []Subject
	for i := range p.grants {
		for _, s := range p.grants[i].Subjects {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	SortSubjects(out)
	return out
}

// grantAllows applies the authorizer's scope rule: a RoleBinding's rules hold only for requests
// in its namespace; non-resource requests and cluster-scope requests only match cluster grants.
func grantAllows(g *Grant, a Attributes) bool {
	if g.Namespace != "" && g.Namespace != a.Namespace {
		return false
	}
	if a.Path != "" {
		return g.Namespace == "" && verbMatches(&g.Rule, a.Verb) && nonResourceURLMatches(&g.Rule, a.Path)
	}
	return RuleAllows(&g.Rule, a)
}

// RuleAllows reports whether one rule covers the resource request a (scope is not considered).
func RuleAllows(r *rbacv1.PolicyRule, a Attributes) bool {
	combined := a.Resource
	if a.Subresource != "" {
		combined += "/" + a.Subresource
	}
	return verbMatches(r, a.Verb) && apiGroupMatches(r, a.APIGroup) &&
		resourceMatches(r, combined, a.Subresource) && resourceNameMatches(r, a.Name)
}

func verbMatches(r *rbacv1.PolicyRule, verb string) bool {
	for _, v := range r.Verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

func apiGroupMatches(r *rbacv1.PolicyRule, group string) bool {
	for _, g := range r.APIGroups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

func resourceMatches(r *rbacv1.PolicyRule, combined, sub string) bool {
	for _, res := range r.Resources {
		if res == rbacv1.ResourceAll || res == combined {
			return true
		}
		// "*/scale" covers the scale subresource of every resource.
		if sub != "" && res == "*/"+sub {
			return true
		}
	}
	return false
}

func resourceNameMatches(r *rbacv1.PolicyRule, name string) bool {
	if len(r.ResourceNames) == 0 {
		return true
	}
	for _, n := range r.ResourceNames {
		if n == name {
			return true
		}
	}
	return false
}

func nonResourceURLMatches(r *rbacv1.PolicyRule, path string) bool {
	for _, u := range r.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimSuffix(u, "*")) {
			return true
		}
	}
	return false
}
