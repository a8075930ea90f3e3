package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// localImage is an image read from an archive or an OCI layout, every blob checked against
// the digest that names it.
type localImage struct {
	digest    string // manifest digest; empty for docker archives, which have no manifest blob
	rawConfig []byte
	configID  string
	repoTags  []string
	layers    []Layer
}

// localIndex is an index of an OCI layout or archive.
type localIndex struct {
	s  store
	im *v1.IndexManifest
}

func (l localIndex) indexManifest() (*v1.IndexManifest, error) { return l.im, nil }

func (l localIndex) child(d v1.Descriptor) (indexNode, error) {
	raw, err := ociBlob(l.s, d, "index").read(maxMetadata)
	if err != nil {
		return nil, err
	}
	return parseIndex(l.s, raw, "index "+d.Digest.String())
}

func parseIndex(s store, raw []byte, label string) (localIndex, error) {
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return localIndex{}, fmt.Errorf("%w: %s: %s: %w", ErrInvalid, s.where(), label, err)
	}
	return localIndex{s, im}, nil
}

// openLayout opens the OCI layout directory dir.
func openLayout(ctx context.Context, dir, tag string, plat *v1.Platform) (*localImage, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("oci layout %s: %w", dir, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("oci layout %s: %w", dir, err)
	case !st.IsDir():
		return nil, fmt.Errorf("%w: oci layout %s is %s, not a directory", ErrInvalid, dir, fileKind(st.Mode()))
	}
	if _, err := os.Lstat(filepath.Join(dir, "index.json")); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("oci layout %s: no index.json: %w", dir, ErrNotFound)
	}
	return openOCI(dirStore{ctx, dir}, tag, plat)
}

// openOCI reads the image tagged tag (any when empty) for plat from an OCI layout or archive.
func openOCI(s store, tag string, plat *v1.Platform) (*localImage, error) {
	raw, err := readFile(s, "index.json", maxMetadata)
	if err != nil {
		return nil, err
	}
	idx, err := parseIndex(s, raw, "index.json")
	if err != nil {
		return nil, err
	}
	_, d, err := pick(idx, tag, plat)
	if err != nil {
		return nil, at(s.where(), err)
	}
	raw, err = ociBlob(s, d, "manifest").read(maxMetadata)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: manifest %s: %w", ErrInvalid, s.where(), d.Digest, err)
	}
	cfg, err := ociBlob(s, m.Config, "config").read(maxMetadata)
	if err != nil {
		return nil, err
	}
	img := &localImage{digest: d.Digest.String(), rawConfig: cfg, configID: m.Config.Digest.String()}
	for _, ld := range m.Layers {
		b := ociBlob(s, ld, "layer")
		img.layers = append(img.layers, Layer{Digest: ld.Digest.String(), Size: ld.Size, open: func() (io.ReadCloser, error) {
			rc, err := b.open()
			if err != nil {
				return nil, err
			}
			return uncompress(rc, s, b.label)
		}})
	}
	return img, nil
}

// at prefixes err with where, unless its message already says where.
func at(where string, err error) error {
	if strings.Contains(err.Error(), where) {
		return err
	}
	return fmt.Errorf("%s: %w", where, err)
}
