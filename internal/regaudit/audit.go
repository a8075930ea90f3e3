// Package regaudit audits who may pull from and push to a Distribution (Docker) registry, and
// how it is served: TLS, its certificate, its authentication scheme, and what anonymous users
// and the user's own credentials are allowed to do.
//
// Every check gives one [result.Control] (standard "Rampart", profile "registry", the check's ID
// as control): pass, fail, info, or not_assessed with the reason, never a pass it could not
// establish. Failed results are also [finding.Finding]s of the common model.
//
// # What the probes send
//
// The audit only reads, except for one request per push probe: it starts a blob upload (POST
// /v2/REPO/blobs/uploads/) and, when the registry accepts it (202), cancels the upload at once
// with DELETE on the Location the registry returned. No byte of a blob is sent and no upload is
// completed. REPO is the repository the pull probe used (one that exists), else
// [ProbeRepository].
package regaudit

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/result"
)

// ProbeRepository is the repository the push probes use when no existing repository is known.
const ProbeRepository = "rampart-audit-probe"

// DocsURL describes every check; a check's anchor is its lower-case ID.
const DocsURL = "https://github.com/rampartsec/rampart/blob/main/docs/registry.md"

// Report is the result of one audit.
type Report struct {
	Registry string `json:"registry"`
	// URL is where the registry answered: https://HOST or http://HOST.
	URL string `json:"url"`
	// Repository is the one the pull and push probes used, and Tag the pull probe's tag.
	Repository string `json:"repository,omitempty"`
	Tag        string `json:"tag,omitempty"`
	// Summary counts the results by status: one entry, Rampart's registry checks.
	Summary  []result.ControlSummary `json:"summary"`
	Results  []result.Control        `json:"results"`
	Findings []finding.Finding       `json:"findings"`
	Warnings []string                `json:"warnings"`
}

// Config says what to audit and how to connect.
type Config struct {
	// Host is the registry: "host[:port]". Without a port, TLS is tried on 443 and plain HTTP on 80.
	Host string
	// Repo ("name" or "name:tag") is the repository the pull and push probes use; empty: the
	// first the catalog lists.
	Repo string
	// CACert is a PEM file of extra CAs to trust, besides the system's.
	CACert string
	// Insecure lets the user's credentials be sent when the certificate does not verify.
	Insecure bool
	// NoPush skips the push probes (they are then not assessed).
	NoPush bool
	// Keychain gives the user's credentials (default authn.DefaultKeychain: the docker config).
	Keychain authn.Keychain
	// Timeout bounds each request's wait for an answer (default 30s).
	Timeout time.Duration
	// Logger receives warnings (default slog.Default()).
	Logger *slog.Logger
}

// Check IDs.
const (
	idPlainHTTP    = "RG001"
	idCertificate  = "RG002"
	idOldTLS       = "RG003"
	idBasicClear   = "RG004"
	idRealmClear   = "RG005"
	idAnonAPI      = "RG010"
	idAnonCatalog  = "RG011"
	idAnonPull     = "RG012"
	idAnonPush     = "RG013"
	idCredPull     = "RG020"
	idCredPush     = "RG021"
	dialTimeout    = 10 * time.Second
	defaultTimeout = 30 * time.Second
)

