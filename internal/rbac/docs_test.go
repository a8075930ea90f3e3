package rbac_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/rbac"
)

// TestDocsDescribeEveryCheck keeps the table of docs/k8s.md in step with the catalogue.
func TestDocsDescribeEveryCheck(t *testing.T) {
	b, err := os.ReadFile("../../docs/k8s.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "| RB") {
			rows[strings.TrimSpace(strings.Split(l, "|")[1])] = l
		}
	}
	for _, c := range rbac.Checks() {
		row, ok := rows[c.ID]
		if !ok {
			t.Errorf("%s: no row in docs/k8s.md", c.ID)
			continue
		}
		cells := strings.Split(row, "|")
		if got := strings.TrimSpace(cells[3]); got != string(c.Severity) {
			t.Errorf("%s: docs say severity %s, the check %s", c.ID, got, c.Severity)
		}
		if got := strings.TrimSpace(cells[4]); got != c.CIS {
			t.Errorf("%s: docs say CIS %q, the check %q", c.ID, got, c.CIS)
		}
		delete(rows, c.ID)
	}
	for id := range rows {
		t.Errorf("docs/k8s.md describes %s, which is not a check", id)
	}
}
