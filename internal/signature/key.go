package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ErrKey means a public key cannot be used.
var ErrKey = errors.New("unusable public key")

// Key is a public key that checks cosign signatures.
type Key struct {
	pub crypto.PublicKey
	// Type names the algorithm, for reports: "ecdsa-p256", "rsa-3072", "ed25519".
	Type string
}

// ParseKey reads a PEM public key ("PUBLIC KEY", PKIX), as cosign generate-key-pair writes to
// cosign.pub: ECDSA (P-256, P-384, P-521), RSA (2048 bits or more) or Ed25519.
func ParseKey(b []byte) (*Key, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrKey)
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%w: PEM block %q, want PUBLIC KEY", ErrKey, block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return &Key{pub: k, Type: "ecdsa-" + k.Curve.Params().Name}, nil
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("%w: RSA key of %d bits, want 2048 or more", ErrKey, k.N.BitLen())
		}
		return &Key{pub: k, Type: fmt.Sprintf("rsa-%d", k.N.BitLen())}, nil
	case ed25519.PublicKey:
		return &Key{pub: k, Type: "ed25519"}, nil
	}
	return nil, fmt.Errorf("%w: unsupported key type %T", ErrKey, pub)
}

// Verify reports whether sig is k's signature over payload, in one of the ways cosign signs
// with a key (sigstore's defaults for the key, and the SHA-256 of cosign verify's default):
//   - ECDSA, ASN.1 signature: over the SHA-256 of the payload, or over the hash that goes with
//     the curve (SHA-384 for P-384, SHA-512 for P-521), which cosign sign uses for those curves;
//   - RSA: PKCS #1 v1.5 over the SHA-256;
//   - Ed25519: Ed25519ph (over the SHA-512, cosign's default since it uploads to Rekor), or
//     pure Ed25519 over the payload, which older cosign versions wrote.
//
// Each scheme is a signature by the key over these very bytes, so accepting any of them admits
// nothing the key did not sign.
func (k *Key) Verify(payload, sig []byte) bool {
	sum := sha256.Sum256(payload)
	switch pub := k.pub.(type) {
	case *ecdsa.PublicKey:
		if ecdsa.VerifyASN1(pub, sum[:], sig) {
			return true
		}
		switch pub.Curve {
		case elliptic.P384():
			h := sha512.Sum384(payload)
			return ecdsa.VerifyASN1(pub, h[:], sig)
		case elliptic.P521():
			h := sha512.Sum512(payload)
			return ecdsa.VerifyASN1(pub, h[:], sig)
		}
		return false
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil
	case ed25519.PublicKey:
		h := sha512.Sum512(payload)
		if ed25519.VerifyWithOptions(pub, h[:], sig, &ed25519.Options{Hash: crypto.SHA512}) == nil {
			return true
		}
		return ed25519.Verify(pub, payload, sig)
	}
	return false
}
