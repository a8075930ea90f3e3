package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// isOCIArchive reports whether the tar file at p holds an OCI layout (index.json or
// oci-layout) and no docker-save manifest.json (`docker save` writes both since Docker 25).
func isOCIArchive(p string) bool {
	f, st, err := openRegular(p)
	if err != nil {
		return false
	}
	defer f.Close()
	s, err := indexTar(context.Background(), f, st.Size(), p)
	if err != nil {
		return false
	}
	return !s.has("manifest.json") && (s.has("oci-layout") || s.has("index.json"))
}

// openArchive opens a docker-save or OCI archive in place.
func openArchive(ctx context.Context, ref Ref, plat *v1.Platform, o *options, art *Artifact) (*localImage, error) {
	s, err := openArchiveFile(ctx, ref, o, art)
	if err != nil {
		return nil, err
	}
	if ref.Source == SourceOCIArchive {
		return openOCI(s, ref.Tag, plat)
	}
	return openDockerArchive(s, ref.Tag)
}

// dockerManifest is one image of a docker-save archive's manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// openDockerArchive reads the image tagged tag (the only one when empty) of a docker-save
// archive. Files named after their digest (blobs/sha256/HEX, as Docker 25 and later write them,
// HEX.json, sha256:HEX, HEX.tar.gz) are checked against it; the layers of older archives
// (ID/layer.tar) are checked against the config's diffIDs by the reader of the stream.
func openDockerArchive(s *tarStore, tag string) (*localImage, error) {
	raw, err := readFile(s, "manifest.json", maxMetadata)
	if err != nil {
		return nil, err
	}
	var ms []dockerManifest
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, fmt.Errorf("%w: %s: manifest.json: %w", ErrInvalid, s.where(), err)
	}
	m, err := findDockerManifest(ms, tag)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.where(), err)
	}
	cfg, err := dockerFile(s, m.Config).read(maxMetadata)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(cfg)
	img := &localImage{rawConfig: cfg, configID: "sha256:" + hex.EncodeToString(sum[:]), repoTags: m.RepoTags}
	for _, p := range m.Layers {
		b := dockerFile(s, p)
		img.layers = append(img.layers, Layer{open: func() (io.ReadCloser, error) {
			rc, err := b.open()
			if err != nil {
				return nil, err
			}
			return uncompress(rc, s, b.label)
		}})
	}
	return img, nil
}

// findDockerManifest picks the image tagged tag, or the only one.
func findDockerManifest(ms []dockerManifest, tag string) (*dockerManifest, error) {
	if tag == "" {
		if len(ms) != 1 {
			return nil, fmt.Errorf("%w: manifest.json lists %d images, not one", ErrInvalid, len(ms))
		}
		return &ms[0], nil
	}
	want, err := name.NewTag(tag)
	if err != nil {
		return nil, fmt.Errorf("%w: tag %q: %w", ErrInvalid, tag, err)
	}
	for i, m := range ms {
		for _, t := range m.RepoTags {
			// Compare resolved names: "app:1" and "index.docker.io/library/app:1" are one tag.
			if rt, err := name.NewTag(t); err == nil && rt.Name() == want.Name() {
				return &ms[i], nil
			}
		}
	}
	return nil, fmt.Errorf("tag %q: %w", tag, ErrNotFound)
}

// dockerFile is the file p of a docker archive: a blob checked against its digest when its
// name says it, read unchecked otherwise.
func dockerFile(s *tarStore, p string) blob {
	b := blob{s: s, name: p, label: p, size: sizeUnknown}
	if h, ok := digestInName(p); ok {
		b.want = h
	}
	return b
}

// digestInName returns the sha256 digest a docker-archive file name states: blobs/sha256/HEX,
// sha256:HEX, HEX.json, HEX.tar, HEX.tar.gz or HEX.tar.zst.
func digestInName(p string) (v1.Hash, bool) {
	p = entryKey(p)
	hexPart, ok := strings.CutPrefix(p, "blobs/sha256/")
	if !ok {
		hexPart, ok = strings.CutPrefix(p, "sha256:")
	}
	if !ok {
		for _, ext := range []string{".json", ".tar", ".tar.gz", ".tar.zst"} {
			if h, found := strings.CutSuffix(p, ext); found && !strings.Contains(h, "/") {
				hexPart, ok = h, true
				break
			}
		}
	}
	if !ok {
		return v1.Hash{}, false
	}
	h, err := v1.NewHash("sha256:" + hexPart)
	return h, err == nil
}
