package posture

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/kube"
)

// Workload hygiene checks (CIS section 5 and the NSA/CISA guide) beyond the Pod Security
// Standards.
var (
	ruleNoLimits = rule{id: "KW001", title: "Container has no CPU or memory limit", severity: finding.SeverityLow,
		nsa: []string{nsaResources}, needs: []input{inWorkloads},
		remediation: "Set resources.limits.cpu and resources.limits.memory on every container."}
	ruleNoRequests = rule{id: "KW002", title: "Container has no CPU or memory request", severity: finding.SeverityLow,
		nsa: []string{nsaResources}, needs: []input{inWorkloads},
		remediation: "Set resources.requests.cpu and resources.requests.memory on every container."}
	ruleLatest = rule{id: "KW003", title: "Image has no tag or the :latest tag", severity: finding.SeverityMedium,
		nsa: []string{nsaImages}, needs: []input{inWorkloads},
		remediation: "Pin the image to a version tag, better to a digest (image@sha256:…)."}
	ruleNoDigest = rule{id: "KW004", title: "Image is referenced by tag, not by digest", severity: finding.SeverityLow,
		nsa: []string{nsaImages}, needs: []input{inWorkloads},
		remediation: "Reference the image by digest (image:tag@sha256:…) so the content cannot change under the same name."}
	ruleAutomount = rule{id: "KW005", title: "Service account token is mounted automatically", severity: finding.SeverityMedium,
		cis: []string{"5.1.6"}, nsa: []string{nsaSAToken}, needs: []input{inWorkloads, inServiceAccounts},
		remediation: "Set automountServiceAccountToken: false on the pod spec (or its service account) unless the pod calls the API."}
	ruleDefaultSA = rule{id: "KW006", title: "Pod runs as the default service account", severity: finding.SeverityLow,
		cis: []string{"5.1.5"}, nsa: []string{nsaSAToken}, needs: []input{inWorkloads},
		remediation: "Create a service account per workload and set spec.serviceAccountName."}
	ruleSecretEnv = rule{id: "KW007", title: "Secret passed in an environment variable", severity: finding.SeverityMedium,
		cis: []string{"5.4.1"}, nsa: []string{nsaSecrets}, needs: []input{inWorkloads},
		remediation: "Mount the secret as a file (a secret volume) instead of env valueFrom.secretKeyRef or envFrom.secretRef."}
	ruleDefaultNS = rule{id: "KW008", title: "Workload in the default namespace", severity: finding.SeverityLow,
		cis: []string{"5.7.4"}, needs: []input{inWorkloads},
		remediation: "Deploy into a namespace of its own, with its own policies and quotas."}
	ruleWritableRoot = rule{id: "KW009", title: "Container root file system is writable", severity: finding.SeverityLow,
		nsa: []string{nsaImmutable}, needs: []input{inWorkloads},
		remediation: "Set securityContext.readOnlyRootFilesystem: true; mount emptyDir volumes where the program writes."}
	ruleNoSecCtx = rule{id: "KW010", title: "Neither the pod nor the container sets a security context", severity: finding.SeverityLow,
		cis: []string{"5.7.3"}, needs: []input{inWorkloads},
		remediation: "Set a securityContext (runAsNonRoot, allowPrivilegeEscalation: false, capabilities.drop: [ALL], seccompProfile)."}
)

// containerRef is one container of a pod template with its path.
type containerRef struct {
	path string // "spec.containers[0]", relative to the pod template
	c    *corev1.Container
}

// containers lists init and regular containers (ephemeral ones take no resources or images of
// their own choosing at deploy time).
func containers(spec *corev1.PodSpec) []containerRef {
	var out []containerRef
	for i := range spec.InitContainers {
		out = append(out, containerRef{fmt.Sprintf("spec.initContainers[%d]", i), &spec.InitContainers[i]})
	}
	for i := range spec.Containers {
		out = append(out, containerRef{fmt.Sprintf("spec.containers[%d]", i), &spec.Containers[i]})
	}
	return out
}

