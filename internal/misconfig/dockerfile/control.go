package dockerfile

import (
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/result"
)

// Profile names the Dockerfile checks among Rampart's own ([misconfig.StandardRampart]).
const Profile = "dockerfile"

// Controls gives every Dockerfile check its verdict from the findings of the Dockerfiles read
// (see [misconfig.Controls]); reason, when not empty, says which Dockerfiles were not read.
func Controls(fs []finding.Finding, reason string) []result.Control {
	return misconfig.Controls(Profile, Checks(), fs, reason)
}
