package graph

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/rampartsec/rampart/internal/kube"
)

// parsePolicies reads NetworkPolicies from a YAML stream ("---" separated).
func parsePolicies(t *testing.T, doc string) []networkingv1.NetworkPolicy {
	t.Helper()
	var out []networkingv1.NetworkPolicy
	for _, part := range strings.Split(doc, "\n---\n") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		var p networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict([]byte(part), &p); err != nil {
			t.Fatalf("policy %q: %v", part, err)
		}
		if p.Namespace == "" {
			p.Namespace = "shop"
		}
		out = append(out, p)
	}
	return out
}

// The pod under test: namespace shop, labels app=web,tier=front, container port http=8080/TCP
// and metrics=9090/TCP, reached through a Service port whose targetPort is given per case.
func TestNetworkPolicyAdmit(t *testing.T) {
	podLabels := map[string]string{"app": "web", "tier": "front"}
	spec := &corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Ports: []corev1.ContainerPort{
		{Name: "http", ContainerPort: 8080}, {Name: "metrics", ContainerPort: 9090},
	}}}}
	namespaces := []corev1.Namespace{
		{}, {}, {},
	}
	namespaces[0].Name, namespaces[0].Labels = "shop", map[string]string{"team": "shop"}
	namespaces[1].Name, namespaces[1].Labels = "ingress-nginx", map[string]string{"role": "ingress"}
	namespaces[2].Name = "monitoring"

	const (
		denyAll = `
metadata: {name: deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress]`
		allowWorld = `
metadata: {name: allow-world}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - ipBlock: {cidr: 0.0.0.0/0}`
	)
	tests := []struct {
		name     string
		policies string
		src      source
		port     string // the Service's targetPort: a number or a name; "" = the Service has no port
		want     verdict
		// the pod uses the node's network
		hostNetwork bool
		wantWhy     string // a substring of the reason
	}{
		{name: "no policy", src: srcInternet, port: "8080", want: allowed, wantWhy: "no NetworkPolicy selects the pod"},
		{name: "policy in another namespace does not select", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: deny-all, namespace: other}\nspec: {podSelector: {}}", wantWhy: "no NetworkPolicy selects the pod"},
		{name: "policy selecting other pods does not isolate", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: db}\nspec: {podSelector: {matchLabels: {app: db}}}"},
		{name: "empty podSelector default deny", policies: denyAll, src: srcInternet, port: "8080", want: blocked,
			wantWhy: "isolated for ingress by NetworkPolicy deny-all"},
		{name: "default deny on a hostNetwork pod is not assessed", policies: denyAll, src: srcInternet, port: "8080", hostNetwork: true,
			want: unsure, wantWhy: "hostNetwork"},
		{name: "an allow on a hostNetwork pod still admits", policies: allowWorld, src: srcInternet, port: "8080", hostNetwork: true,
			want: allowed},
		{name: "no policyTypes and no ingress section still isolates", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec: {podSelector: {}}"},
		{name: "no policyTypes with only an egress section isolates for ingress", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  egress: [{}]"},
		{name: "Egress-only policy does not isolate ingress", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  ingress: []"},
		{name: "Egress-only policy's ingress rules are ignored", src: srcInternet, port: "8080", want: blocked,
			policies: denyAll + "\n---\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{}]",
			wantWhy:  "by NetworkPolicy deny-all in shop;"},
		{name: "ingress [{}] allows everything", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{}]", wantWhy: "every source"},
		{name: "from: [] allows every source", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: []}]"},
		{name: "ingress: [] allows nothing", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n  ingress: []"},
		{name: "policies are OR-ed: allow beside deny", policies: denyAll + "\n---\n" + allowWorld, src: srcInternet, port: "8080",
			want: allowed, wantWhy: "NetworkPolicy shop/allow-world ingress[0] admits the Internet: ipBlock 0.0.0.0/0"},
		{name: "ipBlock ::/0", src: srcInternet, port: "8080", want: allowed,
			policies: denyAll + "\n---\nmetadata: {name: v6}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: '::/0'}}]}]"},
		{name: "ipBlock 0.0.0.0/0 with a private except still admits the Internet", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]}]",
			wantWhy:  "except 10.0.0.0/8"},
		{name: "ipBlock except the whole range", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0, except: [0.0.0.0/0]}}]}]",
			wantWhy:  "excepts the whole range"},
		{name: "ipBlock of one office range is not the Internet", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 203.0.113.0/24}}]}]",
			wantWhy:  "admits only part of the Internet"},
		{name: "ipBlocks that together cover the Internet admit it", src: srcInternet, port: "8080", want: allowed,
			policies: denyAll + "\n---\nmetadata: {name: low}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/1}}]}]" +
				"\n---\nmetadata: {name: high}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 128.0.0.0/2}}, {ipBlock: {cidr: 192.0.0.0/2}}]}]",
			wantWhy: "together admit the Internet (they cover 0.0.0.0/0)"},
		{name: "ipBlocks leaving a gap do not admit the Internet", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/1}}, {ipBlock: {cidr: 192.0.0.0/2}}]}]"},
		{name: "covering ipBlocks on another port do not admit", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/1}}], ports: [{port: 8080}]}, {from: [{ipBlock: {cidr: 128.0.0.0/1}}], ports: [{port: 443}]}]"},
		{name: "unparsable ipBlock is not assessed", src: srcInternet, port: "8080", want: unsure,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 'not-a-cidr'}}]}]"},
		{name: "pod selectors do not admit the Internet", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{podSelector: {}}, {namespaceSelector: {}}]}]",
			wantWhy:  "admits pods only"},
		{name: "matchExpressions select the pod", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {matchExpressions: [{key: tier, operator: In, values: [front, edge]}]}"},
		{name: "matchExpressions NotIn does not select the pod", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [front]}]}"},
		{name: "matchExpressions DoesNotExist does not select the pod", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {matchExpressions: [{key: app, operator: DoesNotExist}]}"},
		{name: "matchLabels and matchExpressions are AND-ed", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [back]}]}"},

		// Ports.
		{name: "rule port matches the numeric targetPort", src: srcInternet, port: "8080", want: allowed, wantWhy: "port 8080/TCP",
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 8080}]}]"},
		{name: "rule port differs from the targetPort", src: srcInternet, port: "8080", want: blocked, wantWhy: "outside 443/TCP",
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 443}]}]"},
		{name: "protocol defaults to TCP on both sides: UDP rule blocks", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 8080, protocol: UDP}]}]"},
		{name: "rule without a port admits every port of its protocol", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{protocol: TCP}]}]"},
		{name: "endPort range holds the targetPort", src: srcInternet, port: "8080", want: allowed, wantWhy: "8000-8100/TCP",
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 8000, endPort: 8100}]}]"},
		{name: "endPort range misses the targetPort", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 9000, endPort: 9100}]}]"},
		{name: "named rule port resolves to the numeric targetPort", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: http}]}]", wantWhy: "named port http (8080)"},
		{name: "named rule port is another container port", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: metrics}]}]"},
		{name: "named targetPort matches the numeric rule port", src: srcInternet, port: "http", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 8080}]}]"},
		{name: "named targetPort equals the named rule port", src: srcInternet, port: "http", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: http}]}]"},
		{name: "named rule port the pod does not declare is not assessed", src: srcInternet, port: "8080", want: unsure,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: grpc}]}]", wantWhy: "named port grpc is not declared"},
		{name: "targetPort name the pod does not declare is not assessed", src: srcInternet, port: "grpc", want: unsure,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 8080}]}]"},
		{name: "Service without ports against a rule with ports is not assessed", src: srcInternet, port: "", want: unsure,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 8080}]}]"},
		{name: "ports and from must both match", src: srcInternet, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 443}], from: [{ipBlock: {cidr: 0.0.0.0/0}}]}, {ports: [{port: 8080}], from: [{podSelector: {}}]}]"},
		{name: "one of several rules admits", src: srcInternet, port: "8080", want: allowed, wantWhy: "ingress[1]",
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 443}]}, {ports: [{port: 8080}], from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]"},
		{name: "an assessed allow beats a rule not assessed", src: srcInternet, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: grpc}]}, {ports: [{port: 8080}]}]"},

		// The ingress controller.
		{name: "ingress controller: empty namespaceSelector admits every pod", src: srcIngressController, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}}]}]", wantWhy: "every pod of every namespace"},
		{name: "ingress controller: namespaceSelector is assumed to hold it", src: srcIngressController, port: "8080", want: unsure,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {role: ingress}}}]}]",
			wantWhy:  "assuming the ingress controller runs in a namespace it selects (ingress-nginx)"},
		{name: "ingress controller: namespaceSelector AND podSelector noted", src: srcIngressController, port: "8080", want: unsure,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: nginx}}}]}]",
			wantWhy:  "with labels its podSelector matches"},
		// The snapshot may hold only some namespaces (manifests, a cluster scoped with --namespace).
		{name: "ingress controller: namespaceSelector matching no namespace of the snapshot is assumed", src: srcIngressController, port: "8080", want: unsure,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {role: gateway}}}]}]",
			wantWhy:  "(none in the snapshot)"},
		{name: "ingress controller: kubernetes.io/metadata.name selects a namespace", src: srcIngressController, port: "8080", want: unsure,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}]",
			wantWhy:  "(monitoring)"},
		{name: "ingress controller: podSelector alone is its own namespace", src: srcIngressController, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{podSelector: {}}]}]", wantWhy: "assumed to run in another"},
		{name: "ingress controller: ipBlock is not assessed", src: srcIngressController, port: "8080", want: unsure,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]", wantWhy: "CNI-dependent"},
		{name: "ingress controller: empty from", src: srcIngressController, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{}]"},
		{name: "ingress controller: default deny", src: srcIngressController, port: "8080", want: blocked, policies: denyAll},
		{name: "ingress controller: namespaceSelector on the wrong port", src: srcIngressController, port: "8080", want: blocked,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 9090}]}]"},

		// Pods of the cluster.
		{name: "cluster pods: podSelector admits", src: srcClusterPod, port: "8080", want: allowed,
			policies: "metadata: {name: p}\nspec:\n  podSelector: {}\n  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]"},
		{name: "cluster pods: default deny", src: srcClusterPod, port: "8080", want: blocked, policies: denyAll},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := &kube.Snapshot{Source: kube.SourceManifests, Namespaces: namespaces, NetworkPolicies: parsePolicies(t, tt.policies)}
			svc := &corev1.Service{}
			if tt.port != "" {
				var sp corev1.ServicePort
				if err := yaml.Unmarshal([]byte("{port: 80, targetPort: "+tt.port+"}"), &sp); err != nil {
					t.Fatal(err)
				}
				svc.Spec.Ports = []corev1.ServicePort{sp}
			}
			spec := spec
			if tt.hostNetwork {
				spec = spec.DeepCopy()
				spec.HostNetwork = true
			}
			got := newNetpols(snap).admit("shop", podLabels, spec, tt.src, targets(svc, spec))
			if got.v != tt.want {
				t.Errorf("verdict %v, want %v (why: %s)", got.v, tt.want, got.why)
			}
			if tt.wantWhy != "" && !strings.Contains(got.why, tt.wantWhy) {
				t.Errorf("why %q, want it to contain %q", got.why, tt.wantWhy)
			}
		})
	}
}

