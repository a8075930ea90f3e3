package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/testenv"
)

// TestUsageErrors needs only the binary: bad invocations exit 2 with one error line.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{name: "no reference", args: []string{"image"}},
		{name: "two references", args: []string{"image", "a", "b"}},
		{name: "unknown flag", args: []string{"image", "--no-such-flag", "x"}},
		{name: "unknown format", args: []string{"image", "--format", "yaml", "x"}},
		{name: "unknown source", args: []string{"image", "--source", "ftp", "x"}},
		{name: "unknown scanner", args: []string{"image", "--scanners", "nope", "x"}},
		{name: "empty reference", args: []string{"image", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// -q: nothing but the error. Without it, the error is still the last line.
			res := testenv.Run(t, nil, append(tt.args, "-q")...)
			if res.Code != cli.ExitUsage {
				t.Errorf("%v\nwant exit %d", res, cli.ExitUsage)
			}
			line := errorLine(t, res)
			res = testenv.Run(t, nil, tt.args...)
			if res.Code != cli.ExitUsage || !strings.HasSuffix(string(res.Stderr), line+"\n") {
				t.Errorf("%v\nwant exit %d and %q as the last line", res, cli.ExitUsage, line)
			}
		})
	}
}

// TestNotFound: a missing image, tag, repository, archive or directory exits 4, and nothing is
// written to stdout.
func TestNotFound(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name     string
		ref      string
		needsEnv bool
	}{
		{name: "docker archive", ref: "docker-archive:" + missing + ".tar"},
		{name: "oci archive", ref: "oci-archive:" + missing + ".tar"},
		{name: "oci layout", ref: "oci:" + missing},
		{name: "directory", ref: "dir:" + missing},
		{name: "daemon image", ref: "docker://rampart-test/no-such-image:1", needsEnv: true},
		{name: "registry repository", ref: "127.0.0.1:5000/rampart-test/no-such-image:1", needsEnv: true},
		{name: "registry tag", ref: "127.0.0.1:5000/rampart-test/app:no-such-tag", needsEnv: true},
		{name: "registry digest", ref: "127.0.0.1:5000/rampart-test/app@sha256:" + strings.Repeat("0", 64), needsEnv: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needsEnv {
				testenv.Load(t)
			}
			res := testenv.Run(t, nil, "image", "-q", "--cache-dir", t.TempDir(), tt.ref)
			if res.Code != cli.ExitNotFound {
				t.Errorf("%v\nwant exit %d", res, cli.ExitNotFound)
			}
			if len(res.Stdout) != 0 {
				t.Errorf("stdout is not empty:\n%s", res.Stdout)
			}
			errorLine(t, res)
		})
	}
	t.Run("oci layout tag", func(t *testing.T) {
		env := testenv.Load(t)
		res := testenv.Run(t, nil, "image", "-q", "--cache-dir", t.TempDir(), "oci:"+env.Fixtures.App.OCILayout+":no-such-tag")
		if res.Code != cli.ExitNotFound {
			t.Errorf("%v\nwant exit %d", res, cli.ExitNotFound)
		}
	})
}

// TestRegistryTLSAuth: the TLS registry with basic auth refuses missing or wrong credentials
// (exit 5) and a server certificate from a CA the scan does not trust.
func TestRegistryTLSAuth(t *testing.T) {
	env := testenv.Load(t)
	reg := env.Registry
	ref := "registry://" + reg.TLS + "/" + reg.AppRepository + ":" + reg.AppTag
	otherCA := writeCA(t)

	tests := []struct {
		name     string
		flags    []string
		env      []string
		wantCode int
		wantText string // in the error line
	}{
		{name: "no credentials", flags: []string{"--ca-cert", reg.CACert},
			env: []string{dockerConfig(t, reg.TLS, "", "")}, wantCode: cli.ExitUnauthorized},
		{name: "wrong password", flags: []string{"--ca-cert", reg.CACert},
			env: []string{dockerConfig(t, reg.TLS, reg.Username, reg.Password+"x")}, wantCode: cli.ExitUnauthorized},
		{name: "credentials for another registry", flags: []string{"--ca-cert", reg.CACert},
			env: []string{dockerConfig(t, reg.Plain, reg.Username, reg.Password)}, wantCode: cli.ExitUnauthorized},
		{name: "wrong CA", flags: []string{"--ca-cert", otherCA},
			env: []string{dockerConfig(t, reg.TLS, reg.Username, reg.Password)}, wantText: "certificate"},
		{name: "no CA", env: []string{dockerConfig(t, reg.TLS, reg.Username, reg.Password)}, wantText: "certificate"},
		{name: "CA file missing", flags: []string{"--ca-cert", reg.CACert + ".missing"},
			env: []string{dockerConfig(t, reg.TLS, reg.Username, reg.Password)}, wantText: "ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"image", "-q", "--cache-dir", t.TempDir()}, tt.flags...)
			res := testenv.Run(t, tt.env, append(args, ref)...)
			line := errorLine(t, res)
			switch {
			case tt.wantCode != 0 && res.Code != tt.wantCode:
				t.Errorf("%v\nwant exit %d", res, tt.wantCode)
			case res.Code == cli.ExitOK || res.Code == cli.ExitUnauthorized && tt.wantCode == 0:
				t.Errorf("%v\nwant a failure that is not about credentials", res)
			}
			if !strings.Contains(strings.ToLower(line), tt.wantText) {
				t.Errorf("error line %q does not mention %q", line, tt.wantText)
			}
			if len(res.Stdout) != 0 {
				t.Errorf("stdout is not empty:\n%s", res.Stdout)
			}
		})
	}
}

// writeCA writes a self-signed CA certificate that signed nothing the registry uses.
func writeCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Not the Rampart test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "other-ca.crt")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
