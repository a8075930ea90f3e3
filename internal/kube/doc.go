// Package kube reads the Kubernetes objects Rampart analyses into one [Snapshot], from a live
// cluster ([LoadCluster]) or from a directory of YAML/JSON manifests or a cluster dump
// ([LoadManifests]). It does no analysis: checks (internal/rbac, manifest checks) take a Snapshot
// and do not care where it came from.
//
// # Usage
//
//	snap, err := kube.LoadCluster(ctx, kube.ClusterConfig{Kubeconfig: path, Context: "prod"})
//	snap, err := kube.LoadManifests(ctx, "./deploy")
//	for _, w := range snap.Workloads() { … w.PodSpec.ServiceAccountName … }
//
// # Secrets
//
// Secret values are never read. From a cluster only secret metadata is listed (the metadata API,
// which returns no data); from manifests the data fields are dropped while decoding.
//
// # Partial access
//
// A list the API server forbids (403) does not fail the load: it becomes a [Gap] in
// [Snapshot.Gaps] naming the verb and resource that was missing, so that checks depending on it can
// report themselves as not assessed. Refused credentials (401) and an unreachable server fail the
// load with [ErrUnauthorized] and [ErrUnreachable].
package kube
