package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

// MaxManifestSize is the largest manifest file read; larger files are an [ErrInvalid] error.
const MaxManifestSize = 64 << 20

// LoadManifests reads every .yaml, .yml and .json file under path (or path itself when it is a
// file) into a [Snapshot]. Multi-document YAML, `kind: List` and typed lists (PodList, the files
// of `kubectl cluster-info dump`) are understood. Objects of kinds the snapshot does not hold,
// custom resources and CRDs are counted in [Snapshot.Skipped]. Hidden directories are not
// entered.
//
// It returns an error wrapping [ErrInvalid] that names file:line for a file that is not valid
// YAML or JSON, and [ErrNotFound] when path does not exist.
func LoadManifests(ctx context.Context, path string) (*Snapshot, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
		}
		return nil, fmt.Errorf("manifests: %w", err)
	}
	s := NewManifestSnapshot(path)
	var files []string
	if !st.IsDir() {
		files = []string{path}
	} else {
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != path && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", path, err)
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := loadFile(f, s); err != nil {
			return nil, err
		}
	}
	s.sortAll()
	return s, nil
}

// NewManifestSnapshot returns an empty manifests snapshot for [ParseManifest] to fill.
func NewManifestSnapshot(origin string) *Snapshot {
	return &Snapshot{Source: SourceManifests, Origin: origin, Locations: map[Ref]Location{}, Skipped: map[string]int{}}
}

func loadFile(name string, s *Snapshot) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("manifests: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxManifestSize+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxManifestSize {
		return fmt.Errorf("%w: %s: larger than %d bytes", ErrInvalid, name, MaxManifestSize)
	}
	return ParseManifest(name, data, s)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// ParseManifest decodes the documents of one file into s. name is used in locations and errors.
// It returns an error wrapping [ErrInvalid] naming name:line for bytes that are not YAML or JSON.
// Objects decoded before a syntax error stay in s.
func ParseManifest(name string, data []byte, s *Snapshot) error {
	return parseManifest(name, data, s, false)
}

// ParseRendered is [ParseManifest] for text rendered from templates (Helm, Kustomize): its
// locations keep the object's line only, since a rendered line is not a line of any file.
func ParseRendered(name string, data []byte, s *Snapshot) error {
	return parseManifest(name, data, s, true)
}

func parseManifest(name string, data []byte, s *Snapshot, rendered bool) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			msg := err.Error()
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				return fmt.Errorf("%w: %s:%s: %s", ErrInvalid, name, m[1], strings.TrimPrefix(msg, m[0]))
			}
			return fmt.Errorf("%w: %s: %s", ErrInvalid, name, msg)
		}
		if len(doc.Content) == 0 {
			continue
		}
		if err := s.addNode(name, doc.Content[0], "", "", rendered); err != nil {
			return err
		}
	}
}

// addNode adds one object, or the items of a list. apiVersion and kind are inherited by the
// items of typed lists, which the API server returns without their own.
func (s *Snapshot) addNode(file string, n *yaml.Node, apiVersion, kind string, rendered bool) error {
	loc := Location{File: file, Line: n.Line}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%w: %s: not a Kubernetes object (a YAML %s)", ErrInvalid, loc, nodeKind(n))
	}
	var head struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
	}
	if err := n.Decode(&head); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalid, loc, err)
	}
	if head.APIVersion == "" {
		head.APIVersion = apiVersion
	}
	if head.Kind == "" {
		head.Kind = kind
	}
	if head.Kind == "" || head.APIVersion == "" {
		s.Skipped["(no apiVersion/kind)"]++
		slog.Debug("manifest document without apiVersion or kind", "path", loc.String())
		return nil
	}
	if items := mapValue(n, "items"); items != nil && strings.HasSuffix(head.Kind, "List") {
		if items.Kind != yaml.SequenceNode {
			return fmt.Errorf("%w: %s: %s items is not a list", ErrInvalid, loc, head.Kind)
		}
		for _, it := range items.Content {
			if err := s.addNode(file, it, head.APIVersion, strings.TrimSuffix(head.Kind, "List"), rendered); err != nil {
				return err
			}
		}
		return nil
	}
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalid, loc, err)
	}
	m["apiVersion"], m["kind"] = head.APIVersion, head.Kind
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalid, loc, err)
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(raw, nil, nil)
	if err != nil {
		if runtime.IsNotRegisteredError(err) || runtime.IsMissingKind(err) || runtime.IsMissingVersion(err) {
			s.Skipped[head.APIVersion+"/"+head.Kind]++
			return nil
		}
		return fmt.Errorf("%w: %s: %s %s: %v", ErrInvalid, loc, head.APIVersion, head.Kind, err)
	}
	ref, ok := s.add(obj)
	if !ok {
		s.Skipped[head.APIVersion+"/"+head.Kind]++
		return nil
	}
	s.Locations[ref] = loc
	if !rendered {
		if s.nodes == nil {
			s.nodes = map[Ref]*yaml.Node{}
		}
		s.nodes[ref] = n
	}
	return nil
}

