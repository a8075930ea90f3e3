package regaudit

import (
	"bufio"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rampartsec/rampart/internal/result"
)

func TestClassifyAnswer(t *testing.T) {
	tests := []struct {
		push   bool
		status int
		want   Access
	}{
		{false, http.StatusOK, AccessAllowed},
		{false, http.StatusUnauthorized, AccessRefused},
		{false, http.StatusForbidden, AccessRefused},
		{false, http.StatusNotFound, AccessUnknown},
		{false, http.StatusAccepted, AccessUnknown},
		{false, http.StatusMethodNotAllowed, AccessUnknown}, // a pull is never refused that way
		{false, http.StatusTooManyRequests, AccessUnknown},
		{false, http.StatusInternalServerError, AccessUnknown},
		{true, http.StatusAccepted, AccessAllowed},
		{true, http.StatusOK, AccessUnknown}, // not the Distribution answer to starting an upload
		{true, http.StatusCreated, AccessUnknown},
		{true, http.StatusUnauthorized, AccessRefused},
		{true, http.StatusForbidden, AccessRefused},
		{true, http.StatusMethodNotAllowed, AccessRefused}, // read-only registry
		{true, http.StatusNotFound, AccessUnknown},
		{true, http.StatusBadGateway, AccessUnknown},
	}
	for _, tc := range tests {
		if got := ClassifyAnswer(tc.push, tc.status); got != tc.want {
			t.Errorf("ClassifyAnswer(push=%v, %d) = %d, want %d", tc.push, tc.status, got, tc.want)
		}
	}
}

