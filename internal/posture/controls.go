package posture

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/result"
)

// input is one kind of data a control needs to be assessed.
type input string

const (
	inWorkloads       input = "workloads"
	inNamespaces      input = "namespaces"
	inNetworkPolicies input = "networkpolicies"
	inServiceAccounts input = "serviceaccounts"
	inServices        input = "services"
	inIngresses       input = "ingresses"
	// Node inputs: one per component read from --node-root.
	inAPIServer         input = "kube-apiserver"
	inControllerManager input = "kube-controller-manager"
	inScheduler         input = "kube-scheduler"
	inEtcd              input = "etcd"
	inKubelet           input = "kubelet"
)

// inputResources names the resources (as in [kube.Gap.Resource]) each cluster input is listed
// from.
var inputResources = map[input][]string{
	inWorkloads:       {"pods", "deployments.apps", "statefulsets.apps", "daemonsets.apps", "replicasets.apps", "jobs.batch", "cronjobs.batch"},
	inNamespaces:      {"namespaces"},
	inNetworkPolicies: {"networkpolicies.networking.k8s.io"},
	inServiceAccounts: {"serviceaccounts"},
	inServices:        {"services"},
	inIngresses:       {"ingresses.networking.k8s.io"},
}

// inputState says whether an input was there to assess; reason says why not.
type inputState struct {
	ok     bool
	reason string
}

// gap returns the gaps (403s) of an input.
func (c *checker) gap(in input) ([]kube.Gap, bool) {
	var gs []kube.Gap
	for _, r := range inputResources[in] {
		if g, ok := c.snap.Missing(r); ok {
			gs = append(gs, g)
		}
	}
	return gs, len(gs) > 0
}

// inputs says which inputs the snapshot (and the node files) provided. An input is missing when
// listing it was forbidden, or when there was nothing of its kind to look at.
func (c *checker) inputs(node map[input]inputState) map[input]inputState {
	s := c.snap
	reported := 0
	owners := indexOwners(s)
	for _, w := range s.Workloads() {
		if !owners.owned(w.Meta) {
			reported++
		}
	}
	count := map[input]int{
		inWorkloads:       reported,
		inNamespaces:      len(s.Namespaces),
		inNetworkPolicies: 1, // an empty list is an answer: no policies
		inServiceAccounts: 1, // likewise: every pod then uses a service account the snapshot lacks
		inServices:        len(s.Services),
		inIngresses:       len(s.Ingresses),
	}
	none := map[input]string{
		inWorkloads:  "no pods or pod templates found",
		inNamespaces: "no Namespace objects found",
		inServices:   "no Services found",
		inIngresses:  "no Ingresses found",
	}
	out := map[input]inputState{}
	for in, n := range count {
		switch gs, gap := c.gap(in); {
		case gap:
			out[in] = inputState{reason: gapReason(gs)}
		case n == 0:
			out[in] = inputState{reason: none[in]}
		default:
			out[in] = inputState{ok: true}
		}
	}
	for in, st := range node {
		out[in] = st
	}
	return out
}

// control is one control of a standard that Rampart assesses.
type control struct {
	standard, profile, id, title string
	needs                        []input
}

// cisTitles are the titles of the CIS Kubernetes Benchmark v1.9.0 controls Rampart assesses
// from objects; those of sections 1–4 are in nodeRules.
var cisTitles = map[string]string{
	"5.1.5":  "Ensure that default service accounts are not actively used",
	"5.1.6":  "Ensure that Service Account Tokens are only mounted where necessary",
	"5.2.1":  "Ensure that the cluster has at least one active policy control mechanism in place",
	"5.2.2":  "Minimize the admission of privileged containers",
	"5.2.3":  "Minimize the admission of containers wishing to share the host process ID namespace",
	"5.2.4":  "Minimize the admission of containers wishing to share the host IPC namespace",
	"5.2.5":  "Minimize the admission of containers wishing to share the host network namespace",
	"5.2.6":  "Minimize the admission of containers with allowPrivilegeEscalation",
	"5.2.7":  "Minimize the admission of root containers",
	"5.2.8":  "Minimize the admission of containers with the NET_RAW capability",
	"5.2.9":  "Minimize the admission of containers with added capabilities",
	"5.2.10": "Minimize the admission of containers with capabilities assigned",
	"5.2.11": "Minimize the admission of Windows HostProcess containers",
	"5.2.12": "Minimize the admission of HostPath volumes",
	"5.2.13": "Minimize the admission of containers which use HostPorts",
	"5.3.2":  "Ensure that all Namespaces have NetworkPolicies defined",
	"5.4.1":  "Prefer using Secrets as files over Secrets as environment variables",
	"5.7.2":  "Ensure that the seccomp profile is set to docker/default in your Pod definitions",
	"5.7.3":  "Apply SecurityContext to your Pods and Containers",
	"5.7.4":  "The default namespace should not be used",
}

