package posture

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDocsListEveryCheck keeps docs/k8s-posture.md in step with the checks: every ID is named,
// alone or inside a range such as "KC001–KC008".
func TestDocsListEveryCheck(t *testing.T) {
	b, err := os.ReadFile("../../docs/k8s-posture.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	ranges := regexp.MustCompile(`([A-Z]{2})(\d{3})–[A-Z]{2}(\d{3})`).FindAllStringSubmatch(doc, -1)
	inRange := func(id string) bool {
		n, _ := strconv.Atoi(id[2:])
		for _, r := range ranges {
			lo, _ := strconv.Atoi(r[2])
			hi, _ := strconv.Atoi(r[3])
			if r[1] == id[:2] && lo <= n && n <= hi {
				return true
			}
		}
		return false
	}
	var ids []string
	for _, c := range pssChecks {
		ids = append(ids, c.id)
	}
	for _, r := range objectRules {
		ids = append(ids, r.id)
	}
	for _, r := range nodeRules {
		ids = append(ids, r.id)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("ID %s used by two checks", id)
		}
		seen[id] = true
		if !strings.Contains(doc, id) && !inRange(id) {
			t.Errorf("docs/k8s-posture.md does not describe %s", id)
		}
	}
}