// Audit probes the registry at cfg.Host. A registry that cannot be reached at all, or that
// answers /v2/ with a server error, returns an error wrapping [image.ErrUnreachable]; one that
// answers but serves no Distribution API, [image.ErrNotFound]. Everything after that is a result.
func Audit(ctx context.Context, cfg Config) (*Report, error) {
	a := &auditor{cfg: cfg, log: cmp.Or(cfg.Logger, slog.Default()), timeout: cmp.Or(cfg.Timeout, defaultTimeout)}
	if a.cfg.Keychain == nil {
		a.cfg.Keychain = authn.DefaultKeychain
	}
	hostname, port, err := net.SplitHostPort(cfg.Host)
	if err != nil {
		hostname, port = cfg.Host, ""
	}
	if hostname == "" || strings.ContainsAny(cfg.Host, "/@ ") {
		return nil, fmt.Errorf("%w: registry %q: want HOST[:PORT]", image.ErrInvalid, cfg.Host)
	}
	a.hostname = hostname
	roots, err := image.RootPool(cfg.CACert)
	if err != nil {
		return nil, err
	}
	a.roots = roots
	if err := a.transport(ctx, port, roots); err != nil {
		return nil, err
	}
	a.rep.Registry, a.rep.URL = cfg.Host, a.base.String()
	anon := a.prober(nil)
	if err := a.api(ctx, anon); err != nil {
		return nil, err
	}
	a.anonymous(ctx, anon)
	a.authScheme(anon)
	a.credentials(ctx)
	// In ID order, whatever order the probes ran in.
	slices.SortStableFunc(a.rep.Results, func(x, y result.Control) int { return cmp.Compare(x.Control, y.Control) })
	a.rep.Summary = result.SummarizeControls(a.rep.Results, nil)
	a.rep.Findings = findings(cfg.Host, a.rep.Results)
	if a.rep.Warnings == nil {
		a.rep.Warnings = []string{}
	}
	return &a.rep, nil
}

type auditor struct {
	cfg      Config
	log      *slog.Logger
	timeout  time.Duration
	hostname string
	roots    *x509.CertPool
	base     *url.URL
	// verified is true when the certificate verified (or there is no TLS).
	verified bool
	rep      Report
	// repos is the catalog, as far as anyone could list it.
	repos []string
}

// Standard and Profile of every check's result.
const (
	Standard = "Rampart"
	Profile  = "registry"
)

// add records the result of one check, about the registry.
func (a *auditor) add(r result.Control) {
	r.Standard, r.Profile, r.Resource = Standard, Profile, a.cfg.Host
	a.rep.Results = append(a.rep.Results, r)
}

func (a *auditor) warn(msg string, err error) {
	a.log.Warn(msg, "registry", a.cfg.Host, "err", err)
	a.rep.Warnings = append(a.rep.Warnings, msg+": "+err.Error())
}

