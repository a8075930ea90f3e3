package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/report"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/scan"
	"github.com/rampartsec/rampart/internal/testenv"
)

// testRegistry is a throwaway docker-registry (the Distribution binary) on a free loopback port.
type testRegistry struct {
	host    string // 127.0.0.1:PORT
	storage string // its filesystem storage root
}

// startRegistry runs an open /usr/bin/docker-registry with a temporary config and storage, and
// stops it when the test ends.
func startRegistry(t *testing.T) *testRegistry {
	t.Helper()
	l := testenv.StartRegistry(t, testenv.RegistryConfig{})
	return &testRegistry{host: l.Host, storage: l.Storage}
}

func freePort(t *testing.T) int { return testenv.FreePort(t) }

// push writes img (an image or an index) to ref in r.
func (r *testRegistry) push(t *testing.T, ref string, img any) string {
	t.Helper()
	tag, err := name.NewTag(r.host + "/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	var d v1.Hash
	switch v := img.(type) {
	case v1.Image:
		err = remote.Write(tag, v)
		if err == nil {
			d, err = v.Digest()
		}
	case v1.ImageIndex:
		err = remote.WriteIndex(tag, v)
		if err == nil {
			d, err = v.Digest()
		}
	}
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return d.String()
}

// blobPath is where the registry's filesystem driver stores a blob.
func (r *testRegistry) blobPath(d v1.Hash) string {
	return filepath.Join(r.storage, "docker/registry/v2/blobs", d.Algorithm, d.Hex[:2], d.Hex, "data")
}

// getJSON fetches a registry API path with net/http, independently of the code under test.
func (r *testRegistry) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get("http://" + r.host + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// manifestDigest asks the registry for the digest a tag points at (Docker-Content-Digest).
func (r *testRegistry) manifestDigest(t *testing.T, repo, tag string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, "http://"+r.host+"/v2/"+repo+"/manifests/"+tag, nil)
	req.Header.Set("Accept", strings.Join([]string{string(types.DockerManifestSchema2), string(types.OCIManifestSchema1), string(types.OCIImageIndex), string(types.DockerManifestList)}, ","))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Docker-Content-Digest")
}

func layerOf(t *testing.T, files map[string]string) v1.Layer { return testenv.FileLayer(t, files) }

func imageOf(t *testing.T, arch string, layers ...v1.Layer) v1.Image {
	return testenv.LinuxImage(t, arch, layers...)
}

// debianBase is a Debian 12 layer with packages at vulnerable versions (see vulnRootfs).
func debianBase(t *testing.T) v1.Layer {
	t.Helper()
	root := vulnRootfs(t)
	files := map[string]string{}
	for _, p := range []string{"etc/os-release", "var/lib/dpkg/status"} {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		files[p] = string(b)
	}
	return layerOf(t, files)
}

func npmLayer(t *testing.T, pkgs ...string) v1.Layer {
	t.Helper()
	files := map[string]string{}
	for _, p := range pkgs {
		n, v, _ := strings.Cut(p, "@")
		files["app/node_modules/"+n+"/package.json"] = fmt.Sprintf(`{"name": %q, "version": %q, "license": "MIT"}`, n, v)
	}
	return layerOf(t, files)
}

func runRegistry(t *testing.T, env []string, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	args = append([]string{"registry", "-q"}, args...)
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return runResult{code, out.String(), errb.String()}
}

func decodeRegistry(t *testing.T, res runResult) result.RegistryReport {
	t.Helper()
	var doc result.RegistryReport
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("decode registry report: %v\nstdout: %.500s\nstderr: %s", err, res.stdout, res.stderr)
	}
	return doc
}

func packageKeys(r *result.Report) []string {
	var out []string
	for _, p := range r.Packages {
		out = append(out, string(p.Type)+" "+p.Name+" "+p.Version)
	}
	slices.Sort(out)
	return out
}

func sortedFindingKeys(r *result.Report) []string {
	k := findingKeys(r.Findings)
	slices.Sort(k)
	return k
}

