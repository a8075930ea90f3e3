package image

import (
	"fmt"
	"os"
	"strings"
)

// Source says where an artifact is read from.
type Source string

// Sources Rampart can read.
const (
	SourceRegistry      Source = "registry"
	SourceDaemon        Source = "daemon"
	SourceDockerArchive Source = "docker-archive"
	SourceOCILayout     Source = "oci"
	SourceOCIArchive    Source = "oci-archive"
	SourceDir           Source = "dir"
)

// Ref is a parsed artifact reference.
type Ref struct {
	Source Source
	// Name is the image reference (registry, daemon) or the file-system path (archives, dir).
	Name string
	// Tag selects an image inside an OCI layout or archive ("oci:dir:tag"); empty means the only one.
	Tag string
}

func (r Ref) String() string {
	switch r.Source {
	case SourceRegistry:
		return r.Name
	case SourceDaemon:
		return "docker://" + r.Name
	}
	if r.Tag != "" {
		return string(r.Source) + ":" + r.Name + ":" + r.Tag
	}
	return string(r.Source) + ":" + r.Name
}

// ParseRef reads the reference syntaxes users know from skopeo, Syft and Trivy:
// "docker://NAME" (local engine), "docker-archive:FILE", "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]",
// "dir:PATH", a plain path to an existing tar file or directory, or a registry reference. "-"
// (or "docker-archive:-", "oci-archive:-") is an archive on standard input.
// forced, when not empty, overrides the source of a plain name ("daemon" or "registry").
func ParseRef(s string, forced Source) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("%w: empty image reference", ErrInvalid)
	}
	if s == "-" {
		return Ref{Source: SourceDockerArchive, Name: "-"}, nil
	}
	for _, p := range []Source{SourceDockerArchive, SourceOCIArchive, SourceOCILayout, SourceDir} {
		if rest, ok := strings.CutPrefix(s, string(p)+":"); ok {
			if rest == "" {
				return Ref{}, fmt.Errorf("%w: %q names no path", ErrInvalid, s)
			}
			r := Ref{Source: p, Name: rest}
			if p == SourceOCILayout || p == SourceOCIArchive {
				// A trailing ":tag" is only a tag when the whole string is not itself an existing path.
				if i := strings.LastIndex(rest, ":"); i > 0 {
					if _, err := os.Stat(rest); err != nil {
						r.Name, r.Tag = rest[:i], rest[i+1:]
					}
				}
			}
			return r, nil
		}
	}
	if rest, ok := strings.CutPrefix(s, "docker://"); ok {
		return Ref{Source: SourceDaemon, Name: rest}, nil
	}
	if rest, ok := strings.CutPrefix(s, "registry://"); ok {
		return Ref{Source: SourceRegistry, Name: rest}, nil
	}
	if forced != "" {
		return Ref{Source: forced, Name: s}, nil
	}
	// A path that exists on disk is scanned as what it is.
	if st, err := os.Stat(s); err == nil && (strings.ContainsAny(s, "/.") || st.IsDir()) {
		if st.IsDir() {
			if _, err := os.Stat(s + "/index.json"); err == nil {
				return Ref{Source: SourceOCILayout, Name: s}, nil
			}
			return Ref{Source: SourceDir, Name: s}, nil
		}
		if isOCIArchive(s) {
			return Ref{Source: SourceOCIArchive, Name: s}, nil
		}
		return Ref{Source: SourceDockerArchive, Name: s}, nil
	}
	return Ref{Source: SourceRegistry, Name: s}, nil
}
