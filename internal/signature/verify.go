package signature

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/rampartsec/rampart/internal/image"
)

// ErrNoSignatures means the image has no signature manifest. It wraps image.ErrNotFound.
var ErrNoSignatures = fmt.Errorf("no signatures: %w", image.ErrNotFound)

// Options are what [Verify] checks besides the key.
type Options struct {
	// Annotations are key=value pairs each verified payload's optional map must hold.
	Annotations [][2]string
	// Registry are the credentials, TLS and timeout options of every registry request.
	Registry []image.Option
}

// Result is what [Verify] found.
type Result struct {
	// Repository is the image's repository ("host/path").
	Repository string `json:"repository"`
	// Digest is the manifest digest the image reference resolved to.
	Digest string `json:"digest"`
	// SignatureRef is the signature manifest's tag ("host/path:sha256-HEX.sig").
	SignatureRef string      `json:"signature_ref"`
	Signatures   []Signature `json:"signatures"`
}

// Verified is the number of signatures that verified with the key and met every constraint.
func (r *Result) Verified() int {
	n := 0
	for _, s := range r.Signatures {
		if s.Verified {
			n++
		}
	}
	return n
}

// Signature is one layer of the signature manifest.
type Signature struct {
	// Layer is the payload blob's digest.
	Layer string `json:"layer"`
	// Verified is true when the signature checks with the key, the payload names the image's
	// digest and holds every required annotation.
	Verified bool `json:"verified"`
	// Reason says why an unverified signature is not.
	Reason string `json:"reason,omitempty"`
	// DockerReference and Digest are what the payload claims; empty when it was not read.
	DockerReference string         `json:"docker_reference,omitempty"`
	Digest          string         `json:"digest,omitempty"`
	Annotations     map[string]any `json:"annotations,omitempty"`
	// Warnings do not fail a signature: a docker-reference naming another repository (an image
	// copied with its signatures).
	Warnings []string `json:"warnings,omitempty"`
}

// SignatureTag is the tag cosign stores the signatures of the manifest digest under.
func SignatureTag(digest string) (string, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return "", fmt.Errorf("digest %q: %w", digest, err)
	}
	return h.Algorithm + "-" + h.Hex + ".sig", nil
}

// Verify resolves ref (a registry image, by tag or digest) to its manifest digest, reads the
// signatures cosign stored for that digest and checks each with key. It returns the result
// whether or not any signature verified; errors are those of the registry (wrapping
// image.ErrNotFound, ErrUnauthorized, ErrUnreachable, ErrInvalid), and ErrNoSignatures.
func Verify(ctx context.Context, ref string, key *Key, opts Options) (*Result, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("%w: reference %q: %w", image.ErrInvalid, ref, err)
	}
	digest, err := image.Resolve(ctx, ref, opts.Registry...)
	if err != nil {
		return nil, err
	}
	// A digest reference is checked as given: Resolve asks the registry, which answers with
	// the digest of the bytes it holds, so a registry lying about a tag cannot move it.
	if d, ok := r.(name.Digest); ok && d.DigestStr() != digest {
		return nil, fmt.Errorf("%w: %s: registry answered digest %s", image.ErrInvalid, ref, digest)
	}
	tag, err := SignatureTag(digest)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", image.ErrInvalid, err)
	}
	repo := r.Context().Name()
	res := &Result{Repository: repo, Digest: digest, SignatureRef: repo + ":" + tag}
	raw, err := image.FetchManifest(ctx, res.SignatureRef, opts.Registry...)
	if errors.Is(err, image.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w (no tag %s)", ref, ErrNoSignatures, tag)
	}
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw.Bytes))
	if err != nil {
		return nil, fmt.Errorf("%w: signature manifest %s: %w", image.ErrInvalid, res.SignatureRef, err)
	}
	if len(m.Layers) == 0 {
		return nil, fmt.Errorf("%s: %w (signature manifest %s has no layers)", ref, ErrNoSignatures, res.SignatureRef)
	}
	for _, l := range m.Layers {
		s, err := check(ctx, res, l, key, opts)
		if err != nil {
			return nil, err
		}
		res.Signatures = append(res.Signatures, s)
	}
	return res, nil
}

// check verifies one signature layer. Only registry errors other than a missing or corrupt
// blob are returned: everything wrong with the signature itself becomes its Reason.
func check(ctx context.Context, res *Result, l v1.Descriptor, key *Key, opts Options) (Signature, error) {
	s := Signature{Layer: l.Digest.String()}
	if string(l.MediaType) != PayloadMediaType {
		s.Reason = fmt.Sprintf("layer media type %q is not a cosign payload", l.MediaType)
		return s, nil
	}
	b64, ok := l.Annotations[SignatureAnnotation]
	if !ok {
		s.Reason = "no " + SignatureAnnotation + " annotation"
		return s, nil
	}
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		s.Reason = "signature annotation is not base64"
		return s, nil
	}
	if l.Size > MaxPayload {
		s.Reason = fmt.Sprintf("payload of %d bytes is larger than %d", l.Size, MaxPayload)
		return s, nil
	}
	payload, err := image.FetchBlob(ctx, res.Repository, s.Layer, MaxPayload, opts.Registry...)
	if errors.Is(err, image.ErrNotFound) || errors.Is(err, image.ErrInvalid) {
		s.Reason = "payload blob: " + err.Error()
		return s, nil
	}
	if err != nil {
		return s, err
	}
	// The payload is read before the signature is checked only to say what it claims.
	p, perr := ParsePayload(payload)
	if perr == nil {
		s.DockerReference, s.Digest, s.Annotations = p.DockerReference, p.Digest, p.Optional
	}
	switch {
	case !key.Verify(payload, sig):
		s.Reason = "signature does not verify with the key"
	case perr != nil:
		s.Reason = perr.Error()
	case p.Digest != res.Digest:
		s.Reason = fmt.Sprintf("signs %s, not this image", p.Digest)
	default:
		if miss := p.MissingAnnotations(opts.Annotations); len(miss) > 0 {
			s.Reason = "annotations not as required: " + strings.Join(miss, ", ")
			break
		}
		s.Verified = true
		if p.DockerReference != res.Repository {
			s.Warnings = append(s.Warnings, fmt.Sprintf("signed as %q, found in %q", p.DockerReference, res.Repository))
		}
	}
	return s, nil
}