// TestRegistryScan scans a real docker-registry holding two tags on one digest, a multi-platform
// index, a repository whose layer blob is gone and one whose layer blob is corrupt, and checks
// the listing against the registry's own API, every report against `rampart image` on the same
// reference, the per-image errors and the exit code.
func TestRegistryScan(t *testing.T) {
	reg := startRegistry(t)
	dbDir := bundledDB(t)
	base := debianBase(t)
	api19 := imageOf(t, runtime.GOARCH, base, npmLayer(t, "lodash@4.17.15"))
	api110 := imageOf(t, runtime.GOARCH, base, npmLayer(t, "lodash@4.17.21", "marked@0.3.0"))
	reg.push(t, "shop/api:1.9", api19)
	reg.push(t, "shop/api:1.10", api110)
	reg.push(t, "shop/api:latest", api110)
	reg.push(t, "shop/web:1", imageOf(t, runtime.GOARCH, base, npmLayer(t, "left-pad@1.3.0")))
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	host := imageOf(t, runtime.GOARCH, base, npmLayer(t, "marked@0.3.0"))
	foreign := imageOf(t, other, npmLayer(t, "lodash@4.17.15"))
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: host, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: runtime.GOARCH}}},
		mutate.IndexAddendum{Add: foreign, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: other}}})
	idxDigest := reg.push(t, "multi/app:1", idx)
	hostDigest, _ := host.Digest()

	missing, _ := random.Image(2048, 1)
	reg.push(t, "broken/missing:1", missing)
	corrupt, _ := random.Image(2048, 1)
	reg.push(t, "broken/corrupt:1", corrupt)
	ml, _ := missing.Layers()
	md, _ := ml[0].Digest()
	if err := os.Remove(reg.blobPath(md)); err != nil {
		t.Fatal(err)
	}
	cl, _ := corrupt.Layers()
	cd, _ := cl[0].Digest()
	// Same size, other bytes: the registry serves it, and only the digest check can tell.
	cs, _ := cl[0].Size()
	junk := make([]byte, cs)
	rand.Read(junk)
	if err := os.WriteFile(reg.blobPath(cd), junk, 0o644); err != nil {
		t.Fatal(err)
	}

	cacheDir := t.TempDir()
	res := runRegistry(t, nil, "-f", "json", "--db-dir", dbDir, "--cache-dir", cacheDir, reg.host)
	doc := decodeRegistry(t, res)
	if res.code == ExitOK || res.code == ExitGate {
		t.Fatalf("exit %d with two broken images; stderr: %s", res.code, res.stderr)
	}

	// Each report is a `rampart image` report: valid against its schema.
	checkReportsSchema(t, res.stdout)

	// The listing: every (repository, tag) the registry's own API lists, once.
	var catalog struct{ Repositories []string }
	reg.getJSON(t, "/v2/_catalog", &catalog)
	var want, got []string
	for _, repo := range catalog.Repositories {
		var tl struct{ Tags []string }
		reg.getJSON(t, "/v2/"+repo+"/tags/list", &tl)
		for _, tag := range tl.Tags {
			want = append(want, repo+":"+tag)
		}
	}
	for _, im := range doc.Images {
		for _, tag := range im.Tags {
			got = append(got, im.Repository+":"+tag)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("scanned tags differ from the registry's catalog and tag lists (-registry +scanned):\n%s", diff)
	}
	if doc.Registry != reg.host {
		t.Errorf("registry = %q, want %q", doc.Registry, reg.host)
	}

	byRepo := map[string][]result.RegistryImage{}
	for _, im := range doc.Images {
		byRepo[im.Repository] = append(byRepo[im.Repository], im)
		// Each image's digest is what the registry says each of its tags points at.
		for _, tag := range im.Tags {
			if d := reg.manifestDigest(t, im.Repository, tag); d != im.Digest {
				t.Errorf("%s:%s: digest %s, registry says %s", im.Repository, tag, im.Digest, d)
			}
		}
	}
	if n := len(byRepo["shop/api"]); n != 2 {
		t.Errorf("shop/api: %d images, want 2 (1.10 and latest share a digest)", n)
	}
	for _, im := range byRepo["shop/api"] {
		if im.Digest == reg.manifestDigest(t, "shop/api", "latest") && !cmp.Equal(im.Tags, []string{"1.10", "latest"}) {
			t.Errorf("shop/api %s: tags %v, want [1.10 latest]", im.Digest, im.Tags)
		}
	}

	wantErr := map[string]int{"broken/missing": ExitNotFound, "broken/corrupt": ExitInvalid}
	for _, im := range doc.Images {
		if code, ok := wantErr[im.Repository]; ok {
			if im.Error == nil || im.Error.ExitCode != code || im.Report != nil {
				t.Errorf("%s: error %+v, want exit code %d and no report", im.Repository, im.Error, code)
			}
			continue
		}
		if im.Error != nil || im.Report == nil {
			t.Errorf("%s: error %+v, want a report", im.Repository, im.Error)
			continue
		}
		// The same scan as `rampart image` on the tag.
		ref := reg.host + "/" + im.Repository + ":" + im.Tags[0]
		single := runImage(t, "-f", "json", "--db-dir", dbDir, ref)
		if single.code != ExitOK {
			t.Fatalf("rampart image %s: exit %d: %s", ref, single.code, single.stderr)
		}
		sr := decodeReport(t, single)
		if diff := cmp.Diff(packageKeys(&sr), packageKeys(im.Report)); diff != "" {
			t.Errorf("%s: packages differ from rampart image (-image +registry):\n%s", ref, diff)
		}
		if diff := cmp.Diff(sortedFindingKeys(&sr), sortedFindingKeys(im.Report)); diff != "" {
			t.Errorf("%s: findings differ from rampart image (-image +registry):\n%s", ref, diff)
		}
		if len(im.Report.Findings) == 0 && im.Repository != "shop/web" {
			t.Errorf("%s: no findings; the fixture has vulnerable packages", ref)
		}
		if sr.Artifact.Digest != im.Report.Artifact.Digest {
			t.Errorf("%s: artifact digest %s, rampart image says %s", ref, im.Report.Artifact.Digest, sr.Artifact.Digest)
		}
	}
	if m := byRepo["multi/app"]; len(m) != 1 || m[0].Report == nil || m[0].Digest != idxDigest || m[0].Report.Artifact.Digest != hostDigest.String() {
		t.Errorf("multi/app: %+v; want the index %s, scanned as its %s image %s", m, idxDigest, runtime.GOARCH, hostDigest)
	}
	// The exit code is the worst image's: invalid (7) over not found (4).
	if res.code != ExitInvalid {
		t.Errorf("exit %d, want %d; stderr: %s", res.code, ExitInvalid, res.stderr)
	}
	if !strings.Contains(res.stderr, reg.host) || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Errorf("stderr = %q, want one line naming the registry", res.stderr)
	}

	// The layer cache is shared: one entry per distinct layer of the scanned images, however many
	// images hold it (the Debian base is in four).
	layers := map[string]bool{}
	for _, im := range doc.Images {
		if im.Report != nil {
			for _, l := range im.Report.Artifact.Layers {
				layers[l.DiffID] = true
			}
		}
	}
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "layers", "*.gob.gz"))
	if len(entries) != len(layers) {
		t.Errorf("layer cache holds %d entries, want %d (one per distinct layer)", len(entries), len(layers))
	}

	t.Run("prefix, globs and gate", func(t *testing.T) {
		tests := []struct {
			name     string
			args     []string
			wantTags []string
			wantCode int
		}{
			{"prefix", []string{reg.host + "/shop"}, []string{"shop/api:1.10", "shop/api:1.9", "shop/api:latest", "shop/web:1"}, ExitOK},
			{"prefix is a repository", []string{reg.host + "/shop/api"}, []string{"shop/api:1.10", "shop/api:1.9", "shop/api:latest"}, ExitOK},
			{"repos glob", []string{"--repos", "*/web", reg.host}, []string{"shop/web:1"}, ExitOK},
			{"tags glob", []string{"--tags", "1.*", reg.host + "/shop"}, []string{"shop/api:1.10", "shop/api:1.9"}, ExitOK},
			{"max tags: last by version", []string{"--max-tags", "1", "--tags", "1.*", reg.host + "/shop/api"}, []string{"shop/api:1.10"}, ExitOK},
			{"gate", []string{"--fail-on", "HIGH", reg.host + "/shop/api"}, []string{"shop/api:1.10", "shop/api:1.9", "shop/api:latest"}, ExitGate},
			{"gate wins over a broken image", []string{"--fail-on", "HIGH", reg.host}, want, ExitGate},
			{"other platform", []string{"--platform", "linux/" + other, reg.host + "/multi"}, []string{"multi/app:1"}, ExitOK},
			{"nothing matches", []string{reg.host + "/nope"}, nil, ExitOK},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := runRegistry(t, nil, append([]string{"-f", "json", "--db-dir", dbDir, "--cache-dir", cacheDir, "--parallel", "3"}, tt.args...)...)
				if res.code != tt.wantCode {
					t.Errorf("exit %d, want %d; stderr: %s", res.code, tt.wantCode, res.stderr)
				}
				doc := decodeRegistry(t, res)
				var got []string
				for _, im := range doc.Images {
					for _, tag := range im.Tags {
						got = append(got, im.Repository+":"+tag)
					}
				}
				slices.Sort(got)
				if diff := cmp.Diff(tt.wantTags, got); diff != "" {
					t.Errorf("tags (-want +got):\n%s", diff)
				}
				if tt.name == "gate wins over a broken image" && !strings.Contains(res.stderr, "images not scanned") {
					t.Errorf("stderr = %q, want the failed images said beside the gate", res.stderr)
				}
				if tt.name == "other platform" {
					fd, _ := foreign.Digest()
					if len(doc.Images) != 1 || doc.Images[0].Report == nil || doc.Images[0].Report.Artifact.Digest != fd.String() || doc.Images[0].Report.Artifact.Platform != "linux/"+other {
						t.Errorf("images = %+v, want the %s image %s", doc.Images, other, fd)
					}
				}
			})
		}
	})

	t.Run("table without the vuln scanner", func(t *testing.T) {
		res := runRegistry(t, nil, "--scanners", "pkg", "--cache-dir", cacheDir, reg.host+"/shop/web")
		lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
		if res.code != ExitOK || len(lines) != 2 {
			t.Fatalf("exit %d, output:\n%s\nstderr: %s", res.code, res.stdout, res.stderr)
		}
		// PACKAGES, then "-" for each severity and for secrets, misconfigs and malware, then STATUS.
		if f := strings.Fields(lines[1]); len(f) != 13 || f[3] != "3" || strings.Join(f[4:12], " ") != "- - - - - - - -" {
			t.Errorf("row %q: want 3 packages and - for every scanner that did not run", lines[1])
		}
	})

	t.Run("table", func(t *testing.T) {
		res := runRegistry(t, nil, "--db-dir", dbDir, "--cache-dir", cacheDir, reg.host)
		lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
		if len(lines) != 1+len(doc.Images) {
			t.Fatalf("table has %d lines, want a header and %d rows:\n%s", len(lines), len(doc.Images), res.stdout)
		}
		for _, im := range doc.Images {
			row := ""
			for _, l := range lines[1:] {
				if strings.HasPrefix(l, im.Repository+" ") && strings.Contains(l, " "+strings.Join(im.Tags, ",")+" ") {
					row = l
				}
			}
			switch {
			case row == "":
				t.Errorf("no row for %s %v:\n%s", im.Repository, im.Tags, res.stdout)
			case im.Error != nil && !strings.Contains(row, "error ("+im.Error.Class+")"):
				t.Errorf("row %q does not show the error class %s", row, im.Error.Class)
			case im.Report != nil && !strings.Contains(row, fmt.Sprintf(" %d ", len(im.Report.Packages))):
				t.Errorf("row %q does not show %d packages", row, len(im.Report.Packages))
			}
		}
	})
}

