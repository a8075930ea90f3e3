package kube

import "testing"

func TestFieldLine(t *testing.T) {
	const manifest = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      hostPID: true
      containers:
        - name: init
          image: busybox
        - name: api
          image: example/api:latest
          securityContext:
            privileged: true
      volumes:
        - name: host
          hostPath:
            path: /
`
	s := NewManifestSnapshot("test")
	if err := ParseManifest("deploy.yaml", []byte(manifest), s); err != nil {
		t.Fatal(err)
	}
	api := Ref{Kind: "Deployment", Namespace: "shop", Name: "api"}
	tests := []struct {
		ref   Ref
		field string
		want  int
	}{
		{api, "", 6},
		{api, "spec.template.spec.hostPID", 14},
		{api, "spec.template.spec.containers[1].securityContext.privileged", 21},
		{api, "spec.template.spec.containers[1].image", 19},
		{api, "spec.template.spec.volumes[0]", 23},
		// Missing fields point at the nearest ancestor the file has: where they belong.
		{api, "spec.template.spec.containers[1].securityContext.runAsNonRoot", 20},
		{api, "spec.template.spec.containers[0].resources.limits", 16},
		{api, "spec.template.spec.containers[7].image", 15},
		{api, "spec.template.spec.automountServiceAccountToken", 13},
		{Ref{Kind: "Namespace", Name: "shop"}, "metadata.labels", 3},
		{Ref{Kind: "Deployment", Namespace: "shop", Name: "nosuch"}, "spec", 0},
	}
	for _, tt := range tests {
		if got := s.FieldLine(tt.ref, tt.field); got != tt.want {
			t.Errorf("FieldLine(%v, %q) = %d, want %d", tt.ref, tt.field, got, tt.want)
		}
	}
	// A rendered object keeps its first line.
	r := NewManifestSnapshot("test")
	if err := ParseRendered("chart/templates/deploy.yaml", []byte(manifest), r); err != nil {
		t.Fatal(err)
	}
	if got := r.FieldLine(api, "spec.template.spec.hostPID"); got != 6 {
		t.Errorf("rendered: FieldLine = %d, want the object's line 6", got)
	}
}