// transport finds whether the registry speaks TLS and checks its certificate and versions.
func (a *auditor) transport(ctx context.Context, port string, roots *x509.CertPool) error {
	tlsAddr, plainAddr := net.JoinHostPort(a.hostname, cmp.Or(port, "443")), net.JoinHostPort(a.hostname, cmp.Or(port, "80"))
	st, err := handshake(ctx, tlsAddr, a.hostname, tls.VersionTLS10, tls.VersionTLS13, dialTimeout)
	if err != nil && !errors.Is(err, errNotTLS) {
		var he *handshakeError
		if errors.As(err, &he) {
			return fmt.Errorf("%w: registry %s: %w", image.ErrUnreachable, a.cfg.Host, err)
		}
		if port != "" {
			return fmt.Errorf("%w: registry %s: %w", image.ErrUnreachable, a.cfg.Host, err)
		}
		// No port given and nothing on 443: plain HTTP on 80 is what Docker would try next.
	}
	loop := isLoopback(a.hostname)
	if st == nil {
		a.base = &url.URL{Scheme: "http", Host: plainAddr}
		if port == "" {
			a.base.Host = a.hostname
		}
		a.verified = true
		r := result.Control{Control: idPlainHTTP, Title: "Registry served over plain HTTP", Status: result.StatusFail, Severity: finding.SeverityHigh,
			Evidence:    fmt.Sprintf("%s answers plain HTTP (no TLS handshake): credentials, tokens and images cross the network in clear", plainAddr),
			Remediation: "Serve the registry over TLS (http.tls in the Distribution config, or a TLS proxy in front)"}
		if loop {
			r.Status, r.Severity = result.StatusInfo, finding.SeverityUnknown
			r.Evidence = fmt.Sprintf("%s answers plain HTTP, on a loopback address: reachable from this host only", plainAddr)
		}
		a.add(r)
		na := "the registry serves plain HTTP, no TLS"
		a.add(result.Control{Control: idCertificate, Title: "TLS certificate does not verify", Status: result.StatusNotAssessed, Severity: finding.SeverityHigh, Reason: na})
		a.add(result.Control{Control: idOldTLS, Title: "TLS below 1.2 accepted", Status: result.StatusNotAssessed, Severity: finding.SeverityMedium, Reason: na})
		return nil
	}
	a.base = &url.URL{Scheme: "https", Host: tlsAddr}
	if port == "" {
		a.base.Host = a.hostname
	}
	a.add(result.Control{Control: idPlainHTTP, Title: "Registry served over plain HTTP", Status: result.StatusPass, Severity: finding.SeverityHigh,
		Evidence: fmt.Sprintf("%s speaks TLS (negotiated %s)", tlsAddr, tlsNames[st.Version])})
	prob, verr := classifyCert(st.PeerCertificates, a.hostname, roots, time.Now())
	cert := result.Control{Control: idCertificate, Title: "TLS certificate does not verify", Severity: finding.SeverityHigh,
		Remediation: "Serve a certificate that is valid now, names the registry's host and chains to a CA its clients trust (give that CA with --ca-cert to audit a private one)"}
	leaf := st.PeerCertificates[0]
	desc := fmt.Sprintf("subject %q, issuer %q, valid %s to %s", leaf.Subject.String(), leaf.Issuer.String(),
		leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly))
	if prob == CertOK {
		a.verified = true
		cert.Status, cert.Evidence = result.StatusPass, "verified for "+a.hostname+": "+desc
		if a.cfg.CACert != "" {
			cert.Evidence += " (with --ca-cert " + a.cfg.CACert + ")"
		}
	} else {
		cert.Status, cert.Evidence = result.StatusFail, fmt.Sprintf("%s: %v; %s", prob, verr, desc)
		if prob == CertSelfSigned || prob == CertUntrusted {
			cert.Severity = finding.SeverityMedium
		}
	}
	a.add(cert)
	old := result.Control{Control: idOldTLS, Title: "TLS below 1.2 accepted", Severity: finding.SeverityMedium,
		Remediation: "Accept TLS 1.2 and later only (http.tls.minimumtls: tls1.2 in the Distribution config)"}
	ost, oerr := handshake(ctx, tlsAddr, a.hostname, tls.VersionTLS10, tls.VersionTLS11, dialTimeout)
	switch {
	case oerr == nil:
		old.Status, old.Evidence = result.StatusFail, "handshake offering TLS 1.0-1.1 only succeeded with "+tlsNames[ost.Version]
	case refusedVersion(oerr):
		old.Status, old.Evidence = result.StatusPass, "handshake offering TLS 1.0-1.1 only was refused: "+oerr.Error()
	default:
		old.Status, old.Reason = result.StatusNotAssessed, "the TLS 1.0-1.1 handshake failed otherwise: "+oerr.Error()
	}
	a.add(old)
	return nil
}

// prober is a client for the registry, anonymous when cred is nil. An anonymous client does
// not verify certificates (transport reports them); one with credentials does, unless --insecure.
func (a *auditor) prober(cred *authn.AuthConfig) *prober {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyFromEnvironment
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout}).DialContext
	tr.TLSHandshakeTimeout = dialTimeout
	tr.ResponseHeaderTimeout = a.timeout
	// TLS 1.0 too: an old registry is audited, not refused (RG003 reports it).
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10} //nolint:gosec // see above
	if cred != nil && !a.cfg.Insecure {
		// The user's credentials go only where a certificate verifies: the registry and its
		// token realm alike.
		tr.TLSClientConfig = &tls.Config{RootCAs: a.roots, MinVersion: tls.VersionTLS10}
	}
	return &prober{
		client: &http.Client{Transport: tr, Timeout: 2 * a.timeout,
			// A registry may redirect blob and token requests; stay with what it said.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		base: a.base,
		cred: cred,
	}
}

