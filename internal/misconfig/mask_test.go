package misconfig

import (
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/finding"
)

// TestEvidenceAndLocationMasked: every check's finding — Dockerfile, image, Kubernetes posture,
// which all build evidence with Excerpt — has secrets masked in its evidence, path and field,
// and a long evidence is cut after masking, never through a secret left whole.
func TestEvidenceAndLocationMasked(t *testing.T) {
	gh := "ghp_" + "Zr8mQ2vX7pL4nT9kW1sY6bH3cJ5dF0gA2eR8"
	aws := "AKIA" + "Q7RZ5WX2MB4KJ6TY"
	c := &Check{ID: "XX001", Title: "t", Severity: finding.SeverityLow}
	f := c.Finding(finding.Location{Path: "srv/" + gh + "/Dockerfile", Field: "env:" + aws}, "RUN curl -H 'Authorization: token "+gh+"' x")
	all := f.Location.Path + " " + f.Location.Field + " " + f.Evidence
	if strings.Contains(all, gh) || strings.Contains(all, aws) || !strings.Contains(f.Evidence, "token ghp_****") {
		t.Errorf("finding: %s", all)
	}
	long := strings.Repeat("x ", 95) + gh
	if ev := Excerpt(long); strings.Contains(ev, "ghp_Zr8m") || !strings.HasSuffix(ev, "…") {
		t.Errorf("Excerpt of a long line ending in a token: %q", ev)
	}
}
