package image

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// annotationRefName is where OCI layouts record an image's tag.
const annotationRefName = "org.opencontainers.image.ref.name"

// selectFromIndex picks the image for plat from an index, descending into nested indexes.
func selectFromIndex(idx v1.ImageIndex, plat *v1.Platform) (v1.Image, string, error) {
	return selectByTag(idx, "", plat)
}

// selectByTag picks, from an index, the image tagged tag (any when empty) that matches plat.
// An index holding a single image without platform information yields that image.
func selectByTag(idx v1.ImageIndex, tag string, plat *v1.Platform) (v1.Image, string, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", fmt.Errorf("%w: read index: %w", ErrInvalid, classify(err))
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
			return nil, "", fmt.Errorf("tag %q: %w", tag, ErrNotFound)
		}
		return nil, "", fmt.Errorf("%w: index lists no manifests", ErrInvalid)
	}
	for _, d := range candidates {
		if d.MediaType.IsIndex() {
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, "", fmt.Errorf("%w: nested index %s: %w", ErrInvalid, d.Digest, classify(err))
			}
			if img, dg, err := selectByTag(child, "", plat); err == nil {
				return img, dg, nil
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
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, "", fmt.Errorf("image %s: %w", d.Digest, classify(err))
		}
		return img, d.Digest.String(), nil
	}
	return nil, "", fmt.Errorf("no image for platform %s (index has %s): %w", plat, strings.Join(seen, ", "), ErrNotFound)
}
