package image

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestParseRef(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "img.tar")
	os.WriteFile(archive, nil, 0o644)
	tests := []struct {
		in     string
		forced Source
		want   Ref
	}{
		{"alpine:3.20", "", Ref{Source: SourceRegistry, Name: "alpine:3.20"}},
		{"127.0.0.1:5000/app@sha256:abc", "", Ref{Source: SourceRegistry, Name: "127.0.0.1:5000/app@sha256:abc"}},
		{"docker://app:1", "", Ref{Source: SourceDaemon, Name: "app:1"}},
		{"app:1", SourceDaemon, Ref{Source: SourceDaemon, Name: "app:1"}},
		{"docker-archive:x.tar", "", Ref{Source: SourceDockerArchive, Name: "x.tar"}},
		{"oci:/nonexistent/layout:v2", "", Ref{Source: SourceOCILayout, Name: "/nonexistent/layout", Tag: "v2"}},
		{"oci-archive:/nonexistent/x.tar", "", Ref{Source: SourceOCIArchive, Name: "/nonexistent/x.tar"}},
		{"dir:/", "", Ref{Source: SourceDir, Name: "/"}},
		{dir, "", Ref{Source: SourceDir, Name: dir}},
		{archive, "", Ref{Source: SourceDockerArchive, Name: archive}},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in, tt.forced)
		if err != nil || got != tt.want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "dir:", "oci:"} {
		if _, err := ParseRef(bad, ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRef(%q) err = %v, want ErrInvalid", bad, err)
		}
	}
}