// checkReportsSchema validates every image's report in a registry JSON document against
// docs/schema/report.schema.json.
func checkReportsSchema(t *testing.T, doc string) {
	t.Helper()
	schema := compileSchema(t, "../../docs/schema/report.schema.json")
	var raw struct {
		Images []struct {
			Repository string          `json:"repository"`
			Report     json.RawMessage `json:"report"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, im := range raw.Images {
		if im.Report == nil {
			continue
		}
		n++
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(im.Report))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s: report invalid against report.schema.json: %v", im.Repository, err)
		}
	}
	if n == 0 {
		t.Error("no report to validate")
	}
}

// TestCatalogPages lists a real registry's catalog and tags a page of two at a time.
func TestCatalogPages(t *testing.T) {
	reg := startRegistry(t)
	var wantRepos []string
	for i := range 5 {
		img, _ := random.Image(64, 1)
		repo := fmt.Sprintf("team%d/app", i)
		reg.push(t, repo+":1", img)
		reg.push(t, repo+":2", img)
		wantRepos = append(wantRepos, repo)
	}
	ctx := context.Background()
	got, err := image.Catalog(ctx, reg.host, image.WithPageSize(2))
	if err != nil {
		t.Fatal(err)
	}
	var catalog struct{ Repositories []string }
	reg.getJSON(t, "/v2/_catalog", &catalog)
	if diff := cmp.Diff(catalog.Repositories, got); diff != "" {
		t.Errorf("catalog by pages of 2 differs from /v2/_catalog (-registry +paged):\n%s", diff)
	}
	if diff := cmp.Diff(wantRepos, got); diff != "" {
		t.Errorf("catalog (-pushed +listed):\n%s", diff)
	}
	tags, err := image.Tags(ctx, reg.host+"/team0/app", image.WithPageSize(1))
	if err != nil {
		t.Fatal(err)
	}
	var tl struct{ Tags []string }
	reg.getJSON(t, "/v2/team0/app/tags/list", &tl)
	slices.Sort(tags)
	slices.Sort(tl.Tags)
	if diff := cmp.Diff(tl.Tags, tags); diff != "" || len(tags) != 2 {
		t.Errorf("tags by pages of 1 differ from /v2/team0/app/tags/list (-registry +paged):\n%s", diff)
	}
}

// TestRegistryUnreachable: a closed port fails fast with exit 6 and a line naming the registry.
func TestRegistryUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("network test")
	}
	host := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	start := time.Now()
	res := runRegistry(t, nil, "--timeout", "20s", "--scanners", "pkg", host)
	if res.code != ExitUnreachable {
		t.Errorf("exit %d, want %d; stderr: %s", res.code, ExitUnreachable, res.stderr)
	}
	if !strings.Contains(res.stderr, host) || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Errorf("stderr = %q, want one line naming %s", res.stderr, host)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %v to give up on a closed port", d)
	}
}

// dockerConfig writes a DOCKER_CONFIG directory holding credentials for host.
func dockerConfig(t *testing.T, host, user, pass string) string {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRegistryTLSAuth scans the suite's TLS registry with basic auth, and checks that wrong
// credentials give exit 5 with a line naming the registry.
func TestRegistryTLSAuth(t *testing.T) {
	env := testenv.Load(t)
	r := env.Registry
	arg := r.TLS + "/" + r.AppRepository

	t.Setenv("DOCKER_CONFIG", dockerConfig(t, r.TLS, r.Username, r.Password))
	res := runRegistry(t, nil, "-f", "json", "--scanners", "pkg", "--ca-cert", r.CACert, "--cache-dir", t.TempDir(), "--timeout", "2m", arg)
	if res.code != ExitOK {
		t.Fatalf("exit %d; stderr: %s", res.code, res.stderr)
	}
	doc := decodeRegistry(t, res)
	if len(doc.Images) != 1 || doc.Images[0].Report == nil {
		t.Fatalf("images = %+v, want one scanned image", doc.Images)
	}
	im := doc.Images[0]
	if im.Repository != r.AppRepository || !slices.Contains(im.Tags, r.AppTag) || im.Digest != r.AppDigestTLS {
		t.Errorf("image %s %v %s, want %s with tag %s at %s", im.Repository, im.Tags, im.Digest, r.AppRepository, r.AppTag, r.AppDigestTLS)
	}
	single := runImage(t, "-f", "json", "--scanners", "pkg", "--ca-cert", r.CACert, r.TLS+"/"+r.AppRepository+":"+r.AppTag)
	if single.code != ExitOK {
		t.Fatalf("rampart image: exit %d: %s", single.code, single.stderr)
	}
	sr := decodeReport(t, single)
	if diff := cmp.Diff(packageKeys(&sr), packageKeys(im.Report)); diff != "" {
		t.Errorf("packages differ from rampart image (-image +registry):\n%s", diff)
	}
	if len(im.Report.Packages) == 0 {
		t.Error("no packages in the app image")
	}

	t.Setenv("DOCKER_CONFIG", dockerConfig(t, r.TLS, r.Username, "wrong-"+r.Password))
	start := time.Now()
	res = runRegistry(t, nil, "--scanners", "pkg", "--ca-cert", r.CACert, "--timeout", "30s", arg)
	if res.code != ExitUnauthorized {
		t.Errorf("wrong password: exit %d, want %d; stderr: %s", res.code, ExitUnauthorized, res.stderr)
	}
	if !strings.Contains(res.stderr, r.TLS) || strings.Count(strings.TrimSpace(res.stderr), "\n") != 0 {
		t.Errorf("stderr = %q, want one line naming %s", res.stderr, r.TLS)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v to report wrong credentials", d)
	}
}

func TestRegistryUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"bad repos glob", []string{"--repos", "[", "127.0.0.1:1"}},
		{"parallel 0", []string{"--parallel", "0", "127.0.0.1:1"}},
		{"negative max-tags", []string{"--max-tags", "-1", "127.0.0.1:1"}},
		{"sarif", []string{"-f", "sarif", "127.0.0.1:1"}},
		{"daemon source", []string{"--source", "daemon", "127.0.0.1:1"}},
		{"no host", []string{"/team"}},
		{"digest", []string{"127.0.0.1:1/app@sha256:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runRegistry(t, nil, tt.args...)
			if res.code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", res.code, ExitUsage, res.stderr)
			}
		})
	}
}

func TestCompareVersionish(t *testing.T) {
	in := []string{"latest", "v10", "1.10", "1.9", "v2", "1.9.1", "01.9", "abc", "1.9-rc1", "10"}
	want := []string{"1.9", "01.9", "1.9-rc1", "1.9.1", "1.10", "10", "abc", "latest", "v2", "v10"}
	got := slices.Clone(in)
	slices.SortStableFunc(got, scan.CompareVersionish)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestParseRegistryArg(t *testing.T) {
	tests := []struct{ in, host, prefix string }{
		{"127.0.0.1:5000", "127.0.0.1:5000", ""},
		{"127.0.0.1:5000/", "127.0.0.1:5000", ""},
		{"registry.example.com/team/sub", "registry.example.com", "team/sub"},
		{"https://registry.example.com/team", "registry.example.com", "team"},
	}
	for _, tt := range tests {
		h, p, err := parseRegistryArg(tt.in)
		if err != nil || h != tt.host || p != tt.prefix {
			t.Errorf("parseRegistryArg(%q) = %q, %q, %v; want %q, %q", tt.in, h, p, err, tt.host, tt.prefix)
		}
	}
}

func TestTableText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"manifest unknown", "manifest unknown"},
		{"a\x1b[2Jb\nc\td", `a\x1b[2Jb\x0ac\x09d`},
		{"bad \xff byte, kept \ufffd and é", "bad \\xff byte, kept \ufffd and é"},
		{"c1 \u009b", `c1 \x9b`},
	}
	for _, tt := range tests {
		if got := report.Clean(tt.in); got != tt.want {
			t.Errorf("report.Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzTableText: whatever a registry's message holds, the table cell has no control character
// and is valid UTF-8.
func FuzzTableText(f *testing.F) {
	for _, s := range []string{"manifest unknown", "a\x1b[2J\r\nb", "\xff\xfe", "\u009b1m", "é\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := report.Clean(s)
		if !utf8.ValidString(out) {
			t.Fatalf("report.Clean(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) {
				t.Fatalf("report.Clean(%q) = %q: control character %U", s, out, r)
			}
		}
	})
}