// api is RG010: /v2/ answers 200 without credentials. It is also where an unreachable
// registry or one with no Distribution API is told apart.
func (a *auditor) api(ctx context.Context, p *prober) error {
	ans, err := p.send(ctx, http.MethodGet, "/v2/", "")
	if err != nil {
		return fmt.Errorf("%w: registry %s: %w", image.ErrUnreachable, a.cfg.Host, err)
	}
	if ans.status >= 500 {
		return fmt.Errorf("%w: registry %s: GET /v2/: %d %s", image.ErrUnreachable, a.cfg.Host, ans.status, http.StatusText(ans.status))
	}
	r := result.Control{Control: idAnonAPI, Title: "Anonymous API access", Severity: finding.SeverityMedium,
		Remediation: "Require authentication (auth.htpasswd or auth.token in the Distribution config) unless the registry is meant to be public"}
	switch {
	case ans.status == http.StatusOK:
		r.Status, r.Evidence = result.StatusFail, "GET /v2/ without credentials: 200 OK"
	case ans.status == http.StatusUnauthorized:
		if c, ok := ParseChallenge(ans.header.Get("WWW-Authenticate")); ok {
			p.challenge = &c
		}
		r.Status, r.Evidence = result.StatusPass, "GET /v2/ without credentials: 401, "+OneLineHeader(ans.header.Get("WWW-Authenticate"))
	case ans.header.Get("Docker-Distribution-Api-Version") == "" && ans.status == http.StatusNotFound:
		return fmt.Errorf("%w: registry %s: GET /v2/: %d: no Distribution API", image.ErrNotFound, a.cfg.Host, ans.status)
	default:
		r.Status, r.Reason = result.StatusNotAssessed, fmt.Sprintf("GET /v2/ without credentials: %d", ans.status)
	}
	a.add(r)
	return nil
}

// Access is what one probe found a client may do.
type Access int

// Access outcomes.
const (
	AccessUnknown Access = iota // the answer says neither
	AccessAllowed
	AccessRefused
)

// ClassifyAnswer says whether an answer to a pull (GET manifest, GET catalog) or push-start
// (POST blob upload) request means the request was allowed.
func ClassifyAnswer(push bool, status int) Access {
	switch {
	case push && status == http.StatusAccepted, !push && status == http.StatusOK:
		return AccessAllowed
	case status == http.StatusUnauthorized, status == http.StatusForbidden,
		// A read-only registry refuses writes with 405 (UNSUPPORTED).
		push && status == http.StatusMethodNotAllowed:
		return AccessRefused
	}
	return AccessUnknown
}

// anonymous is RG011-RG013: what a client without credentials may list, pull and push.
func (a *auditor) anonymous(ctx context.Context, p *prober) {
	cat := result.Control{Control: idAnonCatalog, Title: "Catalog listable anonymously", Severity: finding.SeverityMedium,
		Remediation: "Require authentication for the catalog API (/v2/_catalog), or restrict the registry:catalog:* scope"}
	repos, status, err := a.catalog(ctx, p)
	switch acc := ClassifyAnswer(false, status); {
	case err != nil:
		cat.Status, cat.Reason = result.StatusNotAssessed, err.Error()
	case acc == AccessAllowed:
		a.repos = repos
		cat.Status, cat.Evidence = result.StatusFail, fmt.Sprintf("GET /v2/_catalog without credentials: 200, %d repository names exposed%s", len(repos), sample(repos))
	case acc == AccessRefused:
		cat.Status, cat.Evidence = result.StatusPass, fmt.Sprintf("GET /v2/_catalog without credentials: %d", status)
	default:
		cat.Status, cat.Reason = result.StatusNotAssessed, fmt.Sprintf("GET /v2/_catalog without credentials: %d", status)
	}
	a.add(cat)
	if len(a.repos) == 0 && a.cfg.Repo == "" {
		// Credentials may list what anonymous users cannot: the pull probe needs a name.
		if cred := a.credential(); cred != nil && a.verified {
			if r, _, err := a.catalog(ctx, a.prober(cred)); err == nil {
				a.repos = r
			}
		}
	}
	a.pickRepo(ctx, p)
	pull := result.Control{Control: idAnonPull, Title: "Anonymous pull allowed", Severity: finding.SeverityMedium,
		Remediation: "Require authentication for pulls unless the registry is meant to be public"}
	a.pull(ctx, p, &pull, "without credentials")
	a.add(pull)
	push := result.Control{Control: idAnonPush, Title: "Anonymous push allowed", Severity: finding.SeverityCritical,
		Remediation: "Require authentication for pushes (any authentication in the Distribution config does), and give push rights only to those who publish images"}
	a.push(ctx, p, &push, "without credentials")
	a.add(push)
}

