package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RawManifest is a manifest as the registry stores it, for readers of artifacts that are not
// images to scan (cosign's signature manifests).
type RawManifest struct {
	Digest    string
	MediaType string
	Bytes     []byte
}

// FetchManifest GETs the manifest ref ("host/repo:tag" or "host/repo@sha256:…") names, with the
// credentials, TLS and timeout options [Open] takes. Errors are those of [Open].
func FetchManifest(ctx context.Context, ref string, opts ...Option) (*RawManifest, error) {
	o, ropts, err := listOptions(ctx, opts)
	if err != nil {
		return nil, err
	}
	r, err := name.ParseReference(ref, o.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%w: reference %q: %w", ErrInvalid, ref, err)
	}
	d, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, classify(err))
	}
	return &RawManifest{Digest: d.Digest.String(), MediaType: string(d.MediaType), Bytes: d.Manifest}, nil
}

// FetchBlob reads the blob digest of repo ("host/repo"), refusing one larger than limit bytes
// or whose content does not hash to digest (ErrInvalid).
func FetchBlob(ctx context.Context, repo, digest string, limit int64, opts ...Option) ([]byte, error) {
	o, ropts, err := listOptions(ctx, opts)
	if err != nil {
		return nil, err
	}
	h, err := v1.NewHash(digest)
	if err != nil || h.Algorithm != "sha256" {
		return nil, fmt.Errorf("%w: blob digest %q", ErrInvalid, digest)
	}
	d, err := name.NewDigest(repo+"@"+digest, o.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%w: repository %q: %w", ErrInvalid, repo, err)
	}
	l, err := remote.Layer(d, ropts...)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", digest, classify(err))
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", digest, classify(err))
	}
	defer rc.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(rc, limit+1))
	if err != nil {
		if c := classify(err); c != err {
			return nil, fmt.Errorf("blob %s: %w", digest, c)
		}
		// Not the network: ggcr's check of the content against the digest, at the end.
		return nil, fmt.Errorf("%w: blob %s: %w", ErrInvalid, digest, err)
	}
	if n > limit {
		return nil, fmt.Errorf("%w: blob %s is larger than %d bytes", ErrInvalid, digest, limit)
	}
	// Checked here too: the limit may cut the stream before ggcr's own check at its end.
	sum := sha256.Sum256(buf.Bytes())
	if hex.EncodeToString(sum[:]) != h.Hex {
		return nil, fmt.Errorf("%w: blob %s does not match its digest", ErrInvalid, digest)
	}
	return buf.Bytes(), nil
}