// add appends obj to the matching list; ok is false for kinds a Snapshot does not hold.
func (s *Snapshot) add(obj runtime.Object) (ref Ref, ok bool) {
	switch o := obj.(type) {
	case *corev1.Namespace:
		s.Namespaces = append(s.Namespaces, *o)
		return Ref{"Namespace", "", o.Name}, true
	case *corev1.Pod:
		s.Pods = append(s.Pods, *o)
		return Ref{"Pod", o.Namespace, o.Name}, true
	case *corev1.Service:
		s.Services = append(s.Services, *o)
		return Ref{"Service", o.Namespace, o.Name}, true
	case *corev1.ServiceAccount:
		s.ServiceAccounts = append(s.ServiceAccounts, *o)
		return Ref{"ServiceAccount", o.Namespace, o.Name}, true
	case *corev1.Secret:
		m := SecretMeta{ObjectMeta: o.ObjectMeta, Type: o.Type}
		m.Annotations = withoutLastApplied(m.Annotations)
		for k := range o.Data {
			m.Keys = append(m.Keys, k)
		}
		for k := range o.StringData {
			m.Keys = append(m.Keys, k)
		}
		sort.Strings(m.Keys)
		s.Secrets = append(s.Secrets, m)
		return Ref{"Secret", o.Namespace, o.Name}, true
	case *appsv1.Deployment:
		s.Deployments = append(s.Deployments, *o)
		return Ref{"Deployment", o.Namespace, o.Name}, true
	case *appsv1.StatefulSet:
		s.StatefulSets = append(s.StatefulSets, *o)
		return Ref{"StatefulSet", o.Namespace, o.Name}, true
	case *appsv1.DaemonSet:
		s.DaemonSets = append(s.DaemonSets, *o)
		return Ref{"DaemonSet", o.Namespace, o.Name}, true
	case *appsv1.ReplicaSet:
		s.ReplicaSets = append(s.ReplicaSets, *o)
		return Ref{"ReplicaSet", o.Namespace, o.Name}, true
	case *batchv1.Job:
		s.Jobs = append(s.Jobs, *o)
		return Ref{"Job", o.Namespace, o.Name}, true
	case *batchv1.CronJob:
		s.CronJobs = append(s.CronJobs, *o)
		return Ref{"CronJob", o.Namespace, o.Name}, true
	case *networkingv1.Ingress:
		s.Ingresses = append(s.Ingresses, *o)
		return Ref{"Ingress", o.Namespace, o.Name}, true
	case *networkingv1.NetworkPolicy:
		s.NetworkPolicies = append(s.NetworkPolicies, *o)
		return Ref{"NetworkPolicy", o.Namespace, o.Name}, true
	case *rbacv1.Role:
		s.Roles = append(s.Roles, *o)
		return Ref{"Role", o.Namespace, o.Name}, true
	case *rbacv1.ClusterRole:
		s.ClusterRoles = append(s.ClusterRoles, *o)
		return Ref{"ClusterRole", "", o.Name}, true
	case *rbacv1.RoleBinding:
		s.RoleBindings = append(s.RoleBindings, *o)
		return Ref{"RoleBinding", o.Namespace, o.Name}, true
	case *rbacv1.ClusterRoleBinding:
		s.ClusterRoleBindings = append(s.ClusterRoleBindings, *o)
		return Ref{"ClusterRoleBinding", "", o.Name}, true
	}
	return Ref{}, false
}

func withoutLastApplied(a map[string]string) map[string]string {
	if _, ok := a[corev1.LastAppliedConfigAnnotation]; !ok {
		return a
	}
	out := make(map[string]string, len(a))
	for k, v := range a {
		if k != corev1.LastAppliedConfigAnnotation {
			out[k] = v
		}
	}
	return out
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		return "scalar " + strconv.Quote(n.Value)
	case yaml.AliasNode:
		return "alias"
	}
	return "node"
}