func readAllLayers(t *testing.T, art *Artifact) error {
	t.Helper()
	for _, l := range art.Layers {
		rc, err := l.Open()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// pushRandom pushes a random image to an in-process registry and returns its reference.
func pushRandom(t *testing.T, host string) (string, v1.Image) {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/test/app:1"
	r, _ := name.ParseReference(ref)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	return ref, img
}

func TestOpenRegistryAndArchives(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, img := pushRandom(t, host)
	wantDigest, _ := img.Digest()

	ctx := context.Background()
	art, err := Open(ctx, Ref{Source: SourceRegistry, Name: ref}, WithKeychain(authn.NewMultiKeychain()))
	if err != nil {
		t.Fatalf("Open registry: %v", err)
	}
	defer art.Close()
	if art.Digest != wantDigest.String() || len(art.Layers) != 2 {
		t.Errorf("digest %s layers %d; want %s and 2", art.Digest, len(art.Layers), wantDigest)
	}
	if err := readAllLayers(t, art); err != nil {
		t.Errorf("read layers: %v", err)
	}

	// The same image as a docker-save archive, an OCI layout and an OCI archive.
	dir := t.TempDir()
	tag, _ := name.NewTag("test/app:1")
	tarPath := filepath.Join(dir, "img.tar")
	if err := tarball.WriteToFile(tarPath, tag, img); err != nil {
		t.Fatal(err)
	}
	lp, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Ref{{Source: SourceDockerArchive, Name: tarPath}, {Source: SourceOCILayout, Name: filepath.Join(dir, "layout")}} {
		a, err := Open(ctx, r)
		if err != nil {
			t.Fatalf("Open %s: %v", r, err)
		}
		if a.ID != art.ID || len(a.Layers) != 2 || a.Layers[1].DiffID != art.Layers[1].DiffID {
			t.Errorf("%s: id %s, want %s", r, a.ID, art.ID)
		}
		if err := readAllLayers(t, a); err != nil {
			t.Errorf("%s: read layers: %v", r, err)
		}
		a.Close()
	}
}

func TestOpenMultiPlatformIndex(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	var idx v1.ImageIndex = empty.Index
	want := map[string]v1.Hash{}
	for _, p := range []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}} {
		img, _ := random.Image(100, 1)
		cf, _ := img.ConfigFile()
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
		img, _ = mutate.ConfigFile(img, cf)
		d, _ := img.Digest()
		want[p.String()] = d
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	r, _ := name.ParseReference(host + "/multi:1")
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	for plat, d := range want {
		art, err := Open(context.Background(), Ref{Source: SourceRegistry, Name: r.String()}, WithPlatform(plat))
		if err != nil {
			t.Fatalf("%s: %v", plat, err)
		}
		if art.Digest != d.String() {
			t.Errorf("platform %s resolved to %s, want %s", plat, art.Digest, d)
		}
		art.Close()
	}
	if _, err := Open(context.Background(), Ref{Source: SourceRegistry, Name: r.String()}, WithPlatform("linux/s390x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing platform: err = %v, want ErrNotFound", err)
	}
}

func TestOpenRegistryErrors(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    error
	}{
		{"401", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
		}, ErrUnauthorized},
		{"404", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v2/" {
				return
			}
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`)
		}, ErrNotFound},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }, ErrUnreachable},
		{"hang", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}, ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			ref := strings.TrimPrefix(srv.URL, "http://") + "/app:1"
			start := time.Now()
			_, err := Open(context.Background(), Ref{Source: SourceRegistry, Name: ref},
				WithResponseTimeout(500*time.Millisecond), WithKeychain(authn.NewMultiKeychain()))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), ref) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q should be one line naming %s", err, ref)
			}
			if time.Since(start) > 20*time.Second {
				t.Errorf("took %s: a hanging registry must time out", time.Since(start))
			}
		})
	}
}

func TestCorruptBlobIsRefused(t *testing.T) {
	// A registry that serves a layer whose bytes do not hash to its digest.
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var corrupt bool
	var layerDigests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if corrupt && r.Method == http.MethodGet && slices.ContainsFunc(layerDigests, func(d string) bool { return strings.HasSuffix(r.URL.Path, d) }) {
			rec := httptest.NewRecorder()
			reg.ServeHTTP(rec, r)
			b := rec.Body.Bytes()
			b[len(b)/2] ^= 0xff
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(b)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ref, img := pushRandom(t, strings.TrimPrefix(srv.URL, "http://"))
	ls, _ := img.Layers()
	for _, l := range ls {
		d, _ := l.Digest()
		layerDigests = append(layerDigests, d.String())
	}
	corrupt = true
	art, err := Open(context.Background(), Ref{Source: SourceRegistry, Name: ref}, WithKeychain(authn.NewMultiKeychain()))
	if err != nil {
		t.Fatalf("Open: %v (only layer blobs are corrupt)", err)
	}
	defer art.Close()
	err = readAllLayers(t, art)
	if err == nil {
		t.Fatal("a blob that does not match its digest was accepted")
	}
	t.Logf("refused: %v", err)
}

func TestOpenMissingLocalArtifacts(t *testing.T) {
	for _, r := range []Ref{
		{Source: SourceDockerArchive, Name: "/nonexistent/x.tar"},
		{Source: SourceOCIArchive, Name: "/nonexistent/x.tar"},
		{Source: SourceOCILayout, Name: "/nonexistent/layout"},
		{Source: SourceDir, Name: "/nonexistent/dir"},
	} {
		if _, err := Open(context.Background(), r); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", r, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.tar")
	os.WriteFile(bad, []byte("not a tar at all"), 0o644)
	if _, err := Open(context.Background(), Ref{Source: SourceDockerArchive, Name: bad}); !errors.Is(err, ErrInvalid) {
		t.Errorf("corrupt archive: err = %v, want ErrInvalid", err)
	}
}

// TestResolveWithoutHeadDigest: a registry whose HEAD answers carry no digest (or that refuses
// HEAD) still resolves, through GET, to the digest of the manifest it serves.
func TestResolveWithoutHeadDigest(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	for _, tt := range []struct {
		name string
		head func(w http.ResponseWriter)
	}{
		{"no digest header", func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) }},
		{"HEAD refused", func(w http.ResponseWriter) { w.WriteHeader(http.StatusMethodNotAllowed) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var pushed atomic.Bool // the push itself needs a working HEAD
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if pushed.Load() && r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/manifests/") {
					tt.head(w)
					return
				}
				reg.ServeHTTP(w, r)
			}))
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			ref, img := pushRandom(t, host)
			pushed.Store(true)
			want, _ := img.Digest()
			got, err := Resolve(context.Background(), ref, WithKeychain(authn.NewMultiKeychain()))
			if err != nil || got != want.String() {
				t.Errorf("Resolve = %q, %v; want %s", got, err, want)
			}
		})
	}
}
