package signature

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Cosign's names for the parts of a key-based signature.
const (
	// PayloadMediaType is the media type of a signature manifest's layers.
	PayloadMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// SignatureAnnotation holds the base64 signature over the layer's bytes.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// PayloadType is the payload's critical.type.
	PayloadType = "cosign container image signature"
	// MaxPayload bounds a payload read from the registry: cosign's are a few hundred bytes.
	MaxPayload = 1 << 20
)

// ErrPayload means a payload is not a cosign simple signing document.
var ErrPayload = errors.New("invalid signature payload")

// Payload is the signed document: what the signature vouches for.
type Payload struct {
	// DockerReference is the repository the signer named (critical.identity.docker-reference).
	DockerReference string
	// Digest is the image manifest digest signed (critical.image.docker-manifest-digest).
	Digest string
	// Optional are the signer's annotations (cosign sign -a key=value), as JSON values.
	Optional map[string]any
}

type simpleSigning struct {
	Critical *struct {
		Identity *struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image *struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// ParsePayload reads a simple signing payload. It is untrusted until its signature is checked,
// but it is parsed first to report what it claims; b is bounded by the caller (MaxPayload).
func ParsePayload(b []byte) (*Payload, error) {
	var s simpleSigning
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON document", ErrPayload)
	}
	switch {
	case s.Critical == nil:
		return nil, fmt.Errorf("%w: no critical section", ErrPayload)
	case s.Critical.Type != PayloadType:
		return nil, fmt.Errorf("%w: critical.type %q, want %q", ErrPayload, s.Critical.Type, PayloadType)
	case s.Critical.Image == nil:
		return nil, fmt.Errorf("%w: no critical.image", ErrPayload)
	}
	d := s.Critical.Image.DockerManifestDigest
	if _, err := v1.NewHash(d); err != nil {
		return nil, fmt.Errorf("%w: docker-manifest-digest %q: %w", ErrPayload, d, err)
	}
	p := &Payload{Digest: d, Optional: s.Optional}
	if s.Critical.Identity != nil {
		p.DockerReference = s.Critical.Identity.DockerReference
	}
	return p, nil
}

// ParseAnnotation reads a --annotation constraint "key=value".
func ParseAnnotation(s string) (key, value string, err error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", fmt.Errorf("annotation %q: want key=value", s)
	}
	return k, v, nil
}

// MissingAnnotations returns, sorted as given, the keys of want whose value the payload's
// optional map does not hold. Like cosign, a value matches only a JSON string equal to it.
func (p *Payload) MissingAnnotations(want [][2]string) []string {
	var miss []string
	for _, kv := range want {
		if v, ok := p.Optional[kv[0]].(string); !ok || v != kv[1] {
			miss = append(miss, kv[0])
		}
	}
	return miss
}
