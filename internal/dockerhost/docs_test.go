package dockerhost

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the control table in docs/cis-docker.md")

const (
	docsPath   = "../../docs/cis-docker.md"
	tableBegin = "<!-- controls:begin (generated from internal/dockerhost/controls.go: go test ./internal/dockerhost -run TestDocsTable -update) -->"
	tableEnd   = "<!-- controls:end -->"
)

// controlTable renders every control as a Markdown table.
func controlTable() string {
	var b strings.Builder
	b.WriteString("| control | rule | title | assessed | severity | evidence read |\n|---|---|---|---|---|---|\n")
	for _, c := range Controls {
		rule, sev, reads := "", "", c.Reads
		how := string(c.How)
		if c.How == Elsewhere {
			how, reads = "not by `rampart docker`", "image and Dockerfile control: see `rampart image` misconfiguration checks"
		} else {
			rule = fmt.Sprintf(`<a id="%s"></a>%s`, strings.ToLower(c.Rule), c.Rule)
			sev = string(c.Severity)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", c.ID, rule, strings.ReplaceAll(c.Title, "|", `\|`), how, sev, strings.ReplaceAll(reads, "|", `\|`))
	}
	return b.String()
}

// TestDocsTable keeps the table in docs/cis-docker.md equal to Controls.
func TestDocsTable(t *testing.T) {
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the control table markers", docsPath)
	}
	want := doc[:i+len(tableBegin)] + "\n" + controlTable() + doc[j:]
	if *update {
		if err := os.WriteFile(docsPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != doc {
		t.Errorf("%s is out of date: run go test ./internal/dockerhost -run TestDocsTable -update", docsPath)
	}
}

// TestControls checks the control list itself: unique IDs and rules, and every control of
// v1.6.0's sections in order (1.1.1-1.1.18, 1.2.1-2, 2.1-2.18, 3.1-3.24, 4.1-4.12, 5.1-5.32, 6.1-2).
func TestControls(t *testing.T) {
	var want []string
	add := func(prefix string, n int) {
		for i := 1; i <= n; i++ {
			want = append(want, fmt.Sprintf("%s%d", prefix, i))
		}
	}
	add("1.1.", 18)
	add("1.2.", 2)
	add("2.", 18)
	add("3.", 24)
	add("4.", 12)
	add("5.", 32)
	add("6.", 2)
	var got []string
	rules := map[string]bool{}
	for _, c := range Controls {
		got = append(got, c.ID)
		if c.How == Elsewhere {
			continue
		}
		if c.Rule == "" || rules[c.Rule] || c.Severity == "" || c.Remediation == "" || c.Reads == "" {
			t.Errorf("control %s: rule %q (duplicate %v), severity %q, remediation or reads missing", c.ID, c.Rule, rules[c.Rule], c.Severity)
		}
		rules[c.Rule] = true
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("controls:\n%s\nwant:\n%s", strings.Join(got, " "), strings.Join(want, " "))
	}
}
