package scan

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/rampartsec/rampart/internal/result"
)

// Subject is the name a report's findings are fingerprinted under: the image's repository
// (docker.io/library/app for app:1, app@sha256:… or a docker-save of app:2), so that a new tag or
// build of the same image keeps the fingerprints of the findings it still has. An artifact with no
// repository (an untagged archive or layout, a directory) is named by its source and path.
func Subject(a result.Artifact) string {
	var candidates []string
	switch a.Source {
	case "registry", "daemon":
		candidates = append(candidates, strings.TrimPrefix(a.Name, "docker://"))
	}
	candidates = append(candidates, a.RepoTags...)
	for _, c := range candidates {
		if r, err := name.ParseReference(c); err == nil {
			return r.Context().Name()
		}
	}
	return a.Source + ":" + strings.TrimPrefix(a.Name, a.Source+":")
}
