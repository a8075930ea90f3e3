package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

// testSigner holds a key pair made with Go's crypto, independently of the code under test.
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
	case "ecdsa-P-521":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
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

// signatures signs payload in each way cosign may: SHA-256 and the curve's own hash for ECDSA,
// Ed25519ph and pure Ed25519.
func (s *testSigner) signatures(t *testing.T, payload []byte) map[string][]byte {
	t.Helper()
	sigs := map[string][]byte{}
	add := func(name string, digest []byte, opts crypto.SignerOpts) {
		sig, err := s.priv.Sign(rand.Reader, digest, opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sigs[name] = sig
	}
	s256, s384, s512 := sha256.Sum256(payload), sha512.Sum384(payload), sha512.Sum512(payload)
	switch k := s.priv.(type) {
	case ed25519.PrivateKey:
		add("pure", payload, crypto.Hash(0))
		add("ph", s512[:], &ed25519.Options{Hash: crypto.SHA512})
	case *ecdsa.PrivateKey:
		add("sha256", s256[:], crypto.SHA256)
		switch k.Curve {
		case elliptic.P384():
			add("sha384", s384[:], crypto.SHA384)
		case elliptic.P521():
			add("sha512", s512[:], crypto.SHA512)
		}
	default:
		add("sha256", s256[:], crypto.SHA256)
	}
	return sigs
}

func TestKeyVerify(t *testing.T) {
	payload := []byte(readTestdata(t, "plain.json"))
	for _, kind := range []string{"ecdsa-P-256", "ecdsa-P-384", "ecdsa-P-521", "rsa-2048", "ed25519"} {
		t.Run(kind, func(t *testing.T) {
			s := newTestSigner(t, kind)
			key, err := ParseKey(s.pem)
			if err != nil {
				t.Fatal(err)
			}
			if key.Type != kind {
				t.Errorf("Type = %q, want %q", key.Type, kind)
			}
			other, err := ParseKey(newTestSigner(t, kind).pem)
			if err != nil {
				t.Fatal(err)
			}
			tampered := append([]byte(nil), payload...)
			tampered[len(tampered)-2] ^= 1
			for scheme, sig := range s.signatures(t, payload) {
				if !key.Verify(payload, sig) {
					t.Errorf("%s: own signature does not verify", scheme)
				}
				if key.Verify(tampered, sig) {
					t.Errorf("%s: signature verifies a tampered payload", scheme)
				}
				if other.Verify(payload, sig) {
					t.Errorf("%s: signature verifies with another key", scheme)
				}
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