// hygiene runs the KW checks on one workload.
func (c *checker) hygiene(w kube.Workload, res finding.Resource, prefix string) {
	spec := w.PodSpec
	add := func(r *rule, container, field, evidence string) {
		rr := res
		rr.Container = container
		if !strings.HasPrefix(field, "metadata.") { // the object's own metadata, not the template's
			field = prefix + field
		}
		c.res.Findings = append(c.res.Findings, r.finding(rr, c.location(w.Kind, w.Meta, field), evidence))
	}
	for _, cr := range containers(spec) {
		ctr := cr.c
		if missing := missingResources(ctr.Resources.Limits); missing != "" {
			add(&ruleNoLimits, ctr.Name, cr.path+".resources.limits", "no limit for "+missing)
		}
		if missing := missingResources(ctr.Resources.Requests); missing != "" {
			add(&ruleNoRequests, ctr.Name, cr.path+".resources.requests", "no request for "+missing)
		}
		switch tag, digest := imageTag(ctr.Image); {
		case digest:
		case tag == "" || tag == "latest":
			add(&ruleLatest, ctr.Name, cr.path+".image", "image: "+ctr.Image)
		default:
			add(&ruleNoDigest, ctr.Name, cr.path+".image", "image: "+ctr.Image)
		}
		for j, e := range ctr.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				add(&ruleSecretEnv, ctr.Name, fmt.Sprintf("%s.env[%d].valueFrom.secretKeyRef", cr.path, j),
					fmt.Sprintf("env %s from secret %s key %s", e.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key))
			}
		}
		for j, e := range ctr.EnvFrom {
			if e.SecretRef != nil {
				add(&ruleSecretEnv, ctr.Name, fmt.Sprintf("%s.envFrom[%d].secretRef", cr.path, j), "envFrom secret "+e.SecretRef.Name)
			}
		}
		if sc := ctr.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			add(&ruleWritableRoot, ctr.Name, cr.path+".securityContext.readOnlyRootFilesystem", "readOnlyRootFilesystem is not true")
		}
		if ctr.SecurityContext == nil && spec.SecurityContext == nil {
			add(&ruleNoSecCtx, ctr.Name, cr.path+".securityContext", "no securityContext on the pod or the container")
		}
	}
	sa := w.ServiceAccount()
	if sa == "default" {
		add(&ruleDefaultSA, "", "spec.serviceAccountName", "serviceAccountName is unset or default")
	}
	if automounts(spec, c.serviceAccount(w.Meta.Namespace, sa)) {
		add(&ruleAutomount, "", "spec.automountServiceAccountToken", "automountServiceAccountToken is not false on the pod or service account "+sa)
	}
	if w.Meta.Namespace == "default" {
		add(&ruleDefaultNS, "", "metadata.namespace", "namespace: default")
	}
}

// missingResources names the resources among cpu and memory that list lacks.
func missingResources(list corev1.ResourceList) string {
	var miss []string
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := list[r]; !ok {
			miss = append(miss, string(r))
		}
	}
	return strings.Join(miss, " and ")
}

// imageTag returns the tag of an image reference ("" for none) and whether it names a digest.
func imageTag(ref string) (tag string, digest bool) {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		return "", true
	}
	name := ref
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:], false
	}
	return "", false
}

// serviceAccount finds a service account of the snapshot, or nil.
func (c *checker) serviceAccount(ns, name string) *corev1.ServiceAccount {
	for i := range c.snap.ServiceAccounts {
		sa := &c.snap.ServiceAccounts[i]
		if sa.Name == name && sa.Namespace == ns {
			return sa
		}
	}
	return nil
}

// automounts reports whether pods of spec get a token: the pod's setting wins, then the service
// account's; the default is to mount.
func automounts(spec *corev1.PodSpec, sa *corev1.ServiceAccount) bool {
	if spec.AutomountServiceAccountToken != nil {
		return *spec.AutomountServiceAccountToken
	}
	if sa != nil && sa.AutomountServiceAccountToken != nil {
		return *sa.AutomountServiceAccountToken
	}
	return true
}
