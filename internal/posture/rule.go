package posture

import (
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/misconfig"
)

// Standards findings and summaries refer to.
const (
	StandardPSS = "PSS"
	StandardCIS = "CIS-K8s"
	StandardNSA = "NSA"
)

// CISVersion is the CIS Kubernetes Benchmark version the control numbers refer to.
const CISVersion = "1.9.0"

// DocsURL is where every check is described; a check's anchor is its lower-case ID.
const DocsURL = "https://github.com/rampartsec/rampart/blob/main/docs/k8s-posture.md"

// Controls of the NSA/CISA Kubernetes Hardening Guide (v1.2). The guide does not number its
// recommendations, so Rampart names them by its section headings.
const (
	nsaNonRoot       = "Non-root containers"
	nsaImmutable     = "Immutable container file systems"
	nsaPrivilege     = "Privileged containers and capabilities"
	nsaHostIsolation = "Host namespaces, paths and ports"
	nsaPodSecurity   = "Pod security enforcement"
	nsaResources     = "Resource policies"
	nsaNetPol        = "Network policies"
	nsaExposure      = "Exposed services and TLS"
	nsaSAToken       = "Service account tokens"
	nsaSecrets       = "Secrets"
	nsaImages        = "Image provenance"
	nsaAuth          = "Authentication and authorization"
	nsaAudit         = "Audit logging"
	nsaEncryption    = "Encryption of secrets at rest"
	nsaTLS           = "Control plane TLS"
)

// rule describes one non-PSS check: its stable ID, what it reports and the controls it covers.
type rule struct {
	id          string
	kind        finding.Kind
	title       string
	severity    finding.Severity
	cis         []string
	nsa         []string
	remediation string
	needs       []input
	// cisTitle is the CIS control's title when cisTitles lacks it (sections 1–4).
	cisTitle string
}

func (r *rule) compliance() []finding.Compliance {
	var out []finding.Compliance
	for _, c := range r.cis {
		out = append(out, finding.Compliance{Standard: StandardCIS, Control: c})
	}
	for _, c := range r.nsa {
		out = append(out, finding.Compliance{Standard: StandardNSA, Control: c})
	}
	return out
}

// finding returns a finding of r about res at loc.
func (r *rule) finding(res finding.Resource, loc finding.Location, evidence string) finding.Finding {
	k := r.kind
	if k == "" {
		k = finding.KindMisconfig
	}
	return finding.Finding{
		Kind:        k,
		ID:          r.id,
		Title:       r.title,
		Severity:    r.severity,
		Resource:    &res,
		Location:    loc,
		Field:       loc.Field,
		Evidence:    misconfig.Excerpt(evidence),
		Remediation: r.remediation,
		References:  []string{DocsURL + "#" + strings.ToLower(r.id)},
		Compliance:  r.compliance(),
	}
}

// pssFinding returns the finding of one PSS violation.
func pssFinding(v violation, res finding.Resource, loc finding.Location) finding.Finding {
	c := v.check
	var comp []finding.Compliance
	if c.level == ProfileBaseline {
		// The restricted profile is "everything from baseline" plus its own controls.
		comp = append(comp, finding.Compliance{Standard: StandardPSS, Profile: ProfileBaseline, Control: c.control})
	}
	comp = append(comp, finding.Compliance{Standard: StandardPSS, Profile: ProfileRestricted, Control: c.control})
	cis := c.cis
	if c.psa == "hostNamespaces" {
		cis = []string{map[string]string{"spec.hostPID": "5.2.3", "spec.hostIPC": "5.2.4", "spec.hostNetwork": "5.2.5"}[v.field]}
	}
	for _, x := range cis {
		comp = append(comp, finding.Compliance{Standard: StandardCIS, Control: x})
	}
	for _, x := range c.nsa {
		comp = append(comp, finding.Compliance{Standard: StandardNSA, Control: x})
	}
	ev := v.reason
	if v.detail != "" {
		ev += ": " + v.detail
	}
	res.Container = v.container
	return finding.Finding{
		Kind:        finding.KindMisconfig,
		ID:          c.id,
		Title:       c.title,
		Severity:    c.severity,
		Resource:    &res,
		Location:    loc,
		Field:       loc.Field,
		Evidence:    misconfig.Excerpt(ev),
		Remediation: c.remediation,
		References:  []string{DocsURL + "#" + strings.ToLower(c.id)},
		Compliance:  comp,
	}
}
