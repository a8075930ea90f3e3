package kube

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FieldLine is where field (a path like "spec.template.spec.containers[0].securityContext.privileged")
// of the object ref is in its manifest: the line of the field itself when the file has it, else
// of its nearest ancestor that is there (where the missing field belongs), else the object's first
// line; 0 when the object was not read from a manifest. Objects rendered from templates (Helm,
// Kustomize) keep their first line: a rendered line is not a line of the template file.
func (s *Snapshot) FieldLine(ref Ref, field string) int {
	l, ok := s.Locations[ref]
	if !ok {
		return 0
	}
	n := s.nodes[ref]
	if n == nil || field == "" {
		return l.Line
	}
	line := l.Line
	for _, seg := range splitField(field) {
		next := child(n, seg)
		if next == nil {
			break
		}
		n, line = next.value, next.line
	}
	return line
}

type fieldNode struct {
	value *yaml.Node
	line  int // of the key, for a mapping entry; of the item, for a list element
}

// child follows one segment: a mapping key, or "[i]" into a sequence.
func child(n *yaml.Node, seg string) *fieldNode {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if i, ok := strings.CutPrefix(seg, "["); ok {
		idx, err := strconv.Atoi(strings.TrimSuffix(i, "]"))
		if err != nil || n.Kind != yaml.SequenceNode || idx < 0 || idx >= len(n.Content) {
			return nil
		}
		return &fieldNode{value: n.Content[idx], line: n.Content[idx].Line}
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == seg {
			return &fieldNode{value: n.Content[i+1], line: n.Content[i].Line}
		}
	}
	return nil
}

// splitField cuts "a.b[0].c" into "a", "b", "[0]", "c".
func splitField(field string) []string {
	var out []string
	for _, part := range strings.Split(field, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			switch {
			case i < 0:
				out = append(out, part)
				part = ""
			case i > 0:
				out = append(out, part[:i])
				part = part[i:]
			default:
				j := strings.IndexByte(part, ']')
				if j < 0 {
					out = append(out, part)
					part = ""
					continue
				}
				out = append(out, part[:j+1])
				part = part[j+1:]
			}
		}
	}
	return out
}