// sample names the first few repositories.
func sample(repos []string) string {
	if len(repos) == 0 {
		return ""
	}
	n := min(len(repos), 3)
	s := " (" + strings.Join(repos[:n], ", ")
	if len(repos) > n {
		s += ", …"
	}
	return s + ")"
}

// catalog lists the first page of the catalog.
func (a *auditor) catalog(ctx context.Context, p *prober) ([]string, int, error) {
	ans, err := p.do(ctx, http.MethodGet, "/v2/_catalog?n=100", "registry:catalog:*")
	if err != nil {
		return nil, 0, err
	}
	if ans.status != http.StatusOK {
		return nil, ans.status, nil
	}
	var c struct {
		Repositories []string `json:"repositories"`
	}
	if err := json.Unmarshal(ans.body, &c); err != nil {
		return nil, ans.status, fmt.Errorf("GET /v2/_catalog: 200 but not a catalog: %w", err)
	}
	return c.Repositories, ans.status, nil
}

// pickRepo chooses the repository and tag the pull and push probes use: --repo, else the first
// listed repository and its first tag (anonymous listing first).
func (a *auditor) pickRepo(ctx context.Context, anon *prober) {
	repo, tag, _ := strings.Cut(a.cfg.Repo, ":")
	if repo == "" && len(a.repos) > 0 {
		repo = a.repos[0]
	}
	if repo == "" {
		return
	}
	a.rep.Repository, a.rep.Tag = repo, tag
	if tag != "" {
		return
	}
	probers := []*prober{anon}
	if cred := a.credential(); cred != nil && a.verified {
		probers = append(probers, a.prober(cred))
	}
	for _, p := range probers {
		ans, err := p.do(ctx, http.MethodGet, "/v2/"+repo+"/tags/list?n=10", "repository:"+repo+":pull")
		if err != nil || ans.status != http.StatusOK {
			continue
		}
		var t struct {
			Tags []string `json:"tags"`
		}
		if json.Unmarshal(ans.body, &t) == nil && len(t.Tags) > 0 {
			a.rep.Tag = t.Tags[0]
			return
		}
	}
}

// pull fills r with whether p may GET the probe repository's manifest.
func (a *auditor) pull(ctx context.Context, p *prober, r *result.Control, who string) {
	if a.rep.Repository == "" {
		r.Status, r.Reason = result.StatusNotAssessed, "no repository known (the catalog was not listable and no --repo was given)"
		return
	}
	if a.rep.Tag == "" {
		r.Status, r.Reason = result.StatusNotAssessed, "no tag of "+a.rep.Repository+" could be listed (give --repo NAME:TAG)"
		return
	}
	ref := a.rep.Repository + ":" + a.rep.Tag
	ans, err := p.do(ctx, http.MethodGet, "/v2/"+a.rep.Repository+"/manifests/"+a.rep.Tag, "repository:"+a.rep.Repository+":pull")
	if err != nil {
		r.Status, r.Reason = result.StatusNotAssessed, err.Error()
		return
	}
	switch ClassifyAnswer(false, ans.status) {
	case AccessAllowed:
		r.Status, r.Evidence = result.StatusFail, fmt.Sprintf("GET manifest of %s %s: 200 (%s)", ref, who, ans.header.Get("Docker-Content-Digest"))
	case AccessRefused:
		r.Status, r.Evidence = result.StatusPass, fmt.Sprintf("GET manifest of %s %s: %d", ref, who, ans.status)
	default:
		r.Status, r.Reason = result.StatusNotAssessed, fmt.Sprintf("GET manifest of %s %s: %d", ref, who, ans.status)
	}
}

