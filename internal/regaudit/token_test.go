package regaudit

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

// tokenService is a small Distribution token service: anonymous clients get pull on every
// repository, user (with pass) gets pull and push and the catalog. Tokens are ES256 JWTs whose
// x5c header carries a certificate signed by ca, as docker-registry's auth.token expects.
type tokenService struct {
	ca         *testCA
	key        *ecdsa.PrivateKey
	certDER    []byte
	user, pass string
	// scopes records the scopes asked for, by "anonymous" or the user.
	scopes []string
}

const (
	tokenIssuer   = "rampart-test-issuer"
	tokenAudience = "rampart-test-registry"
)

func newTokenService(t *testing.T, ca *testCA, user, pass string) *tokenService {
	t.Helper()
	key := newKey(t)
	cert := ca.leaf(t, key, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), nil, "token-signer")
	return &tokenService{ca: ca, key: key, certDER: cert.Raw, user: user, pass: pass}
}

func (s *tokenService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	who := "anonymous"
	if u, p, ok := r.BasicAuth(); ok {
		if u != s.user || p != s.pass {
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		who = u
	}
	type access struct {
		Type    string   `json:"type"`
		Name    string   `json:"name"`
		Actions []string `json:"actions"`
	}
	var granted []access
	for _, scope := range r.URL.Query()["scope"] {
		s.scopes = append(s.scopes, who+" "+scope)
		parts := strings.SplitN(scope, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var acts []string
		for _, a := range strings.Split(parts[2], ",") {
			if a == "pull" && parts[0] == "repository" || who != "anonymous" {
				acts = append(acts, a)
			}
		}
		granted = append(granted, access{parts[0], parts[1], acts})
	}
	now := time.Now()
	claims := map[string]any{
		"iss": tokenIssuer, "sub": who, "aud": r.URL.Query().Get("service"),
		"exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
		"jti": base64.RawURLEncoding.EncodeToString(s.certDER[:8]) + now.Format(time.RFC3339Nano), "access": granted,
	}
	header := map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(s.certDER)}}
	tok, err := s.sign(header, claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"token": tok, "expires_in": 300})
}

// sign makes a compact JWS with ES256 (r and s, 32 bytes each).
func (s *tokenService) sign(header, claims map[string]any) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(input))
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// TestAuditTokenAuth audits a TLS registry that asks for Bearer tokens from a token service over
// TLS: anonymous tokens allow pull only; the user's allow push.
func TestAuditTokenAuth(t *testing.T) {
	ca := newCA(t)
	dir := t.TempDir()
	ts := newTokenService(t, ca, "bob", "hunter2")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(ts)
	srv.Listener.Close()
	srv.Listener = l
	// Over TLS: clients (ggcr, docker) refuse a plain HTTP realm for a TLS registry.
	srvKey := newKey(t)
	srvCert := ca.leaf(t, srvKey, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), []net.IP{net.IPv4(127, 0, 0, 1)})
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srvCert.Raw}, PrivateKey: srvKey}}}
	srv.StartTLS()
	defer srv.Close()

	// The image is pushed while the registry is open: go-containerregistry refuses a token
	// realm on a loopback address. The same storage is then served with token auth.
	filler := testenv.StartRegistry(t, testenv.RegistryConfig{})
	pushRandom(t, filler.Host+"/team/app:1")
	certFile, keyFile := ca.serverFiles(t, dir)
	reg := testenv.StartRegistry(t, testenv.RegistryConfig{TLSCert: certFile, TLSKey: keyFile, RootCAs: ca.pool(), Storage: filler.Storage,
		Token: &testenv.TokenAuth{Realm: srv.URL + "/token", Service: tokenAudience, Issuer: tokenIssuer, RootCertBundle: ca.caFile(t, dir)}})
	kc := staticKeychain{host: reg.Host, user: "bob", pass: "hunter2"}

	rep := audit(t, Config{Host: reg.Host, CACert: ca.caFile(t, t.TempDir()), Keychain: kc})
	want := map[string]result.Status{
		idPlainHTTP: result.StatusPass, idCertificate: result.StatusPass,
		idAnonAPI: result.StatusPass, idAnonCatalog: result.StatusPass, idAnonPull: result.StatusFail, idAnonPush: result.StatusPass,
		idBasicClear: result.StatusPass, idRealmClear: result.StatusPass,
		idCredPull: result.StatusInfo, idCredPush: result.StatusInfo,
	}
	got := statuses(rep)
	delete(got, idOldTLS)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %s (%s), want %s", id, got[id], resultOf(t, rep, id).Evidence+resultOf(t, rep, id).Reason, w)
		}
	}
	if ev := resultOf(t, rep, idRealmClear).Evidence; !strings.Contains(ev, srv.URL) {
		t.Errorf("RG005 evidence %q does not name the realm", ev)
	}
	if ev := resultOf(t, rep, idCredPush).Evidence; !strings.HasPrefix(ev, "allowed: ") {
		t.Errorf("RG021 evidence %q", ev)
	}
	// The probes asked the token service for the scopes they test, anonymously and as bob.
	for _, s := range []string{"anonymous registry:catalog:*", "bob registry:catalog:*", "anonymous repository:team/app:pull",
		"anonymous repository:team/app:pull,push", "bob repository:team/app:pull,push"} {
		if !slices.Contains(ts.scopes, s) {
			t.Errorf("no token asked for %q; asked: %v", s, ts.scopes)
		}
	}
}
