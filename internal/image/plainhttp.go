package image

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// plainHTTPGuard refuses requests over plain HTTP to anything but a loopback address unless the
// user said --insecure. go-containerregistry falls back to HTTP on its own for localhost and for
// private (RFC 1918) addresses when HTTPS fails; off loopback that would send credentials and
// images in clear, and lets anyone on the path downgrade the connection.
type plainHTTPGuard struct {
	next     http.RoundTripper
	insecure bool
}

func (g plainHTTPGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.insecure && !isLoopbackHost(req.URL.Hostname()) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%w: refusing plain HTTP to %s: a registry off loopback must use TLS (or pass --insecure)", ErrUnreachable, req.URL.Host)
	}
	return g.next.RoundTrip(req)
}

// isLoopbackHost reports whether host is "localhost", under .localhost, or a loopback IP.
func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
