package sbom

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/uuid"
	"github.com/package-url/packageurl-go"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/result"
)

// Format names accepted by --format.
const (
	FormatCycloneDXJSON = "cyclonedx-json"
	FormatSPDXJSON      = "spdx-json"
)

// Formats lists the formats [Encode] writes.
var Formats = []string{FormatCycloneDXJSON, FormatSPDXJSON}

// ErrUnknownFormat is wrapped by [Encode] when asked for a format it does not write.
var ErrUnknownFormat = errors.New("sbom: unknown format")

// Encode writes the report's artifact, operating system and packages to w in format
// ([FormatCycloneDXJSON] or [FormatSPDXJSON]). It does not modify r. A zero r.CreatedAt is
// replaced by the current time. It returns an error wrapping [ErrUnknownFormat] for any other
// format, and the writer's error if writing fails.
func Encode(w io.Writer, format string, r *result.Report) error {
	if r == nil {
		return errors.New("sbom: nil report")
	}
	switch format {
	case FormatCycloneDXJSON:
		return encodeCycloneDX(w, r, newSerial())
	case FormatSPDXJSON:
		return encodeSPDX(w, r, newSerial())
	}
	return fmt.Errorf("%w %q (want one of %s)", ErrUnknownFormat, format, strings.Join(Formats, ", "))
}

// newSerial returns a random (version 4) UUID. uuid.New cannot fail in practice; it reads
// crypto/rand, which never returns an error on supported platforms.
func newSerial() string { return uuid.New().String() }

// created is the document's creation time: the report's, or now when the report has none.
func created(r *result.Report) time.Time {
	if r.CreatedAt.IsZero() {
		return time.Now().UTC().Truncate(time.Second)
	}
	return r.CreatedAt.UTC()
}

// sortedPackages returns a copy of the report's packages in the inventory's stable order, so that
// output does not depend on how the caller ordered them, with missing OS purls filled in.
func sortedPackages(r *result.Report) []inventory.Package {
	inv := inventory.Inventory{Packages: slices.Clone(r.Packages)}
	inv.Sort()
	for i := range inv.Packages {
		inv.Packages[i].PURL = packageURL(&inv.Packages[i], r.Artifact.OS)
	}
	return inv.Packages
}

// toolName is how documents name their creator: "rampart-1.2.3".
func toolName(r *result.Report) string {
	n := cmp.Or(r.Tool.Name, "rampart")
	if r.Tool.Version == "" {
		return n
	}
	return n + "-" + r.Tool.Version
}

// imagePURL returns a pkg:oci purl for an image pinned by digest, or "" when the artifact has no
// manifest digest (directories, some archives).
func imagePURL(a result.Artifact) string {
	if a.Digest == "" || !strings.HasPrefix(a.Digest, "sha256:") {
		return ""
	}
	var q []packageurl.Qualifier
	repoName := ""
	ref := strings.TrimPrefix(a.Name, "docker://")
	switch a.Source {
	case "registry", "daemon", "":
		if r, err := name.ParseReference(ref); err == nil {
			repo := r.Context()
			repoName = repo.RepositoryStr()
			if a.Source != "daemon" {
				q = append(q, packageurl.Qualifier{Key: "repository_url", Value: repo.Name()})
			}
			if t, ok := r.(name.Tag); ok && strings.Contains(ref, ":"+t.TagStr()) {
				q = append(q, packageurl.Qualifier{Key: "tag", Value: t.TagStr()})
			}
		}
	}
	if repoName == "" && len(a.RepoTags) > 0 {
		if t, err := name.NewTag(a.RepoTags[0]); err == nil {
			repoName = t.RepositoryStr()
		}
	}
	if repoName == "" {
		return ""
	}
	if _, arch, ok := strings.Cut(a.Platform, "/"); ok {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: arch})
	}
	// The purl spec names an OCI image by its last path segment; the rest is the repository_url.
	last := repoName[strings.LastIndex(repoName, "/")+1:]
	slices.SortFunc(q, func(a, b packageurl.Qualifier) int { return cmp.Compare(a.Key, b.Key) })
	return packageurl.NewPackageURL(packageurl.TypeOCI, "", strings.ToLower(last), a.Digest, q, "").ToString()
}

// artifactVersion is what identifies this build of the artifact: its manifest digest, else its
// config digest (image ID), else nothing.
func artifactVersion(a result.Artifact) string {
	return cmp.Or(a.Digest, a.ID)
}

// isImage reports whether the artifact is a container image rather than a directory.
func isImage(a result.Artifact) bool { return a.Source != "dir" }

// knownOS reports whether the report names the artifact's operating system.
func knownOS(o inventory.OS) bool { return o.Family != "" && o.Family != inventory.Unknown.Family }

// ids hands out identifiers that are unique within one document: a second request for the same
// identifier gets "-2", "-3", … appended.
type ids map[string]bool

func (u ids) take(id string) string {
	if !u[id] {
		u[id] = true
		return id
	}
	for n := 2; ; n++ {
		c := id + "-" + strconv.Itoa(n)
		if !u[c] {
			u[c] = true
			return c
		}
	}
}

// packageURL returns the package's purl; for an OS package whose report carries none (a report
// decoded from elsewhere), the one inventory.OSPURL gives it. Other packages without one get "":
// a guessed purl would be worse than none.
func packageURL(p *inventory.Package, o inventory.OS) string {
	if p.PURL != "" || !p.Type.IsOS() || p.Name == "" || !knownOS(o) {
		return p.PURL
	}
	return inventory.OSPURL(o, *p)
}