func TestParseChallenge(t *testing.T) {
	tests := []struct {
		in   string
		want Challenge
		ok   bool
	}{
		{`Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull,push"`,
			Challenge{"bearer", map[string]string{"realm": "https://auth/token", "service": "registry", "scope": "repository:a/b:pull,push"}}, true},
		{`Basic realm="Registry Realm"`, Challenge{"basic", map[string]string{"realm": "Registry Realm"}}, true},
		{`basic REALM=plain , Charset="UTF-8"`, Challenge{"basic", map[string]string{"realm": "plain", "charset": "UTF-8"}}, true},
		{`Basic realm="a\"b\\c"`, Challenge{"basic", map[string]string{"realm": `a"b\c`}}, true},
		{`Negotiate`, Challenge{"negotiate", map[string]string{}}, true},
		{`Bearer realm="https://a", Basic realm="b"`, Challenge{"bearer", map[string]string{"realm": "https://a"}}, true},
		{`Bearer realm="x", realm="y"`, Challenge{"bearer", map[string]string{"realm": "x"}}, true},
		{`Bearer realm="unterminated`, Challenge{"bearer", map[string]string{"realm": "unterminated"}}, true},
		{``, Challenge{}, false},
		{`   `, Challenge{}, false},
		{`"quoted" realm=x`, Challenge{}, false},
	}
	for _, tc := range tests {
		got, ok := ParseChallenge(tc.in)
		if ok != tc.ok {
			t.Errorf("ParseChallenge(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if diff := cmp.Diff(tc.want, got); ok && diff != "" {
			t.Errorf("ParseChallenge(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func FuzzParseChallenge(f *testing.F) {
	file, err := os.Open("testdata/challenges.txt")
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		f.Add(sc.Text())
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, ok := ParseChallenge(h)
		if !ok {
			return
		}
		if c.Scheme == "" || c.Scheme != strings.ToLower(c.Scheme) {
			t.Errorf("scheme %q", c.Scheme)
		}
		// Bounded: nothing parsed comes from past the header's limit.
		total := len(c.Scheme)
		for k, v := range c.Params {
			total += len(k) + len(v)
		}
		if total > maxChallengeHeader {
			t.Errorf("parsed %d bytes from a %d-byte limit", total, maxChallengeHeader)
		}
	})
}

// TestClassifyCert checks each verification outcome against certificates made for it.
func TestClassifyCert(t *testing.T) {
	ca := newCA(t)
	other := newCA(t)
	key := newKey(t)
	now := time.Now()
	lo := []net.IP{net.IPv4(127, 0, 0, 1)}
	good := ca.leaf(t, key, now.Add(-time.Hour), now.Add(time.Hour), lo, "registry.test")
	expired := ca.leaf(t, key, now.Add(-48*time.Hour), now.Add(-time.Hour), lo)
	future := ca.leaf(t, key, now.Add(time.Hour), now.Add(48*time.Hour), lo)
	tests := []struct {
		name  string
		chain []*x509.Certificate
		host  string
		roots *x509.CertPool
		want  CertProblem
	}{
		{"ok by IP", []*x509.Certificate{good}, "127.0.0.1", ca.pool(), CertOK},
		{"ok by name", []*x509.Certificate{good}, "registry.test", ca.pool(), CertOK},
		{"expired", []*x509.Certificate{expired}, "127.0.0.1", ca.pool(), CertExpired},
		{"not yet valid", []*x509.Certificate{future}, "127.0.0.1", ca.pool(), CertNotYetValid},
		{"hostname", []*x509.Certificate{good}, "other.test", ca.pool(), CertHostname},
		{"untrusted", []*x509.Certificate{good}, "127.0.0.1", other.pool(), CertUntrusted},
		{"self-signed", []*x509.Certificate{ca.cert}, "127.0.0.1", other.pool(), CertSelfSigned},
		{"none", nil, "127.0.0.1", ca.pool(), CertInvalid},
	}
	for _, tc := range tests {
		got, err := classifyCert(tc.chain, tc.host, tc.roots, now)
		if got != tc.want || (got == CertOK) != (err == nil) {
			t.Errorf("%s: %q (%v), want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for h, want := range map[string]bool{"127.0.0.1": true, "127.1.2.3": true, "::1": true, "localhost": true, "LOCALHOST": true,
		"10.0.0.1": false, "registry.example.com": false, "0.0.0.0": false, "localhost.example.com": false} {
		if got := isLoopback(h); got != want {
			t.Errorf("isLoopback(%q) = %v", h, got)
		}
	}
}

// TestAuthScheme covers the challenge checks on addresses the tests' registries cannot have
// (they listen on loopback only).
func TestAuthScheme(t *testing.T) {
	tests := []struct {
		name      string
		base      string
		challenge string // "" for none
		basic     result.Status
		realm     result.Status
	}{
		{"basic over network http", "http://10.0.0.5:5000", `Basic realm="r"`, result.StatusFail, result.StatusNotAssessed},
		{"basic over loopback http", "http://127.0.0.1:5000", `Basic realm="r"`, result.StatusPass, result.StatusNotAssessed},
		{"basic over https", "https://registry.example.com", `Basic realm="r"`, result.StatusPass, result.StatusNotAssessed},
		{"bearer over network http", "http://10.0.0.5:5000", `Bearer realm="https://auth.example.com/token"`, result.StatusFail, result.StatusPass},
		{"bearer, http realm", "https://registry.example.com", `Bearer realm="http://auth.example.com/token",service="r"`, result.StatusPass, result.StatusFail},
		{"bearer, loopback http realm", "https://registry.example.com", `Bearer realm="http://127.0.0.1:5001/token"`, result.StatusPass, result.StatusPass},
		{"bearer, realm not a URL", "https://registry.example.com", `Bearer realm="token"`, result.StatusPass, result.StatusNotAssessed},
		{"no challenge", "https://registry.example.com", "", result.StatusNotAssessed, result.StatusNotAssessed},
		{"other scheme", "https://registry.example.com", `Negotiate`, result.StatusNotAssessed, result.StatusNotAssessed},
	}
	for _, tc := range tests {
		base, err := url.Parse(tc.base)
		if err != nil {
			t.Fatal(err)
		}
		a := &auditor{base: base, hostname: base.Hostname()}
		p := &prober{}
		if c, ok := ParseChallenge(tc.challenge); ok {
			p.challenge = &c
		}
		a.authScheme(p)
		got := statuses(&a.rep)
		if got[idBasicClear] != tc.basic || got[idRealmClear] != tc.realm {
			t.Errorf("%s: RG004 %s, RG005 %s; want %s, %s (%+v)", tc.name, got[idBasicClear], got[idRealmClear], tc.basic, tc.realm, a.rep.Results)
		}
	}
}

func TestUploadLocation(t *testing.T) {
	base, _ := url.Parse("https://registry.example.com")
	tests := []struct {
		loc  string
		want string // "" when refused
	}{
		{"/v2/team/app/blobs/uploads/abc?_state=x", "https://registry.example.com/v2/team/app/blobs/uploads/abc?_state=x"},
		{"https://registry.example.com/v2/team/app/blobs/uploads/abc", "https://registry.example.com/v2/team/app/blobs/uploads/abc"},
		{"https://REGISTRY.example.com:443/v2/team/app/blobs/uploads/abc", "https://REGISTRY.example.com:443/v2/team/app/blobs/uploads/abc"},
		{"", ""},
		{"https://evil.example.com/v2/team/app/blobs/uploads/abc", ""},
		{"http://registry.example.com/v2/team/app/blobs/uploads/abc", ""},
		{"https://registry.example.com:8443/v2/team/app/blobs/uploads/abc", ""},
		{"/v2/other/blobs/uploads/abc", ""},
		{"/v2/team/app/blobs/uploads/../../../other/manifests/1", ""},
		{"/v2/team/app/manifests/1", ""},
		{"%zz", ""},
	}
	for _, tc := range tests {
		u, err := uploadLocation(base, "team/app", tc.loc)
		got := ""
		if err == nil {
			got = u.String()
		}
		if got != tc.want {
			t.Errorf("uploadLocation(%q) = %q (%v), want %q", tc.loc, got, err, tc.want)
		}
	}
}
