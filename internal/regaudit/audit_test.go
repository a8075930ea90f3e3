package regaudit

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

// noCreds is a keychain with no credentials at all (not even the user's docker config).
var noCreds = authn.NewMultiKeychain()

// staticKeychain holds one user's credentials for one registry.
type staticKeychain struct{ host, user, pass string }

func (k staticKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if r.RegistryStr() != k.host {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: k.user, Password: k.pass}), nil
}

// statuses maps check IDs to statuses.
func statuses(rep *Report) map[string]result.Status {
	m := map[string]result.Status{}
	for _, r := range rep.Results {
		m[r.Control] = r.Status
	}
	return m
}

func resultOf(t *testing.T, rep *Report, id string) result.Control {
	t.Helper()
	for _, r := range rep.Results {
		if r.Control == id {
			return r
		}
	}
	t.Fatalf("no result %s", id)
	return result.Control{}
}

// storageFiles lists the regular files under the registry's storage, relative to it.
func storageFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// catalog lists the registry's repositories with net/http, independently of the code under test.
func catalog(t *testing.T, host string) []string {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v2/_catalog")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		Repositories []string `json:"repositories"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c.Repositories
}

func pushRandom(t *testing.T, ref string) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

func audit(t *testing.T, cfg Config) *Report {
	t.Helper()
	if cfg.Keychain == nil {
		cfg.Keychain = noCreds
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Audit(ctx, cfg)
	if err != nil {
		t.Fatalf("audit %s: %v", cfg.Host, err)
	}
	checkControls(t, rep, cfg.Host)
	return rep
}

// checkControls holds every audit of the tests to the control model: each check has one valid
// [result.Control] about the registry, failed checks and findings match one for one, only a
// failure-capable check has a severity, and the summary counts every result.
func checkControls(t *testing.T, rep *Report, host string) {
	t.Helper()
	seen := map[string]bool{}
	failed := map[string]bool{}
	for _, c := range rep.Results {
		if err := c.Valid(); err != nil {
			t.Error(err)
		}
		if c.Standard != Standard || c.Profile != Profile || c.Resource != host || seen[c.Control] {
			t.Errorf("%s: standard %q profile %q resource %q (twice: %v)", c.Control, c.Standard, c.Profile, c.Resource, seen[c.Control])
		}
		seen[c.Control] = true
		if info := c.Control == idCredPull || c.Control == idCredPush; info != (c.Severity == "") {
			t.Errorf("%s: severity %q", c.Control, c.Severity)
		}
		if c.Status == result.StatusFail {
			failed[c.Control] = true
		}
	}
	if len(seen) != 11 {
		t.Errorf("%d checks reported, want 11", len(seen))
	}
	for _, f := range rep.Findings {
		if !failed[f.ID] {
			t.Errorf("finding %s: its check did not fail", f.ID)
		}
		delete(failed, f.ID)
	}
	for id := range failed {
		t.Errorf("%s failed without a finding", id)
	}
	sum := result.TotalControls(rep.Summary)
	if len(rep.Summary) != 1 || sum.Pass+sum.Fail+sum.Info+sum.NotAssessed+sum.Manual != len(rep.Results) {
		t.Errorf("summary %+v for %d results", rep.Summary, len(rep.Results))
	}
}

// TestAuditOpenPlain audits an open plain-HTTP registry on loopback: anonymous pull and push,
// and checks that the push probe left nothing behind.
func TestAuditOpenPlain(t *testing.T) {
	r := startRegistry(t, regOpts{})
	pushRandom(t, r.host+"/team/app:1")
	before := storageFiles(t, r.storage)

	rep := audit(t, Config{Host: r.host})
	want := map[string]result.Status{
		idPlainHTTP: result.StatusInfo, idCertificate: result.StatusNotAssessed, idOldTLS: result.StatusNotAssessed,
		idAnonAPI: result.StatusFail, idAnonCatalog: result.StatusFail, idAnonPull: result.StatusFail, idAnonPush: result.StatusFail,
		idBasicClear: result.StatusNotAssessed, idRealmClear: result.StatusNotAssessed,
		idCredPull: result.StatusNotAssessed, idCredPush: result.StatusNotAssessed,
	}
	if diff := cmp.Diff(want, statuses(rep)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if rep.URL != "http://"+r.host || rep.Repository != "team/app" || rep.Tag != "1" {
		t.Errorf("url %s repository %s tag %s", rep.URL, rep.Repository, rep.Tag)
	}
	if ev := resultOf(t, rep, idPlainHTTP).Evidence; !strings.Contains(ev, "loopback") {
		t.Errorf("RG001 evidence %q does not say loopback", ev)
	}
	if ev := resultOf(t, rep, idAnonPush).Evidence; !strings.Contains(ev, "/v2/team/app/blobs/uploads/") || !strings.HasSuffix(ev, "and cancelled") {
		t.Errorf("RG013 evidence %q", ev)
	}
	var crit []string
	for _, f := range rep.Findings {
		if f.Severity == finding.SeverityCritical {
			crit = append(crit, f.ID)
		}
	}
	if sum := result.TotalControls(rep.Summary); !slices.Equal(crit, []string{idAnonPush}) || sum.Fail != len(rep.Findings) {
		t.Errorf("critical findings %v, summary %+v, %d findings", crit, rep.Summary, len(rep.Findings))
	}
	if got := catalog(t, r.host); !slices.Equal(got, []string{"team/app"}) {
		t.Errorf("catalog after the audit: %v", got)
	}
	checkLeftovers(t, before, storageFiles(t, r.storage), "team/app")
}

// leftover is the one file Distribution 2.8 leaves of a cancelled upload: its cancel writes
// the upload's hash state after removing the upload (its log says "error closing blobwriter"),
// until the registry's upload purger removes it. No data, blob, layer link, manifest or tag.
var leftover = regexp.MustCompile(`^docker/registry/v2/repositories/([^_]+)/_uploads/[0-9a-f-]{36}/hashstates/sha256/0$`)

// checkLeftovers fails unless after is before plus at most one cancelled upload's hash state
// in repo.
func checkLeftovers(t *testing.T, before, after []string, repo string) {
	t.Helper()
	var extra []string
	for _, f := range after {
		if !slices.Contains(before, f) {
			extra = append(extra, f)
		}
	}
	for _, f := range before {
		if !slices.Contains(after, f) {
			t.Errorf("the audit removed %s", f)
		}
	}
	if len(extra) > 1 {
		t.Errorf("the audit left %d files: %v", len(extra), extra)
	}
	for _, f := range extra {
		if m := leftover.FindStringSubmatch(f); m == nil || m[1] != repo {
			t.Errorf("the audit left %s", f)
		}
	}
}

// TestAuditEmptyRegistry probes push on ProbeRepository, and leaves no repository behind.
func TestAuditEmptyRegistry(t *testing.T) {
	r := startRegistry(t, regOpts{})
	rep := audit(t, Config{Host: r.host})
	st := statuses(rep)
	if st[idAnonPush] != result.StatusFail || st[idAnonPull] != result.StatusNotAssessed || st[idAnonCatalog] != result.StatusFail {
		t.Errorf("statuses %v", st)
	}
	if ev := resultOf(t, rep, idAnonPush).Evidence; !strings.Contains(ev, "/v2/"+ProbeRepository+"/") {
		t.Errorf("RG013 evidence %q does not name %s", ev, ProbeRepository)
	}
	if got := catalog(t, r.host); len(got) != 0 {
		t.Errorf("catalog after the audit: %v", got)
	}
	checkLeftovers(t, nil, storageFiles(t, r.storage), ProbeRepository)
}

// TestAuditReadOnly: a read-only registry refuses to start an upload.
func TestAuditReadOnly(t *testing.T) {
	r := startRegistry(t, regOpts{readOnly: true})
	rep := audit(t, Config{Host: r.host})
	res := resultOf(t, rep, idAnonPush)
	if res.Status != result.StatusPass || !strings.Contains(res.Evidence, "405") {
		t.Errorf("RG013 %s: %s", res.Status, res.Evidence)
	}
}

// TestAuditTLSAuth audits a TLS registry with htpasswd auth, with and without its CA and the
// user's credentials.
func TestAuditTLSAuth(t *testing.T) {
	ca := newCA(t)
	r := startRegistry(t, regOpts{tls: ca, user: "alice", pass: "s3cret"})
	caFile := ca.caFile(t, t.TempDir())
	kc := staticKeychain{host: r.host, user: "alice", pass: "s3cret"}
	// Something to pull, pushed with the credentials.
	img, _ := random.Image(128, 1)
	tag, _ := name.NewTag(r.host + "/team/app:1")
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool()}}
	if err := remote.Write(tag, img, remote.WithAuthFromKeychain(kc), remote.WithTransport(tr)); err != nil {
		t.Fatalf("push: %v", err)
	}

	rep := audit(t, Config{Host: r.host, CACert: caFile, Keychain: kc})
	want := map[string]result.Status{
		idPlainHTTP: result.StatusPass, idCertificate: result.StatusPass,
		idAnonAPI: result.StatusPass, idAnonCatalog: result.StatusPass, idAnonPull: result.StatusPass, idAnonPush: result.StatusPass,
		idBasicClear: result.StatusPass, idRealmClear: result.StatusNotAssessed,
		idCredPull: result.StatusInfo, idCredPush: result.StatusInfo,
	}
	got := statuses(rep)
	delete(got, idOldTLS) // see TestAuditOldTLS
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	for _, id := range []string{idCredPull, idCredPush} {
		if ev := resultOf(t, rep, id).Evidence; !strings.HasPrefix(ev, "allowed: ") || !strings.Contains(ev, "as alice") {
			t.Errorf("%s evidence %q", id, ev)
		}
	}
	if rep.Repository != "team/app" || rep.Tag != "1" || len(rep.Findings) != 0 {
		t.Errorf("repository %s:%s, findings %v", rep.Repository, rep.Tag, rep.Findings)
	}

	// Without the CA: the certificate is a finding and the credentials are not sent.
	rep = audit(t, Config{Host: r.host, Keychain: kc, Repo: "team/app:1"})
	cert := resultOf(t, rep, idCertificate)
	if cert.Status != result.StatusFail || !strings.HasPrefix(cert.Evidence, string(CertUntrusted)) {
		t.Errorf("RG002 without --ca-cert: %s %q", cert.Status, cert.Evidence)
	}
	if st := statuses(rep); st[idCredPush] != result.StatusNotAssessed || st[idAnonPull] != result.StatusPass {
		t.Errorf("statuses without --ca-cert: %v", st)
	}

	// --insecure: the user accepts the certificate, and the credentials are sent.
	rep = audit(t, Config{Host: r.host, Keychain: kc, Repo: "team/app:1", Insecure: true})
	if st := statuses(rep); st[idCertificate] != result.StatusFail || st[idCredPush] != result.StatusInfo {
		t.Errorf("statuses with --insecure: %v", st)
	}

	// Wrong password: refused, said as information.
	rep = audit(t, Config{Host: r.host, CACert: caFile, Keychain: staticKeychain{host: r.host, user: "alice", pass: "wrong"}, Repo: "team/app:1"})
	if ev := resultOf(t, rep, idCredPush).Evidence; !strings.HasPrefix(ev, "refused: ") {
		t.Errorf("RG021 with a wrong password: %q", ev)
	}
}

