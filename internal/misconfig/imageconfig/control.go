package imageconfig

import (
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/result"
)

// Profile names the image checks among Rampart's own ([misconfig.StandardRampart]).
const Profile = "image-config"

// Controls gives every image check its verdict from the findings [Check] returned for one image
// (see [misconfig.Controls]); reason, when not empty, says what of the image was not read.
func Controls(fs []finding.Finding, reason string) []result.Control {
	return misconfig.Controls(Profile, Checks(), fs, reason)
}
