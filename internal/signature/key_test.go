package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

// testSigner signs the way cosign's key-based signing does: SHA-256 of the payload.
type testSigner struct {
	priv crypto.Signer
	pem  []byte
}

func newTestSigner(t *testing.T, kind string) *testSigner {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "ecdsa-P-256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ecdsa-P-384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "rsa-2048", "rsa-1024":
		bits := 2048
		if kind == "rsa-1024" {
			bits = 1024
		}
		priv, err = rsa.GenerateKey(rand.Reader, bits)
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{priv: priv, pem: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
}

func (s *testSigner) sign(t *testing.T, payload []byte) []byte {
	t.Helper()
	var sig []byte
	var err error
	if _, ok := s.priv.(ed25519.PrivateKey); ok {
		sig, err = s.priv.Sign(rand.Reader, payload, crypto.Hash(0))
	} else {
		sum := sha256.Sum256(payload)
		sig, err = s.priv.Sign(rand.Reader, sum[:], crypto.SHA256)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestKeyVerify(t *testing.T) {
	payload := []byte(readTestdata(t, "plain.json"))
	for _, kind := range []string{"ecdsa-P-256", "ecdsa-P-384", "rsa-2048", "ed25519"} {
		t.Run(kind, func(t *testing.T) {
			s := newTestSigner(t, kind)
			key, err := ParseKey(s.pem)
			if err != nil {
				t.Fatal(err)
			}
			if key.Type != kind {
				t.Errorf("Type = %q, want %q", key.Type, kind)
			}
			sig := s.sign(t, payload)
			if !key.Verify(payload, sig) {
				t.Error("own signature does not verify")
			}
			tampered := append([]byte(nil), payload...)
			tampered[len(tampered)-2] ^= 1
			if key.Verify(tampered, sig) {
				t.Error("signature verifies a tampered payload")
			}
			other, err := ParseKey(newTestSigner(t, kind).pem)
			if err != nil {
				t.Fatal(err)
			}
			if other.Verify(payload, sig) {
				t.Error("signature verifies with another key")
			}
			if key.Verify(payload, nil) {
				t.Error("empty signature verifies")
			}
		})
	}
}

func TestParseKeyRefuses(t *testing.T) {
	ec := newTestSigner(t, "ecdsa-P-256")
	privDER, err := x509.MarshalPKCS8PrivateKey(ec.priv)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][]byte{
		"empty":       nil,
		"not PEM":     []byte("cosign.pub"),
		"private key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}),
		"bad DER":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0x03, 1, 2, 3}}),
		"small RSA":   newTestSigner(t, "rsa-1024").pem,
	}
	for name, in := range tests {
		if k, err := ParseKey(in); err == nil {
			t.Errorf("%s: ParseKey() = %v, want an error", name, k.Type)
		}
	}
}
