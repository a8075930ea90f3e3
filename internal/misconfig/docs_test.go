package misconfig_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/misconfig/dockerfile"
	"github.com/rampartsec/rampart/internal/misconfig/imageconfig"
)

// TestDocsDescribeEveryCheck keeps docs/misconfig.md in step with the check definitions: every
// check has a section whose first line states its title, severity and CIS control.
func TestDocsDescribeEveryCheck(t *testing.T) {
	b, err := os.ReadFile("../../docs/misconfig.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	checks := append(dockerfile.Checks(), imageconfig.Checks()...)
	ids := map[string]bool{}
	for _, c := range checks {
		if ids[c.ID] {
			t.Errorf("ID %s used twice", c.ID)
		}
		ids[c.ID] = true
		checkRow(t, lines, c)
		i := indexOf(lines, "### "+c.ID)
		if i < 0 {
			t.Errorf("%s: no section", c.ID)
			continue
		}
		head := ""
		for _, l := range lines[i+1:] {
			if strings.TrimSpace(l) != "" {
				head = l
				break
			}
		}
		cis := "no CIS control"
		if c.CIS != "" {
			cis = "CIS " + c.CIS
		}
		for _, want := range []string{"**" + c.Title + "**", "· " + string(c.Severity) + " ·", cis} {
			if !strings.Contains(head, want) {
				t.Errorf("%s: section starts %q, want it to state %q", c.ID, head, want)
			}
		}
	}
}

// checkRow finds the check's row in the summary table: "| [ID](#id) | title | SEV | CIS | …".
func checkRow(t *testing.T, lines []string, c *misconfig.Check) {
	t.Helper()
	prefix := "| [" + c.ID + "](#" + strings.ToLower(c.ID) + ") |"
	for _, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		cells := strings.Split(l, "|")
		cis := c.CIS
		if cis == "" {
			cis = "–"
		}
		if len(cells) < 5 || strings.TrimSpace(cells[2]) != c.Title || strings.TrimSpace(cells[3]) != string(c.Severity) || strings.TrimSpace(cells[4]) != cis {
			t.Errorf("%s: table row %q, want title %q, severity %s, CIS %s", c.ID, l, c.Title, c.Severity, cis)
		}
		return
	}
	t.Errorf("%s: no row in the summary table", c.ID)
}

func indexOf(lines []string, s string) int {
	for i, l := range lines {
		if strings.TrimSpace(l) == s {
			return i
		}
	}
	return -1
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes
	tests := []struct{ in, want string }{
		{"RUN  a \t b\n c", "RUN a b c"},
		{"", ""},
		{long, strings.Repeat("é", 100) + "…"},
	}
	for _, tt := range tests {
		if got := misconfig.Excerpt(tt.in); got != tt.want {
			t.Errorf("Excerpt(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSecretVariable(t *testing.T) {
	tests := []struct {
		name, value string
		want        bool
	}{
		{"DB_PASSWORD", "hunter2hunter2", true},
		{"api-key", "abcd", true},
		{"MY_KEY", "s3cr3tvalue", true},
		{"PASSWORD", "abc", false},
		{"PASSWORD_FILE", "secretfile", false},
		{"GPG_KEY", "A035C8C19219BA821ECEA86B64E628F8D684696D", false},
		{"TOKEN", "$OTHER", false},
		{"TOKEN", "${OTHER:-x}", false},
		{"SECRETS", "/run/secrets", false},
		{"TOKEN_AUTH", "true", false},
		{"PATH", "/usr/bin", false},
		{"KEYBOARD", "us-intl", false},
		{"PASSWORD", "日本語のパスワード", true},
	}
	for _, tt := range tests {
		ev, got := misconfig.SecretVariable(nil, tt.name, tt.value)
		if got != tt.want {
			t.Errorf("SecretVariable(%q, %q) = %v, want %v", tt.name, tt.value, got, tt.want)
		}
		if got && strings.Contains(ev, tt.value) {
			t.Errorf("evidence %q holds the value", ev)
		}
	}
}
