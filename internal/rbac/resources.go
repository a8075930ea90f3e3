package rbac

import (
	"fmt"
	"strings"
)

// knownGroups maps the plural names of built-in resources to their API group, so that
// `who-can get deployments` needs no discovery. Anything else is written RESOURCE.GROUP.
var knownGroups = map[string]string{
	"pods": "", "services": "", "secrets": "", "configmaps": "", "serviceaccounts": "",
	"namespaces": "", "nodes": "", "persistentvolumes": "", "persistentvolumeclaims": "",
	"endpoints": "", "events": "", "replicationcontrollers": "", "resourcequotas": "",
	"limitranges": "", "podtemplates": "", "bindings": "", "componentstatuses": "",
	"deployments": "apps", "statefulsets": "apps", "daemonsets": "apps", "replicasets": "apps",
	"controllerrevisions": "apps",
	"jobs":                "batch", "cronjobs": "batch",
	"ingresses": "networking.k8s.io", "networkpolicies": "networking.k8s.io", "ingressclasses": "networking.k8s.io",
	"roles": "rbac.authorization.k8s.io", "clusterroles": "rbac.authorization.k8s.io",
	"rolebindings": "rbac.authorization.k8s.io", "clusterrolebindings": "rbac.authorization.k8s.io",
	"certificatesigningrequests":        "certificates.k8s.io",
	"validatingwebhookconfigurations":   "admissionregistration.k8s.io",
	"mutatingwebhookconfigurations":     "admissionregistration.k8s.io",
	"validatingadmissionpolicies":       "admissionregistration.k8s.io",
	"validatingadmissionpolicybindings": "admissionregistration.k8s.io",
	"customresourcedefinitions":         "apiextensions.k8s.io",
	"storageclasses":                    "storage.k8s.io", "csidrivers": "storage.k8s.io", "volumeattachments": "storage.k8s.io",
	"poddisruptionbudgets": "policy", "horizontalpodautoscalers": "autoscaling",
	"leases": "coordination.k8s.io", "priorityclasses": "scheduling.k8s.io",
	"tokenreviews": "authentication.k8s.io", "subjectaccessreviews": "authorization.k8s.io",
	"selfsubjectaccessreviews": "authorization.k8s.io", "localsubjectaccessreviews": "authorization.k8s.io",
	"users": "", "groups": "", "uids": "", "userextras": "authentication.k8s.io",
	"signers": "certificates.k8s.io", "endpointslices": "discovery.k8s.io",
	"runtimeclasses": "node.k8s.io", "apiservices": "apiregistration.k8s.io",
}

// ParseResource splits "RESOURCE[.GROUP][/SUBRESOURCE]" ("pods/exec", "deployments.apps",
// "deployments/scale", "widgets.example.com") into its parts. A plain name must be a built-in
// resource; "*" stands for every resource of every group.
func ParseResource(s string) (group, resource, subresource string, err error) {
	resource, subresource, _ = strings.Cut(strings.ToLower(strings.TrimSpace(s)), "/")
	if resource == "" {
		return "", "", "", fmt.Errorf("resource %q: empty", s)
	}
	if resource == "*" {
		return "*", "*", subresource, nil
	}
	if r, g, ok := strings.Cut(resource, "."); ok {
		return g, r, subresource, nil
	}
	g, ok := knownGroups[resource]
	if !ok {
		return "", "", "", fmt.Errorf("resource %q: not a built-in resource; write it as RESOURCE.GROUP (e.g. widgets.example.com)", s)
	}
	return g, resource, subresource, nil
}
