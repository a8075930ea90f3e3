package regaudit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
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

// startRegistry runs /usr/bin/docker-registry with a temporary config and storage until the
// test ends.
func startRegistry(t *testing.T, o regOpts) *testRegistry {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a docker-registry: skipped with -short")
	}
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		testenv.Missing(t, "no docker-registry binary (apt-get install docker-registry)")
	}
	dir := t.TempDir()
	r := &testRegistry{host: fmt.Sprintf("127.0.0.1:%d", freePort(t)), storage: filepath.Join(dir, "storage")}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n", r.storage)
	if o.readOnly {
		cfg += "  maintenance:\n    readonly:\n      enabled: true\n"
	}
	cfg += fmt.Sprintf("http:\n  addr: %s\n", r.host)
	if o.tls != nil {
		cert, key := o.tls.serverFiles(t, dir)
		cfg += fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", cert, key)
		if o.minTLS != "" {
			cfg += "    minimumtls: " + o.minTLS + "\n"
		}
	}
	if o.user != "" {
		out, err := exec.Command("htpasswd", "-Bbn", o.user, o.pass).Output()
		if err != nil {
			testenv.Missing(t, "no htpasswd (apt-get install apache2-utils): "+err.Error())
		}
		hp := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(hp, bytes.TrimSpace(out), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: rampart-test\n    path: %s\n", hp)
	}
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start docker-registry: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("docker-registry log:\n%s", logs.String())
		}
	})
	scheme := "http"
	client := &http.Client{Timeout: 2 * time.Second}
	if o.tls != nil {
		scheme = "https"
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: o.tls.pool()}}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get(scheme + "://" + r.host + "/v2/")
		if err == nil {
			resp.Body.Close()
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry on %s did not come up: %v\n%s", r.host, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

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
