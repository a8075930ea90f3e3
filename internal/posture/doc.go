// Package posture checks the security posture of Kubernetes objects and nodes: every control of
// the Pod Security Standards (baseline and restricted), the automatable controls of the CIS
// Kubernetes Benchmark (section 5 over objects, sections 1–4 over a node's files) and the
// NSA/CISA Kubernetes Hardening Guide. It reads a [kube.Snapshot], from a live cluster or from
// manifests (internal/manifest), and reports [finding.Finding] values plus the status of every
// control: pass, fail or not assessed.
//
// # Usage
//
//	res, err := posture.Check(ctx, snap, posture.Options{NodeRoot: "/host"})
//	for _, s := range res.Summary { … s.Standard, s.Pass, s.Fail, s.NotAssessed … }
//
// # Pod Security Standards
//
// The verdicts come from the reference implementation the API server's PodSecurity admission
// runs (k8s.io/pod-security-admission/policy), check by check, so that Rampart agrees with the
// API server on every pod; [Allowed] exposes that verdict. Each failed check is then attributed
// to the pod or to the containers that cause it by running it again on reduced copies of the pod
// spec, which gives the finding its field path.
//
// # IDs
//
// IDs are two letters and three digits: PS for Pod Security Standards checks (one per check of
// the reference implementation), KW for workload checks, KN for namespace checks, KE for
// exposure (Services, Ingresses) and KC for control plane and kubelet settings. An ID is never
// reused. docs/k8s-posture.md describes each.
//
// # Not assessed
//
// A control is "not assessed", never "pass", when an input it needs is missing: a list the API
// server refused (a [kube.Gap], named in the reason), no objects of the kind it checks, or no
// node root for sections 1–4.
//
// Check is safe for concurrent use; it does not modify the snapshot.
package posture