// push fills r with whether p may start a blob upload; an upload that starts is cancelled at
// once, and never completed.
func (a *auditor) push(ctx context.Context, p *prober, r *result.Control, who string) {
	if a.cfg.NoPush {
		r.Status, r.Reason = result.StatusNotAssessed, "push probes skipped (--no-push)"
		return
	}
	repo := cmp.Or(a.rep.Repository, ProbeRepository)
	ans, err := p.do(ctx, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", "repository:"+repo+":pull,push")
	if err != nil {
		r.Status, r.Reason = result.StatusNotAssessed, err.Error()
		return
	}
	switch ClassifyAnswer(true, ans.status) {
	case AccessAllowed:
		r.Status, r.Evidence = result.StatusFail, fmt.Sprintf("POST /v2/%s/blobs/uploads/ %s: 202, an upload was started", repo, who)
		if cerr := a.cancel(ctx, p, repo, ans.header.Get("Location")); cerr != nil {
			a.warn("the probe's upload could not be cancelled (the registry purges stale uploads itself)", cerr)
			r.Evidence += "; cancelling it failed: " + cerr.Error()
		} else {
			r.Evidence += " and cancelled"
		}
	case AccessRefused:
		r.Status, r.Evidence = result.StatusPass, fmt.Sprintf("POST /v2/%s/blobs/uploads/ %s: %d", repo, who, ans.status)
	default:
		r.Status, r.Reason = result.StatusNotAssessed, fmt.Sprintf("POST /v2/%s/blobs/uploads/ %s: %d", repo, who, ans.status)
	}
}

// cancel deletes the upload at loc (absolute or relative to the registry), which must be on
// the registry itself: a Location elsewhere is not followed.
func (a *auditor) cancel(ctx context.Context, p *prober, repo, loc string) error {
	u, err := uploadLocation(a.base, repo, loc)
	if err != nil {
		return err
	}
	path := u.Path
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	ans, err := p.do(ctx, http.MethodDelete, path, "repository:"+repo+":pull,push")
	if err != nil {
		return err
	}
	if ans.status != http.StatusNoContent && ans.status != http.StatusOK && ans.status != http.StatusNotFound {
		return fmt.Errorf("DELETE upload: %d", ans.status)
	}
	return nil
}

// uploadLocation resolves the Location of a started upload against the registry's base URL,
// and refuses one that is not an upload of repo on the registry itself (same scheme, host and
// port, the default port of the scheme counting as given).
func uploadLocation(base *url.URL, repo, loc string) (*url.URL, error) {
	if loc == "" {
		return nil, errors.New("no Location in the 202 answer")
	}
	u, err := base.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("location %q: %w", loc, err)
	}
	port := func(x *url.URL) string {
		return cmp.Or(x.Port(), map[string]string{"http": "80", "https": "443"}[x.Scheme])
	}
	if u.Scheme != base.Scheme || !strings.EqualFold(u.Hostname(), base.Hostname()) || port(u) != port(base) ||
		!strings.HasPrefix(u.Path, "/v2/"+repo+"/blobs/uploads/") || strings.Contains(u.Path, "/../") {
		return nil, fmt.Errorf("location %q is not an upload of %s on the registry", loc, repo)
	}
	return u, nil
}

// authScheme is RG004 and RG005: credentials that would cross the network in clear.
func (a *auditor) authScheme(p *prober) {
	basic := result.Control{Control: idBasicClear, Title: "Credentials or tokens sent over plain HTTP", Severity: finding.SeverityHigh,
		Remediation: "Serve the registry over TLS: Basic authentication sends the password with every request"}
	realm := result.Control{Control: idRealmClear, Title: "Token realm over plain HTTP", Severity: finding.SeverityHigh,
		Remediation: "Serve the token service over https: clients send their password to the realm"}
	c := p.challenge
	switch {
	case c == nil:
		why := "the registry asked no authentication of anonymous requests"
		basic.Status, basic.Reason = result.StatusNotAssessed, why
		realm.Status, realm.Reason = result.StatusNotAssessed, why
	case c.Scheme == "basic":
		realm.Status, realm.Reason = result.StatusNotAssessed, "the registry asks Basic authentication, no token realm"
		if a.base.Scheme == "http" && !isLoopback(a.hostname) {
			basic.Status, basic.Evidence = result.StatusFail, "WWW-Authenticate: Basic over plain HTTP "+a.base.String()
		} else {
			basic.Status, basic.Evidence = result.StatusPass, "WWW-Authenticate: Basic over "+a.base.String()
			if a.base.Scheme == "http" {
				basic.Evidence += " (plain HTTP, loopback only)"
			}
		}
	case c.Scheme == "bearer":
		basic.Status, basic.Evidence = result.StatusPass, "the registry asks Bearer tokens, not Basic"
		if a.base.Scheme == "http" && !isLoopback(a.hostname) {
			basic.Status, basic.Evidence = result.StatusFail, "Bearer tokens over plain HTTP "+a.base.String()+": tokens cross the network in clear"
		}
		u, err := url.Parse(c.Params["realm"])
		switch {
		case err != nil || u.Host == "":
			realm.Status, realm.Reason = result.StatusNotAssessed, fmt.Sprintf("realm %q is not a URL", c.Params["realm"])
		case u.Scheme == "http" && !isLoopback(u.Hostname()):
			realm.Status, realm.Evidence = result.StatusFail, "token realm "+u.Redacted()+" is plain HTTP"
		default:
			realm.Status, realm.Evidence = result.StatusPass, "token realm "+u.Redacted()
		}
	default:
		why := "authentication scheme " + c.Scheme + " is neither Basic nor Bearer"
		basic.Status, basic.Reason = result.StatusNotAssessed, why
		realm.Status, realm.Reason = result.StatusNotAssessed, why
	}
	a.add(basic)
	a.add(realm)
}

