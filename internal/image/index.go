package image

import (
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// annotationRefName is where OCI layouts record an image's tag.
const annotationRefName = "org.opencontainers.image.ref.name"

// indexNode is an image index a selection walks: a registry's, or one of a layout or archive.
type indexNode interface {
	indexManifest() (*v1.IndexManifest, error)
	// child is the nested index d describes.
	child(d v1.Descriptor) (indexNode, error)
}

// remoteIndex is a go-containerregistry index (a registry's).
type remoteIndex struct{ idx v1.ImageIndex }

func (r remoteIndex) indexManifest() (*v1.IndexManifest, error) { return r.idx.IndexManifest() }

func (r remoteIndex) child(d v1.Descriptor) (indexNode, error) {
	idx, err := r.idx.ImageIndex(d.Digest)
	if err != nil {
		return nil, err
	}
	return remoteIndex{idx}, nil
}

// selectFromIndex picks the image for plat from an index, descending into nested indexes.
func selectFromIndex(idx v1.ImageIndex, plat *v1.Platform) (v1.Image, string, error) {
	n, d, err := pick(remoteIndex{idx}, "", plat)
	if err != nil {
		return nil, "", err
	}
	img, err := n.(remoteIndex).idx.Image(d.Digest)
	if err != nil {
		return nil, "", fmt.Errorf("image %s: %w", d.Digest, classify(err))
	}
	return img, d.Digest.String(), nil
}

// pick picks, from an index, the image tagged tag (any when empty) that matches plat, and
// returns it with the index that lists it. An index holding a single image without platform
// information yields that image.
func pick(idx indexNode, tag string, plat *v1.Platform) (indexNode, v1.Descriptor, error) {
	im, err := idx.indexManifest()
	if err != nil {
		return nil, v1.Descriptor{}, fmt.Errorf("%w: read index: %w", ErrInvalid, classify(err))
	}
	var seen []string
	var candidates []v1.Descriptor
	for _, d := range im.Manifests {
		if tag != "" {
			rn := d.Annotations[annotationRefName]
			if rn != tag && !strings.HasSuffix(rn, ":"+tag) {
				continue
			}
		}
		candidates = append(candidates, d)
	}
	if len(candidates) == 0 {
		if tag != "" {
			return nil, v1.Descriptor{}, fmt.Errorf("tag %q: %w", tag, ErrNotFound)
		}
		return nil, v1.Descriptor{}, fmt.Errorf("%w: index lists no manifests", ErrInvalid)
	}
	for _, d := range candidates {
		if d.MediaType.IsIndex() {
			child, err := idx.child(d)
			if err != nil {
				if err = classify(err); !errors.Is(err, ErrInvalid) {
					err = fmt.Errorf("%w: %w", ErrInvalid, err)
				}
				return nil, v1.Descriptor{}, fmt.Errorf("nested index %s: %w", d.Digest, err)
			}
			if n, cd, err := pick(child, "", plat); err == nil {
				return n, cd, nil
			}
			continue
		}
		if !d.MediaType.IsImage() {
			continue
		}
		if d.Platform != nil {
			seen = append(seen, d.Platform.String())
			if !d.Platform.Satisfies(*plat) {
				continue
			}
		} else if len(candidates) > 1 {
			continue
		}
		return idx, d, nil
	}
	return nil, v1.Descriptor{}, fmt.Errorf("no image for platform %s (index has %s): %w", plat, strings.Join(seen, ", "), ErrNotFound)
}
