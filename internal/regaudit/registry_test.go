package regaudit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/testenv"
)

// regOpts configures a throwaway registry.
type regOpts struct {
	tls      *testCA // serve TLS with a certificate for 127.0.0.1 signed by this CA
	minTLS   string  // http.tls.minimumtls, e.g. "tls1.0"
	user     string  // htpasswd user (with pass) when not empty
	pass     string
	readOnly bool
}

// testRegistry is a docker-registry (the Distribution binary) on a free loopback port.
type testRegistry struct {
	host    string
	storage string
}

// startRegistry runs a throwaway docker-registry configured by o until the test ends.
func startRegistry(t *testing.T, o regOpts) *testRegistry {
	t.Helper()
	dir := t.TempDir()
	var c testenv.RegistryConfig
	c.ReadOnly, c.MinTLS = o.readOnly, o.minTLS
	if o.tls != nil {
		c.TLSCert, c.TLSKey = o.tls.serverFiles(t, dir)
		c.RootCAs = o.tls.pool()
	}
	if o.user != "" {
		out, err := exec.Command("htpasswd", "-Bbn", o.user, o.pass).Output()
		if err != nil {
			testenv.Missing(t, "no htpasswd (apt-get install apache2-utils): "+err.Error())
		}
		c.Htpasswd = filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(c.Htpasswd, bytes.TrimSpace(out), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l := testenv.StartRegistry(t, c)
	return &testRegistry{host: l.Host, storage: l.Storage}
}

func freePort(t *testing.T) int { return testenv.FreePort(t) }

// testCA is a CA made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rampart test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// leaf issues a server certificate for ips and names, valid from notBefore to notAfter.
func (ca *testCA) leaf(t *testing.T, key *ecdsa.PrivateKey, notBefore, notAfter time.Time, ips []net.IP, names ...string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "registry"},
		NotBefore: notBefore, NotAfter: notAfter, IPAddresses: ips, DNSNames: names,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// caFile writes the CA's PEM into dir.
func (ca *testCA) caFile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// serverFiles writes a certificate for 127.0.0.1 and its key into dir.
func (ca *testCA) serverFiles(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k := newKey(t)
	c := ca.leaf(t, k, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), []net.IP{net.IPv4(127, 0, 0, 1)}, "localhost")
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}
