package posture

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/result"
)

// Options says what to check besides the snapshot. The zero value checks the snapshot only.
type Options struct {
	// NodeRoot is a node's root file system (or a copy of its files): static pod manifests under
	// etc/kubernetes/manifests and the kubelet configuration var/lib/kubelet/config.yaml are read
	// from it for the CIS sections 1–4 checks. "" leaves those controls not assessed.
	NodeRoot string
}

// Result is what [Check] found: the findings, and the verdict of every control.
type Result struct {
	Findings []finding.Finding `json:"findings"`
	// Controls lists every control Rampart checks, with its status: pass, fail, or not assessed
	// with the reason.
	Controls []result.Control `json:"controls"`
	// Summary counts the controls' statuses per standard (and profile).
	Summary []result.ControlSummary `json:"summary"`
	// Warnings are inputs that could not be read; the checks went on without them.
	Warnings []string `json:"warnings,omitempty"`
}

// Check runs every posture check over snap (and the node files opts names) and returns the
// findings and each control's status. A workload owned by a controller in the snapshot is
// reported through its owner only. Check does not modify snap.
func Check(ctx context.Context, snap *kube.Snapshot, opts Options) (*Result, error) {
	e, err := defaultEngine()
	if err != nil {
		return nil, err
	}
	c := &checker{snap: snap, e: e, res: &Result{}}
	c.workloads(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.namespaces()
	c.exposure()
	nodeInputs, err := c.node(ctx, opts.NodeRoot)
	if err != nil {
		return nil, err
	}
	sortFindings(c.res.Findings)
	// Cluster findings: the resource names the object, no subject (docs/formats.md#fingerprints).
	finding.SetFingerprints(c.res.Findings, "")
	c.res.Controls = evaluateControls(c.res.Findings, c.inputs(nodeInputs))
	c.res.Summary = result.SummarizeControls(c.res.Controls, nil)
	return c.res, nil
}

type checker struct {
	snap *kube.Snapshot
	e    *pssEngine
	res  *Result
	// verdicts holds each reported workload's PSS verdicts, for the namespace checks.
	verdicts []workloadVerdict
}

type workloadVerdict struct {
	w                        kube.Workload
	tmeta                    *metav1.ObjectMeta // the pod template's metadata
	baseline, restricted     bool
	enforceLevel, enforceVer string
}

// resource names the object a finding is about.
func resource(kind string, m *metav1.ObjectMeta) finding.Resource {
	return finding.Resource{Kind: kind, Namespace: m.Namespace, Name: m.Name}
}

// location says where an object was read from (for manifests), with a field path in it.
func (c *checker) location(kind string, m *metav1.ObjectMeta, field string) finding.Location {
	loc := finding.Location{Field: field}
	ref := kube.Ref{Kind: kind, Namespace: m.Namespace, Name: m.Name}
	if l, ok := c.snap.Locations[ref]; ok {
		// The line of the field itself (or where a missing one belongs), not of the object.
		loc.Path, loc.Line = l.File, c.snap.FieldLine(ref, field)
	}
	return loc
}

// templatePrefix is the path of a workload's pod template, with a trailing dot ("" for a Pod).
func templatePrefix(kind string) string {
	switch kind {
	case "Pod":
		return ""
	case "CronJob":
		return "spec.jobTemplate.spec.template."
	}
	return "spec.template."
}

// workloads runs the Pod Security Standards and workload checks on every pod template.
func (c *checker) workloads(ctx context.Context) {
	latest := psaapi.LatestVersion()
	ns := map[string]*metav1.ObjectMeta{}
	for i := range c.snap.Namespaces {
		ns[c.snap.Namespaces[i].Name] = &c.snap.Namespaces[i].ObjectMeta
	}
	tmetas := templateMetas(c.snap)
	owners := indexOwners(c.snap)
	for _, w := range c.snap.Workloads() {
		if ctx.Err() != nil {
			return
		}
		if owners.owned(w.Meta) {
			continue
		}
		res := resource(w.Kind, w.Meta)
		prefix := templatePrefix(w.Kind)
		tmeta := w.Meta
		if t := tmetas[w.Meta]; t != nil {
			tmeta = t
		}
		seen := map[string]bool{}
		v := workloadVerdict{w: w, tmeta: tmeta, baseline: true, restricted: true}
		for _, level := range []psaapi.Level{psaapi.LevelBaseline, psaapi.LevelRestricted} {
			for _, viol := range c.e.evaluate(level, latest, tmeta, w.PodSpec) {
				if level == psaapi.LevelBaseline {
					v.baseline = false
				}
				v.restricted = false
				key := string(viol.check.psa) + "\x00" + viol.field
				if seen[key] {
					continue
				}
				seen[key] = true
				c.res.Findings = append(c.res.Findings, pssFinding(viol, res, c.location(w.Kind, w.Meta, prefix+viol.field)))
			}
		}
		if m := ns[w.Meta.Namespace]; m != nil {
			v.enforceLevel, v.enforceVer = m.Labels[psaapi.EnforceLevelLabel], m.Labels[psaapi.EnforceVersionLabel]
		}
		c.verdicts = append(c.verdicts, v)
		c.hygiene(w, res, prefix)
	}
}

// ownerIndex holds the controllers of a snapshot by kind, namespace and name, and by UID.
type ownerIndex map[string]bool

func indexOwners(s *kube.Snapshot) ownerIndex {
	idx := ownerIndex{}
	add := func(kind string, m *metav1.ObjectMeta) {
		idx[kind+"\x00"+m.Namespace+"\x00"+m.Name] = true
		if m.UID != "" {
			idx[kind+"\x00uid\x00"+string(m.UID)] = true
		}
	}
	for i := range s.ReplicaSets {
		add("ReplicaSet", &s.ReplicaSets[i].ObjectMeta)
	}
	for i := range s.Jobs {
		add("Job", &s.Jobs[i].ObjectMeta)
	}
	for i := range s.Deployments {
		add("Deployment", &s.Deployments[i].ObjectMeta)
	}
	for i := range s.StatefulSets {
		add("StatefulSet", &s.StatefulSets[i].ObjectMeta)
	}
	for i := range s.DaemonSets {
		add("DaemonSet", &s.DaemonSets[i].ObjectMeta)
	}
	for i := range s.CronJobs {
		add("CronJob", &s.CronJobs[i].ObjectMeta)
	}
	return idx
}

// owned reports whether a workload's controller is a workload of the snapshot, which then
// reports for it. Mirror pods (controlled by a Node) and pods whose controller is not in the
// snapshot are checked themselves.
func (idx ownerIndex) owned(m *metav1.ObjectMeta) bool {
	for _, o := range m.OwnerReferences {
		if o.Controller == nil || !*o.Controller {
			continue
		}
		if idx[o.Kind+"\x00"+m.Namespace+"\x00"+o.Name] || o.UID != "" && idx[o.Kind+"\x00uid\x00"+string(o.UID)] {
			return true
		}
	}
	return false
}

// templateMetas maps each controller's metadata to its pod template's metadata (which holds
// the pods' annotations, AppArmor's legacy ones among them).
func templateMetas(s *kube.Snapshot) map[*metav1.ObjectMeta]*metav1.ObjectMeta {
	m := map[*metav1.ObjectMeta]*metav1.ObjectMeta{}
	for i := range s.Deployments {
		m[&s.Deployments[i].ObjectMeta] = &s.Deployments[i].Spec.Template.ObjectMeta
	}
	for i := range s.StatefulSets {
		m[&s.StatefulSets[i].ObjectMeta] = &s.StatefulSets[i].Spec.Template.ObjectMeta
	}
	for i := range s.DaemonSets {
		m[&s.DaemonSets[i].ObjectMeta] = &s.DaemonSets[i].Spec.Template.ObjectMeta
	}
	for i := range s.ReplicaSets {
		m[&s.ReplicaSets[i].ObjectMeta] = &s.ReplicaSets[i].Spec.Template.ObjectMeta
	}
	for i := range s.Jobs {
		m[&s.Jobs[i].ObjectMeta] = &s.Jobs[i].Spec.Template.ObjectMeta
	}
	for i := range s.CronJobs {
		m[&s.CronJobs[i].ObjectMeta] = &s.CronJobs[i].Spec.JobTemplate.Spec.Template.ObjectMeta
	}
	return m
}

func sortFindings(fs []finding.Finding) {
	res := func(f *finding.Finding) finding.Resource {
		if f.Resource == nil {
			return finding.Resource{}
		}
		return *f.Resource
	}
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		ra, rb := res(&a), res(&b)
		return cmp.Or(
			cmp.Compare(a.Location.Path, b.Location.Path),
			cmp.Compare(a.Location.Line, b.Location.Line),
			cmp.Compare(ra.Namespace, rb.Namespace),
			cmp.Compare(ra.Kind, rb.Kind),
			cmp.Compare(ra.Name, rb.Name),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Location.Field, b.Location.Field),
			cmp.Compare(ra.Container, rb.Container),
		)
	})
}

// gapReason names the permissions a list of resources needed.
func gapReason(gaps []kube.Gap) string {
	var parts []string
	for _, g := range gaps {
		parts = append(parts, fmt.Sprintf("%s %s", g.Verb, g.Resource))
	}
	return "missing permission: " + strings.Join(parts, ", ")
}
