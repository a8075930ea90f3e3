package kube

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func refs(s *Snapshot) []string {
	var out []string
	for _, w := range s.Workloads() {
		out = append(out, w.Ref().String()+" sa="+w.ServiceAccount())
	}
	return out
}

func TestLoadManifestsMixed(t *testing.T) {
	s, err := LoadManifests(context.Background(), "testdata/mixed")
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != SourceManifests || s.AggregationDone {
		t.Errorf("Source=%q AggregationDone=%v", s.Source, s.AggregationDone)
	}
	if diff := cmp.Diff([]string{"Deployment/shop/web sa=default"}, refs(s)); diff != "" {
		t.Errorf("workloads (-want +got):\n%s", diff)
	}
	wantSkipped := map[string]int{
		"example.com/v1/Widget":                            1,
		"apiextensions.k8s.io/v1/CustomResourceDefinition": 1,
		"v1/ConfigMap":                                     1,
	}
	if diff := cmp.Diff(wantSkipped, s.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if len(s.Namespaces) != 1 || len(s.ServiceAccounts) != 1 || len(s.NetworkPolicies) != 1 {
		t.Errorf("namespaces=%d serviceaccounts=%d networkpolicies=%d, want 1 each", len(s.Namespaces), len(s.ServiceAccounts), len(s.NetworkPolicies))
	}
	wantLoc := map[Ref]Location{
		{Kind: "Namespace", Name: "shop"}:                        {File: "testdata/mixed/app.yaml", Line: 2},
		{Kind: "Deployment", Namespace: "shop", Name: "web"}:     {File: "testdata/mixed/app.yaml", Line: 7},
		{Kind: "Secret", Namespace: "shop", Name: "db"}:          {File: "testdata/mixed/app.yaml", Line: 17},
		{Kind: "ServiceAccount", Namespace: "shop", Name: "web"}: {File: "testdata/mixed/list.json", Line: 2},
		{Kind: "NetworkPolicy", Namespace: "shop", Name: "deny"}: {File: "testdata/mixed/list.json", Line: 3},
	}
	if diff := cmp.Diff(wantLoc, s.Locations); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}
}

// TestSecretValuesDropped: the secret's keys are kept, its values are nowhere in the snapshot.
func TestSecretValuesDropped(t *testing.T) {
	s, err := LoadManifests(context.Background(), "testdata/mixed/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Secrets) != 1 {
		t.Fatalf("got %d secrets, want 1", len(s.Secrets))
	}
	sec := s.Secrets[0]
	if diff := cmp.Diff([]string{"password", "user"}, sec.Keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if sec.Type != "Opaque" {
		t.Errorf("type %q", sec.Type)
	}
	dump := strings.Join([]string{sec.String(), sec.Name}, " ")
	for _, v := range sec.Annotations {
		dump += v
	}
	for _, leaked := range []string{"aHVudGVyMg==", "hunter2", "admin"} {
		if strings.Contains(dump, leaked) {
			t.Errorf("secret value %q kept: %s", leaked, dump)
		}
	}
}

// TestLoadClusterDump reads a typed list as `kubectl cluster-info dump` writes it: items
// without apiVersion and kind.
func TestLoadClusterDump(t *testing.T) {
	s, err := LoadManifests(context.Background(), "testdata/dump")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Pod/shop/a sa=web", "Pod/shop/b sa=default"}
	if diff := cmp.Diff(want, refs(s)); diff != "" {
		t.Errorf("workloads (-want +got):\n%s", diff)
	}
	if w := s.Workloads(); !w[0].Owned || w[1].Owned {
		t.Errorf("owned = %v, %v; want true, false", w[0].Owned, w[1].Owned)
	}
}

func TestLoadManifestsErrors(t *testing.T) {
	tests := []struct {
		name, path string
		want       error
		wantText   string
	}{
		{"syntax", "testdata/bad", ErrInvalid, "testdata/bad/broken.yaml:9:"},
		{"missing", "testdata/nope", ErrNotFound, "testdata/nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadManifests(context.Background(), tt.path)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("err = %v, want %v naming %q", err, tt.want, tt.wantText)
			}
		})
	}
}

func TestParseManifestNotAnObject(t *testing.T) {
	for _, in := range []string{"- a\n- b\n", "just text\n", "apiVersion: v1\nkind: Pod\nspec: 3\n"} {
		err := ParseManifest("x.yaml", []byte(in), NewManifestSnapshot("x"))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "x.yaml:1") {
			t.Errorf("%q: err = %v, want ErrInvalid at x.yaml:1", in, err)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	for _, dir := range []string{"testdata/mixed", "testdata/dump", "testdata/bad", "../rbac/testdata/fixture"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && !e.IsDir() {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewManifestSnapshot("fuzz")
		err := ParseManifest("fuzz.yaml", data, s)
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error not wrapping ErrInvalid: %v", err)
		}
		s.sortAll()
		_ = s.Workloads()
	})
}