// credential is the user's credentials for the registry from the keychain, nil when none.
func (a *auditor) credential() *authn.AuthConfig {
	reg, err := name.NewRegistry(a.cfg.Host, name.WeakValidation)
	if err != nil {
		return nil
	}
	auth, err := a.cfg.Keychain.Resolve(reg)
	if err != nil || auth == nil || auth == authn.Anonymous {
		return nil
	}
	cfg, err := auth.Authorization()
	if err != nil || cfg == nil || (cfg.Username == "" && cfg.Password == "") {
		return nil
	}
	return cfg
}

// credentials is RG020 and RG021: what the user's own credentials may do, as information.
func (a *auditor) credentials(ctx context.Context) {
	// Information only: they cannot fail, so they weigh nothing.
	pull := result.Control{Control: idCredPull, Title: "Your credentials: pull"}
	push := result.Control{Control: idCredPush, Title: "Your credentials: push"}
	cred := a.credential()
	why := ""
	switch {
	case cred == nil:
		why = "no credentials for " + a.cfg.Host + " in the docker config (docker login)"
	case !a.verified && !a.cfg.Insecure:
		why = "the certificate did not verify, so the credentials were not sent (give --ca-cert, or --insecure)"
	case !credentialsSafe(a.base):
		why = "the registry is plain HTTP on a network address, so the credentials were not sent in clear"
	}
	if why != "" {
		pull.Status, pull.Reason = result.StatusNotAssessed, why
		push.Status, push.Reason = result.StatusNotAssessed, why
		a.add(pull)
		a.add(push)
		return
	}
	p := a.prober(cred)
	who := "as " + cred.Username
	a.pull(ctx, p, &pull, who)
	a.push(ctx, p, &push, who)
	// For the user's credentials, allowed and refused are both facts, not findings.
	for _, r := range []*result.Control{&pull, &push} {
		if r.Status == result.StatusFail {
			r.Status = result.StatusInfo
			r.Evidence = "allowed: " + r.Evidence
		} else if r.Status == result.StatusPass {
			r.Status = result.StatusInfo
			r.Evidence = "refused: " + r.Evidence
		}
	}
	a.add(pull)
	a.add(push)
}

// OneLineHeader shortens a header value for evidence.
func OneLineHeader(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// findings turns failed results into findings: access checks are exposures, the others
// misconfigurations.
func findings(host string, rs []result.Control) []finding.Finding {
	out := []finding.Finding{}
	for _, r := range rs {
		if r.Status != result.StatusFail {
			continue
		}
		kind := finding.KindMisconfig
		if r.Control >= idAnonAPI {
			kind = finding.KindExposure
		}
		out = append(out, finding.Finding{
			Kind: kind, ID: r.Control, Title: r.Title, Severity: r.Severity,
			Resource:    &finding.Resource{Kind: "registry", Name: host},
			Evidence:    r.Evidence,
			Remediation: r.Remediation,
			References:  []string{DocsURL + "#" + strings.ToLower(r.Control)},
		})
	}
	return out
}
