package regaudit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// CertProblem is what certificate verification said of the registry's certificate.
type CertProblem string

// Certificate verification outcomes. CertOK means it verified against the system roots and
// the extra CA, for the registry's host name.
const (
	CertOK          CertProblem = "ok"
	CertExpired     CertProblem = "expired"
	CertNotYetValid CertProblem = "not yet valid"
	CertHostname    CertProblem = "hostname mismatch"
	CertSelfSigned  CertProblem = "self-signed"
	CertUntrusted   CertProblem = "untrusted"
	CertInvalid     CertProblem = "invalid"
)

// classifyCert verifies the chain the server sent for hostname, with roots (nil: the system's),
// at now.
func classifyCert(chain []*x509.Certificate, hostname string, roots *x509.CertPool, now time.Time) (CertProblem, error) {
	if len(chain) == 0 {
		return CertInvalid, errors.New("no certificate sent")
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	// The chain first, then the name: an untrusted certificate is untrusted whatever it names.
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now})
	if err == nil {
		if err = leaf.VerifyHostname(hostname); err == nil {
			return CertOK, nil
		}
	}
	var inv x509.CertificateInvalidError
	var host x509.HostnameError
	var ua x509.UnknownAuthorityError
	switch {
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		// x509 says Expired for both ends of the validity period.
		for _, c := range chain {
			if now.Before(c.NotBefore) {
				return CertNotYetValid, err
			}
		}
		return CertExpired, err
	case errors.As(err, &host):
		return CertHostname, err
	case errors.As(err, &ua):
		if len(chain) == 1 && leaf.CheckSignatureFrom(leaf) == nil {
			return CertSelfSigned, err
		}
		return CertUntrusted, err
	}
	return CertInvalid, err
}

// errNotTLS means the server answered the TLS handshake with something else (plain HTTP).
var errNotTLS = errors.New("server does not speak TLS")

// handshake connects to addr and does a TLS handshake without verification, between minV and
// maxV. It returns errNotTLS when the server's first bytes are not TLS.
func handshake(ctx context.Context, addr, serverName string, minV, maxV uint16, dialTimeout time.Duration) (*tls.ConnectionState, error) {
	d := &net.Dialer{Timeout: dialTimeout}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	} else {
		raw.SetDeadline(time.Now().Add(dialTimeout))
	}
	sn := serverName
	if net.ParseIP(sn) != nil {
		sn = "" // SNI carries names only
	}
	//nolint:gosec // verification is done by classifyCert, so that its failure is a finding, not an error
	c := tls.Client(raw, &tls.Config{ServerName: sn, InsecureSkipVerify: true, MinVersion: minV, MaxVersion: maxV})
	if err := c.HandshakeContext(ctx); err != nil {
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) {
			return nil, fmt.Errorf("%w: %w", errNotTLS, err)
		}
		return nil, &handshakeError{err}
	}
	st := c.ConnectionState()
	return &st, nil
}

// handshakeError is a TLS handshake that reached the server and failed.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return "tls handshake: " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// refusedVersion reports whether a handshake error says the server would not speak the
// offered versions (as opposed to a broken connection).
func refusedVersion(err error) bool {
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return true
	}
	// crypto/tls reports the server's alerts (protocol_version, handshake_failure when no cipher
	// suite of those versions is left) as "remote error: tls: …", and a ServerHello of a newer
	// version as "server selected unsupported protocol version".
	s := err.Error()
	return strings.Contains(s, "remote error: tls:") || strings.Contains(s, "protocol version")
}

// isLoopback reports whether host (a name or an address) is this machine: localhost,
// 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var tlsNames = map[uint16]string{
	tls.VersionTLS10: "TLS 1.0", tls.VersionTLS11: "TLS 1.1", tls.VersionTLS12: "TLS 1.2", tls.VersionTLS13: "TLS 1.3",
}
