package regaudit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// maxBody bounds what is read of any answer: the registry is untrusted.
const maxBody = 1 << 20

// manifestAccept lists the manifest media types a pull asks for.
var manifestAccept = strings.Join([]string{
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
}, ",")

// prober sends the audit's requests to one registry, anonymously or with one set of
// credentials, answering Basic and Bearer challenges the way a Docker client does.
type prober struct {
	client *http.Client
	base   *url.URL // scheme://host
	// cred is nil for anonymous requests.
	cred *authn.AuthConfig
	// challenge is the first WWW-Authenticate challenge seen, for the auth scheme checks.
	challenge *Challenge
}

// answer is what is kept of one response: the status, headers and a bounded body.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends method path and, on a 401 with a challenge, answers it (a token from the realm,
// with the credentials if any, or Basic credentials) and sends the request once more.
func (p *prober) do(ctx context.Context, method, path, scope string) (*answer, error) {
	a, err := p.send(ctx, method, path, "")
	if err != nil || a.status != http.StatusUnauthorized {
		return a, err
	}
	c, ok := ParseChallenge(a.header.Get("WWW-Authenticate"))
	if !ok {
		return a, nil
	}
	if p.challenge == nil {
		p.challenge = &c
	}
	switch c.Scheme {
	case "basic":
		if p.cred == nil || p.cred.Username == "" {
			return a, nil
		}
		req := &http.Request{Header: http.Header{}}
		req.SetBasicAuth(p.cred.Username, p.cred.Password)
		return p.send(ctx, method, path, req.Header.Get("Authorization"))
	case "bearer":
		tok, err := p.token(ctx, c, scope)
		if err != nil {
			return nil, err
		}
		if tok == "" {
			return a, nil
		}
		return p.send(ctx, method, path, "Bearer "+tok)
	}
	return a, nil
}

func (p *prober) send(ctx context.Context, method, path, authz string) (*answer, error) {
	u := p.base.JoinPath(path)
	if q := strings.IndexByte(path, '?'); q >= 0 {
		u = p.base.JoinPath(path[:q])
		u.RawQuery = path[q+1:]
	}
	return p.fetch(ctx, method, u.String(), authz, nil)
}

func (p *prober) fetch(ctx context.Context, method, u, authz string, hdr http.Header) (*answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	req.Header.Set("User-Agent", "rampart")
	req.Header.Set("Accept", manifestAccept)
	for k, v := range hdr {
		req.Header[k] = v
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, u, err)
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// token asks the challenge's realm for a token for scope, with the credentials when there are
// some. It returns "" when the realm refuses (the request then stays unauthorized).
func (p *prober) token(ctx context.Context, c Challenge, scope string) (string, error) {
	realm, err := url.Parse(c.Params["realm"])
	if err != nil || (realm.Scheme != "https" && realm.Scheme != "http") || realm.Host == "" {
		return "", nil // no usable realm: the request stays refused
	}
	if p.cred != nil && !credentialsSafe(realm) {
		return "", nil
	}
	q := realm.Query()
	if s := c.Params["service"]; s != "" {
		q.Set("service", s)
	}
	if scope != "" {
		q.Set("scope", scope)
	}
	realm.RawQuery = q.Encode()
	authz := ""
	if p.cred != nil && p.cred.Username != "" {
		req := &http.Request{Header: http.Header{}}
		req.SetBasicAuth(p.cred.Username, p.cred.Password)
		authz = req.Header.Get("Authorization")
	}
	a, err := p.fetch(ctx, http.MethodGet, realm.String(), authz, http.Header{"Accept": {"application/json"}})
	if err != nil {
		return "", fmt.Errorf("token realm: %w", err)
	}
	if a.status != http.StatusOK {
		return "", nil
	}
	var t struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(a.body, &t); err != nil {
		return "", nil
	}
	if t.Token != "" {
		return t.Token, nil
	}
	return t.AccessToken, nil
}

// credentialsSafe reports whether credentials may be sent to u: over TLS, or to a loopback
// address. The audit never sends the user's credentials in clear over a network itself.
func credentialsSafe(u *url.URL) bool {
	return u.Scheme == "https" || isLoopback(u.Hostname())
}
