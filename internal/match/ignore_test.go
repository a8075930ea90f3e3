package match

import (
	"errors"
	"strings"
	"testing"
)

// TestParseIgnoreFileShape: an ignore file of the wrong shape is an error that gives the line
// and says what was expected there, not the YAML library's Go type names.
func TestParseIgnoreFileShape(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"a bare list", "- id: CVE-2024-0001\n  reason: x\n",
			[]string{"line 1:", "the file is a list", `"ignore:" key lists the rules`, "id and reason", "package and expires", `put "ignore:" on the first line`}},
		{"a string", "CVE-2024-0001\n", []string{"line 1:", `the file is the value "CVE-2024-0001"`, `"ignore:" key`}},
		{"ignore holds a mapping", "ignore:\n  id: CVE-2024-0001\n  reason: x\n",
			[]string{"line 2:", `"ignore:" holds a mapping`, `want a list of rules, each starting with "- id:"`}},
		{"a rule is a string", "ignore:\n  - CVE-2024-0001\n",
			[]string{"line 2:", `rule 1 is the value "CVE-2024-0001"`, "want a mapping of id, package, reason, expires"}},
		{"unknown top-level key", "ignores:\n  - id: CVE-2024-0001\n    reason: x\n", []string{"line 1:", `unknown key "ignores"`, `"ignore:" key`}},
		{"unknown rule key", "ignore:\n  - id: CVE-2024-0001\n    reason: x\n    pkg: lodash\n",
			[]string{"line 4:", `rule 1: unknown key "pkg"`, "want id, package, reason, expires"}},
		{"a list as id", "ignore:\n  - id: [CVE-1, CVE-2]\n    reason: x\n", []string{"line 2:", "rule 1: id is a list; want a string"}},
		{"no reason", "ignore:\n  - id: CVE-2024-0001\n  - id: CVE-2024-0002\n    reason: x\n", []string{"line 2:", "rule 1 (CVE-2024-0001): no reason"}},
		{"no id", "ignore:\n  - reason: x\n    package: lodash\n", []string{"line 2:", "rule 1: no id"}},
		{"bad date", "ignore:\n  - id: CVE-1\n    reason: x\n  - id: CVE-2\n    reason: y\n    expires: 31/12/2026\n",
			[]string{"line 4:", `rule 2 (CVE-2): expires "31/12/2026": want YYYY-MM-DD`}},
		{"not YAML", "ignore:\n  - id: a\n   reason: [\n", []string{"not YAML", "line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseIgnoreFile([]byte(tt.yaml))
			if !errors.Is(err, ErrInvalidIgnoreFile) {
				t.Fatalf("ParseIgnoreFile() error = %v, want ErrInvalidIgnoreFile", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			for _, bad := range []string{"!!seq", "!!map", "!!str", "match.Ignore", "unmarshal"} {
				if strings.Contains(msg, bad) {
					t.Errorf("error %q names YAML library internals (%q)", msg, bad)
				}
			}
		})
	}
}

// TestParseIgnoreFileShapesAccepted: what the documented shape allows still parses.
func TestParseIgnoreFileShapesAccepted(t *testing.T) {
	for _, y := range []string{
		"",
		"# nothing yet\n",
		"ignore:\n",
		"ignore: []\n",
		"ignore:\n  - id: CVE-2024-0001\n    reason: x\n    expires: 2026-12-31\n    package: pkg:npm/lodash\n",
		"ignore:\n  - &r {id: CVE-2024-0001, reason: x}\n  - *r\n",
	} {
		if _, err := ParseIgnoreFile([]byte(y)); err != nil {
			t.Errorf("ParseIgnoreFile(%q) = %v", y, err)
		}
	}
}