// TestAuditOldTLS: Distribution refuses TLS 1.0 and 1.1, even with minimumtls: tls1.0 (its
// cipher suites are all TLS 1.2 ones); a server that speaks them is a finding.
func TestAuditOldTLS(t *testing.T) {
	ca := newCA(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		minTLS string
		want   result.Status
	}{{"", result.StatusPass}, {"tls1.0", result.StatusPass}} {
		r := startRegistry(t, regOpts{tls: ca, minTLS: tc.minTLS})
		rep := audit(t, Config{Host: r.host, CACert: ca.caFile(t, dir), NoPush: true})
		if res := resultOf(t, rep, idOldTLS); res.Status != tc.want {
			t.Errorf("minimumtls %q: RG003 %s (%s), want %s", tc.minTLS, res.Status, res.Evidence, tc.want)
		}
	}
}

// TestAuditSuiteRegistry reads the suite's TLS registry (read-only: no push probe).
func TestAuditSuiteRegistry(t *testing.T) {
	env := testenv.Load(t)
	r := env.Registry
	kc := staticKeychain{host: r.TLS, user: r.Username, pass: r.Password}
	rep := audit(t, Config{Host: r.TLS, CACert: r.CACert, Keychain: kc, NoPush: true, Repo: r.AppRepository + ":" + r.AppTag})
	want := map[string]result.Status{
		idPlainHTTP: result.StatusPass, idCertificate: result.StatusPass, idAnonAPI: result.StatusPass, idAnonPull: result.StatusPass,
		idAnonPush: result.StatusNotAssessed, idCredPull: result.StatusInfo, idCredPush: result.StatusNotAssessed, idBasicClear: result.StatusPass,
	}
	got := statuses(rep)
	for id := range got {
		if _, ok := want[id]; !ok {
			delete(got, id)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if ev := resultOf(t, rep, idCredPull).Evidence; !strings.Contains(ev, r.AppDigestTLS) {
		t.Errorf("RG020 evidence %q does not carry the app's digest %s", ev, r.AppDigestTLS)
	}
}

// TestAuditUnreachable: a closed port is an error, quickly.
func TestAuditUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("network test")
	}
	host := "127.0.0.1:" + strconv.Itoa(freePort(t))
	start := time.Now()
	_, err := Audit(context.Background(), Config{Host: host, Keychain: noCreds})
	if !errors.Is(err, image.ErrUnreachable) || !strings.Contains(err.Error(), host) {
		t.Errorf("err = %v, want unreachable naming %s", err, host)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestAuditTLS11Server: a TLS server (crypto/tls) that speaks TLS 1.0-1.1 only and answers
// every request as a registry requiring Basic auth.
func TestAuditTLS11Server(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
		w.Header().Set("WWW-Authenticate", `Basic realm="old"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	srv.StartTLS()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	rep := audit(t, Config{Host: host, NoPush: true})
	if res := resultOf(t, rep, idOldTLS); res.Status != result.StatusFail || !strings.Contains(res.Evidence, "TLS 1.1") {
		t.Errorf("RG003 %s: %s", res.Status, res.Evidence)
	}
	// httptest's certificate is for example.com and 127.0.0.1, signed by its own untrusted CA.
	if res := resultOf(t, rep, idCertificate); res.Status != result.StatusFail {
		t.Errorf("RG002 %s: %s", res.Status, res.Evidence)
	}
	if st := statuses(rep); st[idAnonAPI] != result.StatusPass || st[idAnonPull] != result.StatusNotAssessed || st[idBasicClear] != result.StatusPass {
		t.Errorf("statuses %v", st)
	}
}
