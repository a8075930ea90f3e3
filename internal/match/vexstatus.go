package match

import "github.com/rampartsec/rampart/internal/finding"

// Status returns the status of the statement that decides f, the latest one naming its
// vulnerability and its package or the scanned image (see [VEX.Apply]), or "" when none does.
// artifactDigests are as for Apply.
func (v *VEX) Status(f *finding.Finding, artifactDigests ...string) string {
	if v == nil {
		return ""
	}
	status := ""
	for _, s := range v.statements {
		if s.covers(f, artifactDigests) {
			status = s.status
		}
	}
	return status
}
