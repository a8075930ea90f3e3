package rbac

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/result"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Check is one risky-permission rule. Severity is for a cluster-wide grant; a grant limited to
// one namespace is rated one step lower (never below MEDIUM).
type Check struct {
	ID          string
	Title       string
	Severity    finding.Severity
	CIS         string // CIS Kubernetes Benchmark control, "" when none
	Remediation string
	// match reports whether a rule grants the risky permission, in one namespace or cluster-wide.
	match func(r *rbacv1.PolicyRule, namespaced bool) bool
	// bindingMatch, when set, judges the binding instead of each rule.
	bindingMatch func(g *Grant, s Subject) bool
}

var workloadResources = []string{"pods", "deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "replicationcontrollers"}

// target is one risky request; clusterScoped targets cannot be granted by a RoleBinding (its
// rules only hold for requests in its namespace, and these have none).
type target struct {
	verbs                []string
	group, resource, sub string
	clusterScoped        bool
}

func allows(verbs []string, group, resource, sub string) target {
	return target{verbs: verbs, group: group, resource: resource, sub: sub}
}

func clusterScoped(t target) target { t.clusterScoped = true; return t }

// anyOf matches a rule that allows any of the targets within the grant's scope.
func anyOf(ts ...target) func(r *rbacv1.PolicyRule, namespaced bool) bool {
	return func(r *rbacv1.PolicyRule, namespaced bool) bool {
		for _, t := range ts {
			if namespaced && t.clusterScoped {
				continue
			}
			for _, v := range t.verbs {
				if RuleAllows(r, Attributes{Verb: v, APIGroup: t.group, Resource: t.resource, Subresource: t.sub}) {
					return true
				}
			}
		}
		return false
	}
}

func wildcardRule(r *rbacv1.PolicyRule, _ bool) bool { return wildcard(r) }

func wildcard(r *rbacv1.PolicyRule) bool {
	for _, v := range r.Verbs {
		if v == rbacv1.VerbAll {
			return true
		}
	}
	for _, res := range r.Resources {
		if res == rbacv1.ResourceAll {
			return true
		}
	}
	return false
}

// checks is the catalogue, in report order. docs/k8s.md describes each.
var checks = func() []*Check {
	write := []string{"create", "update", "patch"}
	var workloads []target
	for _, res := range workloadResources {
		workloads = append(workloads, allows(write, knownGroups[res], res, ""))
	}
	return []*Check{
		{ID: "RB001", Title: "cluster-admin bound to a service account", Severity: finding.SeverityCritical, CIS: "5.1.1",
			Remediation: "Bind a role with only the permissions the workload needs instead of cluster-admin.",
			bindingMatch: func(g *Grant, s Subject) bool {
				return g.Role == (kube.Ref{Kind: "ClusterRole", Name: "cluster-admin"}) &&
					(s.Kind == KindServiceAccount || (s.Kind == KindGroup && strings.HasPrefix(s.Name, GroupServiceAccounts)))
			}},
		{ID: "RB002", Title: "Permission granted to unauthenticated users", Severity: finding.SeverityCritical,
			Remediation: "Remove system:unauthenticated and system:anonymous from the binding.",
			bindingMatch: func(g *Grant, s Subject) bool {
				return (s.Kind == KindGroup && s.Name == GroupUnauthenticated) || (s.Kind == KindUser && s.Name == UserAnonymous)
			}},
		{ID: "RB003", Title: "Permission granted to every authenticated user", Severity: finding.SeverityHigh,
			Remediation:  "Bind the role to the users or groups that need it, not system:authenticated.",
			bindingMatch: func(g *Grant, s Subject) bool { return s.Kind == KindGroup && s.Name == GroupAuthenticated }},
		{ID: "RB004", Title: "Wildcard verbs or resources", Severity: finding.SeverityCritical, CIS: "5.1.3",
			Remediation: "List the verbs and resources explicitly.", match: wildcardRule},
		{ID: "RB005", Title: "Can read secrets", Severity: finding.SeverityCritical, CIS: "5.1.2",
			Remediation: "Grant get on the named secrets the workload needs (resourceNames), never list or watch.",
			match:       anyOf(allows([]string{"get", "list", "watch"}, "", "secrets", ""))},
		{ID: "RB006", Title: "Can create or modify pods or workloads", Severity: finding.SeverityHigh, CIS: "5.1.4",
			Remediation: "Whoever creates pods can run them as any service account of the namespace and mount its secrets: restrict to deployment tooling.",
			match:       anyOf(workloads...)},
		{ID: "RB007", Title: "Can exec into pods", Severity: finding.SeverityHigh,
			Remediation: "Remove pods/exec; use it only through break-glass roles.",
			match:       anyOf(allows([]string{"create", "get"}, "", "pods", "exec"))},
		{ID: "RB008", Title: "Can attach to pods", Severity: finding.SeverityHigh,
			Remediation: "Remove pods/attach.", match: anyOf(allows([]string{"create", "get"}, "", "pods", "attach"))},
		{ID: "RB009", Title: "Can escalate, bind or impersonate", Severity: finding.SeverityCritical, CIS: "5.1.8",
			Remediation: "Remove escalate and bind on roles and impersonate on users, groups and service accounts.",
			match: anyOf(
				allows([]string{"escalate", "bind"}, "rbac.authorization.k8s.io", "roles", ""),
				clusterScoped(allows([]string{"escalate", "bind"}, "rbac.authorization.k8s.io", "clusterroles", "")),
				clusterScoped(allows([]string{"impersonate"}, "", "users", "")),
				clusterScoped(allows([]string{"impersonate"}, "", "groups", "")),
				allows([]string{"impersonate"}, "", "serviceaccounts", ""),
				clusterScoped(allows([]string{"impersonate"}, "authentication.k8s.io", "userextras", "")),
			)},
		{ID: "RB010", Title: "Can create service account tokens", Severity: finding.SeverityHigh, CIS: "5.1.13",
			Remediation: "Remove create on serviceaccounts/token.",
			match:       anyOf(allows([]string{"create"}, "", "serviceaccounts", "token"))},
		{ID: "RB011", Title: "Can proxy to nodes (kubelet API)", Severity: finding.SeverityCritical, CIS: "5.1.10",
			Remediation: "Remove nodes/proxy: it reaches the kubelet API, exec in every pod of the node included.",
			match:       anyOf(clusterScoped(allows([]string{"get", "create"}, "", "nodes", "proxy")))},
		{ID: "RB012", Title: "Can approve certificate signing requests", Severity: finding.SeverityHigh, CIS: "5.1.11",
			Remediation: "Remove update on certificatesigningrequests/approval.",
			match:       anyOf(clusterScoped(allows([]string{"update", "patch"}, "certificates.k8s.io", "certificatesigningrequests", "approval")))},
		{ID: "RB013", Title: "Can modify admission webhook configurations", Severity: finding.SeverityHigh, CIS: "5.1.12",
			Remediation: "Only the cluster's operators should change admission webhooks.",
			match: anyOf(
				clusterScoped(allows([]string{"create", "update", "patch", "delete"}, "admissionregistration.k8s.io", "validatingwebhookconfigurations", "")),
				clusterScoped(allows([]string{"create", "update", "patch", "delete"}, "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "")),
			)},
	}
}()

// Checks returns the risky-permission catalogue. The result must not be modified.
func Checks() []*Check { return checks }

// RiskOptions tune [Policy.Risks]. The zero value is the default.
type RiskOptions struct {
	// IncludeDefaults also reports the API server's own bootstrap bindings (system:* controllers,
	// system:masters). Off by default: they are the cluster's, not the user's.
	IncludeDefaults bool
	// MaxWorkloads caps how many workloads a finding names (the count is always given). Default 10.
	MaxWorkloads int
}

// NotAssessed is a check that could not run, and why.
type NotAssessed struct {
	Check  string `json:"check"`
	Reason string `json:"reason"`
}

// Report is the outcome of [Policy.Risks].
type Report struct {
	Findings []finding.Finding `json:"findings"`
	// Summary counts the checks' statuses: one entry, Rampart's RBAC checks.
	Summary []result.ControlSummary `json:"summary"`
	// Controls holds one verdict per check, in catalogue order: fail when a subject holds the
	// permission, pass when none does, not assessed when the RBAC objects could not be read.
	Controls    []result.Control `json:"controls"`
	NotAssessed []NotAssessed    `json:"not_assessed,omitempty"`
	Warnings    []string         `json:"warnings,omitempty"`
}

// Standard and Profile of every check's control result.
const (
	Standard = "Rampart"
	Profile  = "rbac"
)

// rbacResources are what resolution needs; a gap in any of them leaves every check unassessed.
var rbacResources = []string{
	"roles.rbac.authorization.k8s.io", "clusterroles.rbac.authorization.k8s.io",
	"rolebindings.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io",
}

// MissingRBAC returns the gaps of snap that make RBAC answers incomplete.
func MissingRBAC(snap *kube.Snapshot) []kube.Gap {
	var out []kube.Gap
	for _, r := range rbacResources {
		if g, ok := snap.Missing(r); ok {
			out = append(out, g)
		}
	}
	return out
}

// Risks applies the catalogue to every grant and returns one finding per check, subject, binding
// and role. Each finding names the binding chain and the workloads whose service account holds
// the permission. Checks that the snapshot's gaps make impossible are listed as not assessed.
func (p *Policy) Risks(snap *kube.Snapshot, opts RiskOptions) Report {
	maxW := opts.MaxWorkloads
	if maxW <= 0 {
		maxW = 10
	}
	rep := Report{Warnings: p.Warnings}
	if gaps := MissingRBAC(snap); len(gaps) > 0 {
		reason := "missing permission: " + joinGaps(gaps)
		for _, c := range checks {
			rep.NotAssessed = append(rep.NotAssessed, NotAssessed{Check: c.ID, Reason: reason})
			rep.Controls = append(rep.Controls, c.control(result.StatusNotAssessed, ""))
			rep.Controls[len(rep.Controls)-1].Reason = reason
		}
		rep.Findings = []finding.Finding{}
		rep.Summary = result.SummarizeControls(rep.Controls, nil)
		return rep
	}
	var wgaps []kube.Gap
	for _, r := range []string{"pods", "deployments.apps", "statefulsets.apps", "daemonsets.apps", "jobs.batch", "cronjobs.batch"} {
		if g, ok := snap.Missing(r); ok {
			wgaps = append(wgaps, g)
		}
	}
	if len(wgaps) > 0 {
		rep.NotAssessed = append(rep.NotAssessed, NotAssessed{Check: "workloads", Reason: "workloads holding permissions may be incomplete: missing permission: " + joinGaps(wgaps)})
	}
	wl := indexWorkloads(snap)

	type key struct {
		check   string
		subject Subject
		binding kube.Ref
		role    kube.Ref
	}
	seen := map[key]bool{}
	// implied holds, per check, the subjects that hold its permission through a wildcard rule,
	// which is reported once, as RB004.
	implied := map[string]map[Subject]bool{}
	rep.Findings = []finding.Finding{}
	for i := range p.grants {
		g := &p.grants[i]
		if g.Default && !opts.IncludeDefaults {
			continue
		}
		wild := wildcard(&g.Rule)
		for _, c := range checks {
			ruleHit := c.match != nil && c.match(&g.Rule, g.Namespace != "")
			// A wildcard rule implies every per-rule check: report it once, as the wildcard.
			if ruleHit && wild && c.ID != "RB004" {
				if implied[c.ID] == nil {
					implied[c.ID] = map[Subject]bool{}
				}
				for _, s := range g.Subjects {
					implied[c.ID][s] = true
				}
				continue
			}
			for _, s := range g.Subjects {
				if c.bindingMatch != nil && !c.bindingMatch(g, s) {
					continue
				}
				if c.match != nil && !ruleHit {
					continue
				}
				k := key{c.ID, s, g.Binding, g.Role}
				if seen[k] {
					continue
				}
				seen[k] = true
				rep.Findings = append(rep.Findings, p.newFinding(snap, c, g, s, wl, maxW))
			}
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := &rep.Findings[i], &rep.Findings[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if a.Resource.Namespace != b.Resource.Namespace {
			return a.Resource.Namespace < b.Resource.Namespace
		}
		if a.Resource.Name != b.Resource.Name {
			return a.Resource.Name < b.Resource.Name
		}
		return a.Extra["binding"] < b.Extra["binding"]
	})
	rep.Controls = controls(rep.Findings, implied, opts.IncludeDefaults)
	rep.Summary = result.SummarizeControls(rep.Controls, nil)
	// Cluster findings: the resource names the object, no subject (docs/formats.md#fingerprints).
	finding.SetFingerprints(rep.Findings, "")
	return rep
}

// control is the verdict of c with status st and evidence; the remediation comes with a failure.
func (c *Check) control(st result.Status, evidence string) result.Control {
	r := result.Control{Standard: Standard, Profile: Profile, Control: c.ID, Title: c.Title, Status: st, Severity: c.Severity, Evidence: evidence}
	if st == result.StatusFail {
		r.Remediation = c.Remediation
	}
	return r
}

// controls gives every check its verdict from the findings (sorted) and the subjects holding its
// permission through wildcard rules: a check fails when any subject holds the permission, with
// its findings counted and the highest of their severities, and passes otherwise.
func controls(fs []finding.Finding, implied map[string]map[Subject]bool, defaults bool) []result.Control {
	out := make([]result.Control, 0, len(checks))
	for _, c := range checks {
		holders := map[Subject]bool{}
		n := 0
		var worst finding.Severity
		for i := range fs {
			if f := &fs[i]; f.ID == c.ID {
				n++
				holders[Subject{Kind: f.Resource.Kind, Namespace: f.Resource.Namespace, Name: f.Resource.Name}] = true
				if worst == "" || f.Severity.Rank() > worst.Rank() {
					worst = f.Severity
				}
			}
		}
		var ev []string
		if n > 0 {
			ev = append(ev, fmt.Sprintf("held by %s through %s", counted(len(holders), "subject"), counted(n, "grant")))
		}
		if w := len(implied[c.ID]); w > 0 {
			ev = append(ev, fmt.Sprintf("held by %s through wildcard rules, reported as RB004", counted(w, "subject")))
		}
		if len(ev) == 0 {
			pass := "no subject holds it"
			if !defaults {
				pass += " outside the API server's bootstrap bindings (--include-defaults counts them)"
			}
			out = append(out, c.control(result.StatusPass, pass))
			continue
		}
		r := c.control(result.StatusFail, strings.Join(ev, "; "))
		r.Findings = n
		if worst != "" {
			r.Severity = worst
		}
		out = append(out, r)
	}
	return out
}

func joinGaps(gaps []kube.Gap) string {
	s := make([]string, len(gaps))
	for i, g := range gaps {
		s[i] = g.Verb + " " + g.Resource
	}
	return strings.Join(s, ", ")
}

func (p *Policy) newFinding(snap *kube.Snapshot, c *Check, g *Grant, s Subject, wl *workloadIndex, maxW int) finding.Finding {
	sev := c.Severity
	scope := "cluster-wide"
	if g.Namespace != "" {
		scope = "namespace " + g.Namespace
		if sev.Rank() > finding.SeverityMedium.Rank() {
			sev = lower(sev)
		}
	}
	f := finding.Finding{
		Kind:        finding.KindPermission,
		ID:          c.ID,
		Title:       c.Title,
		Severity:    sev,
		Resource:    &finding.Resource{Kind: s.Kind, Namespace: s.Namespace, Name: s.Name},
		Evidence:    fmt.Sprintf("%s: %s (%s)", g.Chain(), FormatRule(&g.Rule), scope),
		Remediation: c.Remediation,
		Extra: map[string]string{
			"binding": g.Binding.String(),
			"role":    g.Role.String(),
			"scope":   scope,
		},
	}
	if g.From.Name != "" {
		f.Extra["aggregated_from"] = g.From.String()
	}
	if c.CIS != "" {
		f.Compliance = []finding.Compliance{{Standard: "CIS-K8s", Control: c.CIS}}
	}
	if loc, ok := snap.Locations[g.Binding]; ok {
		f.Location = finding.Location{Path: loc.File, Line: loc.Line}
	}
	ws := wl.holding(s, g.Namespace)
	if len(ws) > 0 {
		f.Extra["workload_count"] = strconv.Itoa(len(ws))
		names := make([]string, 0, min(len(ws), maxW))
		for _, w := range ws[:min(len(ws), maxW)] {
			names = append(names, w.String())
		}
		if len(ws) > maxW {
			names = append(names, fmt.Sprintf("… %d more", len(ws)-maxW))
		}
		f.Extra["workloads"] = strings.Join(names, ", ")
	}
	return f
}

// counted says "1 grant", "2 grants".
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func lower(s finding.Severity) finding.Severity {
	switch s {
	case finding.SeverityCritical:
		return finding.SeverityHigh
	case finding.SeverityHigh:
		return finding.SeverityMedium
	}
	return s
}

// FormatRule writes a rule compactly: "get,list secrets" or "get nonResourceURLs /healthz".
func FormatRule(r *rbacv1.PolicyRule) string {
	var b strings.Builder
	b.WriteString(strings.Join(r.Verbs, ","))
	if len(r.NonResourceURLs) > 0 {
		b.WriteString(" nonResourceURLs " + strings.Join(r.NonResourceURLs, ","))
		return b.String()
	}
	res := make([]string, 0, len(r.Resources))
	for _, x := range r.Resources {
		for _, gr := range r.APIGroups {
			res = append(res, QualifiedResource(x, gr))
		}
	}
	b.WriteString(" " + strings.Join(res, ","))
	if len(r.ResourceNames) > 0 {
		b.WriteString(" names " + strings.Join(r.ResourceNames, ","))
	}
	return b.String()
}

// QualifiedResource writes a rule's resource with its group as who-can reads it:
// "pods/exec", "deployments.apps/scale".
func QualifiedResource(resource, group string) string {
	if group == "" {
		return resource
	}
	r, sub, ok := strings.Cut(resource, "/")
	if !ok {
		return r + "." + group
	}
	return r + "." + group + "/" + sub
}

// workloadIndex finds the top-level workloads running as a service account.
type workloadIndex struct {
	bySA map[string][]kube.Ref // "ns/sa"
	byNS map[string][]kube.Ref
	all  []kube.Ref
}

func indexWorkloads(snap *kube.Snapshot) *workloadIndex {
	wi := &workloadIndex{bySA: map[string][]kube.Ref{}, byNS: map[string][]kube.Ref{}}
	ws := snap.Workloads()
	present := make(map[kube.Ref]bool, len(ws))
	for _, w := range ws {
		present[w.Ref()] = true
	}
	for _, w := range ws {
		if owner, ok := w.Controller(); ok && present[owner] {
			continue // reported through its controller
		}
		r := w.Ref()
		wi.bySA[r.Namespace+"/"+w.ServiceAccount()] = append(wi.bySA[r.Namespace+"/"+w.ServiceAccount()], r)
		wi.byNS[r.Namespace] = append(wi.byNS[r.Namespace], r)
		wi.all = append(wi.all, r)
	}
	return wi
}

// holding returns the workloads whose service account is s or is in group s, within ns when set.
func (wi *workloadIndex) holding(s Subject, ns string) []kube.Ref {
	switch {
	case s.Kind == KindServiceAccount:
		return wi.bySA[s.Namespace+"/"+s.Name]
	case s.Kind == KindUser && strings.HasPrefix(s.Name, saUserPrefix):
		sa, err := ParseSubject(s.Name)
		if err != nil {
			return nil
		}
		return wi.bySA[sa.Namespace+"/"+sa.Name]
	case s.Kind == KindGroup && strings.HasPrefix(s.Name, GroupServiceAccounts+":"):
		return wi.byNS[strings.TrimPrefix(s.Name, GroupServiceAccounts+":")]
	case s.Kind == KindGroup && (s.Name == GroupServiceAccounts || s.Name == GroupAuthenticated):
		if ns != "" {
			return wi.byNS[ns]
		}
		return wi.all
	}
	return nil
}