// objectRules are the non-PSS checks over objects.
var objectRules = []*rule{
	&ruleNoLimits, &ruleNoRequests, &ruleLatest, &ruleNoDigest, &ruleAutomount, &ruleDefaultSA,
	&ruleSecretEnv, &ruleDefaultNS, &ruleWritableRoot, &ruleNoSecCtx,
	&ruleNoNetPol, &ruleNoEnforce, &ruleViolatesEnforce, &ruleLoadBalancer, &ruleNodePort, &ruleIngressTLS,
}

// catalog lists every control Rampart assesses, sorted by standard, profile and control.
func catalog() []control {
	type key struct{ standard, profile, id string }
	byKey := map[key]*control{}
	add := func(standard, profile, id, title string, needs []input) {
		k := key{standard, profile, id}
		c := byKey[k]
		if c == nil {
			c = &control{standard: standard, profile: profile, id: id, title: title}
			byKey[k] = c
		}
		for _, n := range needs {
			if !slices.Contains(c.needs, n) {
				c.needs = append(c.needs, n)
			}
		}
	}
	w := []input{inWorkloads}
	for _, pc := range pssChecks {
		if pc.level == ProfileBaseline {
			add(StandardPSS, ProfileBaseline, pc.control, "", w)
		}
		add(StandardPSS, ProfileRestricted, pc.control, "", w)
		for _, x := range pc.cis {
			add(StandardCIS, "", x, cisTitles[x], w)
		}
		for _, x := range pc.nsa {
			add(StandardNSA, "", x, "", w)
		}
	}
	for _, x := range []string{"5.2.3", "5.2.4", "5.2.5"} { // hostNamespaces, by field
		add(StandardCIS, "", x, cisTitles[x], w)
	}
	rules := append(slices.Clone(objectRules), nodeRulePtrs()...)
	for _, r := range rules {
		for _, x := range r.cis {
			add(StandardCIS, "", x, cmp.Or(cisTitles[x], r.cisTitle), r.needs)
		}
		for _, x := range r.nsa {
			add(StandardNSA, "", x, "", r.needs)
		}
	}
	out := make([]control, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b control) int {
		return cmp.Or(cmp.Compare(a.standard, b.standard), cmp.Compare(a.profile, b.profile), compareControl(a.id, b.id))
	})
	return out
}

// compareControl orders control IDs, numerically part by part where both parts are numbers
// ("5.2.9" before "5.2.10").
func compareControl(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, ea := atoi(pa[i])
		nb, eb := atoi(pb[i])
		if ea && eb {
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
			continue
		}
		if c := cmp.Compare(pa[i], pb[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(pa), len(pb))
}

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}

// evaluateControls gives each control its status: fail when a finding maps to it (its severity
// the highest of theirs), not assessed when an input it needs is missing, pass otherwise.
func evaluateControls(fs []finding.Finding, inputs map[input]inputState) []result.Control {
	type key struct{ standard, profile, id string }
	type failure struct {
		n        int
		severity finding.Severity
	}
	failing := map[key]failure{}
	for _, f := range fs {
		for _, c := range f.Compliance {
			k := key{c.Standard, c.Profile, c.Control}
			fl := failing[k]
			fl.n++
			if fl.severity == "" || f.Severity.Rank() > fl.severity.Rank() {
				fl.severity = f.Severity
			}
			failing[k] = fl
		}
	}
	var out []result.Control
	for _, c := range catalog() {
		r := result.Control{Standard: c.standard, Profile: c.profile, Control: c.id, Title: c.title}
		if fl := failing[key{c.standard, c.profile, c.id}]; fl.n > 0 {
			r.Status, r.Findings, r.Severity = result.StatusFail, fl.n, fl.severity
			out = append(out, r)
			continue
		}
		r.Status = result.StatusPass
		var reasons []string
		for _, in := range c.needs {
			if st, ok := inputs[in]; !ok || !st.ok {
				reason := st.reason
				if reason == "" {
					reason = string(in) + " not read"
				}
				if !slices.Contains(reasons, reason) {
					reasons = append(reasons, reason)
				}
			}
		}
		if len(reasons) > 0 {
			r.Status, r.Reason = result.StatusNotAssessed, strings.Join(reasons, "; ")
		}
		out = append(out, r)
	}
	return out
}
