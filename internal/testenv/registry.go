package testenv

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// RegistryConfig is what a throwaway registry serves beyond an open plain-HTTP API.
type RegistryConfig struct {
	// TLSCert and TLSKey are PEM files: the registry serves TLS with them. RootCAs then verifies
	// it while waiting for it to come up.
	TLSCert, TLSKey string
	RootCAs         *x509.CertPool
	// MinTLS is http.tls.minimumtls ("tls1.0", …), empty for the default.
	MinTLS string
	// Htpasswd is an htpasswd file (bcrypt): the registry then asks for Basic credentials.
	Htpasswd string
	// Token makes the registry ask for Bearer tokens from a token service instead.
	Token *TokenAuth
	// Storage is the storage root; empty for a new temporary directory. A test can fill a
	// registry open, then serve the same storage with authentication.
	Storage string
	// ReadOnly puts the storage in maintenance read-only mode: pushes are refused.
	ReadOnly bool
}

// TokenAuth is the registry's auth.token section: tokens from Realm, for Service, signed by
// Issuer with a key whose certificate (sent in the token's x5c header) chains to RootCertBundle.
type TokenAuth struct {
	Realm, Service, Issuer, RootCertBundle string
}

// LocalRegistry is a running docker-registry (the Distribution binary) on a loopback port.
type LocalRegistry struct {
	Host    string // 127.0.0.1:PORT
	Storage string // its filesystem storage root
}

// StartRegistry runs /usr/bin/docker-registry with a temporary config and storage, waits until
// it answers /v2/, and stops it when the test ends. It skips with -short, and when the binary
// is missing (see [Missing]).
func StartRegistry(t testing.TB, c RegistryConfig) *LocalRegistry {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a docker-registry: skipped with -short")
	}
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		Missing(t, "no docker-registry binary (apt-get install docker-registry)")
	}
	dir := t.TempDir()
	r := &LocalRegistry{Host: fmt.Sprintf("127.0.0.1:%d", FreePort(t)), Storage: filepath.Join(dir, "storage")}
	if c.Storage != "" {
		r.Storage = c.Storage
	}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n", r.Storage)
	if c.ReadOnly {
		cfg += "  maintenance:\n    readonly:\n      enabled: true\n"
	}
	cfg += fmt.Sprintf("http:\n  addr: %s\n", r.Host)
	if c.TLSCert != "" {
		cfg += fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", c.TLSCert, c.TLSKey)
		if c.MinTLS != "" {
			cfg += "    minimumtls: " + c.MinTLS + "\n"
		}
	}
	if c.Htpasswd != "" {
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: rampart-test\n    path: %s\n", c.Htpasswd)
	}
	if tk := c.Token; tk != nil {
		cfg += fmt.Sprintf("auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n", tk.Realm, tk.Service, tk.Issuer, tk.RootCertBundle)
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
	url, client := "http://"+r.Host+"/v2/", &http.Client{Timeout: 2 * time.Second}
	// Up means the API answers: 200 when open, 401 when it asks for credentials.
	want := http.StatusOK
	if c.TLSCert != "" {
		url = "https://" + r.Host + "/v2/"
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.RootCAs}}
	}
	if c.Htpasswd != "" || c.Token != nil {
		want = http.StatusUnauthorized
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry on %s did not come up: %v\n%s", r.Host, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