func (v verdict) String() string {
	switch v {
	case blocked:
		return "blocked"
	case unsure:
		return "unsure"
	case allowed:
		return "allowed"
	}
	return "?"
}

// covers agrees with brute force: random IPv4 prefixes no longer than /10 cover 0.0.0.0/0 iff
// each of the 1024 /10 blocks lies inside one of them.
func TestCoversBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	whole := netip.MustParsePrefix("0.0.0.0/0")
	seen := map[bool]int{}
	for range 2000 {
		var pfxs []netip.Prefix
		for range 1 + rng.IntN(12) {
			bits := 1 + rng.IntN(10)
			addr := netip.AddrFrom4([4]byte{byte(rng.IntN(256)), byte(rng.IntN(256)), 0, 0})
			pfxs = append(pfxs, netip.PrefixFrom(addr, bits).Masked())
		}
		want := true
		for blk := 0; blk < 1024 && want; blk++ {
			addr := netip.AddrFrom4([4]byte{byte(blk >> 2), byte(blk&3) << 6, 0, 0})
			in := false
			for _, p := range pfxs {
				if p.Contains(addr) {
					in = true
					break
				}
			}
			want = in
		}
		seen[want]++
		if got := covers(pfxs, whole); got != want {
			t.Fatalf("covers(%v) = %v, want %v", pfxs, got, want)
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Errorf("random cases did not exercise both answers: %v", seen)
	}
	// An IPv6 prefix says nothing about IPv4 space, and the reverse.
	if covers([]netip.Prefix{netip.MustParsePrefix("::/0")}, whole) {
		t.Error("::/0 covers 0.0.0.0/0")
	}
}
