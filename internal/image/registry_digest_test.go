package image

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/registry"
)

// TestRegistryDigestMismatch: a registry that serves, under a digest, bytes that do not hash to
// it (a manifest pulled by digest, the config blob) gives ErrInvalid, as a corrupt layer does.
func TestRegistryDigestMismatch(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var target atomic.Value // the path suffix whose answers are corrupted
	target.Store("\x00")
	var grow atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, target.Load().(string)) {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		if grow.Load() {
			// A space before the final brace: the same JSON, one byte longer.
			i := strings.LastIndexByte(string(b), '}')
			b = append(b[:i:i], append([]byte(" "), b[i:]...)...)
		} else {
			// A hex digit of the first digest changed: the same size, other bytes.
			i := strings.Index(string(b), `"sha256:`) + len(`"sha256:`)
			b[i] = "10"[b[i]&1]
		}
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(b)
	}))
	defer srv.Close()
	ref, img := pushRandom(t, strings.TrimPrefix(srv.URL, "http://"))
	d, _ := img.Digest()
	cfg, _ := img.ConfigName()
	byDigest := strings.TrimSuffix(ref, ":1") + "@" + d.String()
	for _, tt := range []struct {
		name, ref, target string
		grow              bool
	}{
		{"manifest by digest", byDigest, "/manifests/" + d.String(), false},
		{"manifest by digest, one byte longer", byDigest, "/manifests/" + d.String(), true},
		{"config", ref, "/blobs/" + cfg.String(), false},
		{"config one byte longer", ref, "/blobs/" + cfg.String(), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target.Store(tt.target)
			grow.Store(tt.grow)
			defer target.Store("\x00")
			art, err := Open(context.Background(), Ref{Source: SourceRegistry, Name: tt.ref}, WithKeychain(authn.NewMultiKeychain()))
			if err == nil {
				err = readAllLayers(t, art)
				art.Close()
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.ref) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q should be one line naming %s", err, tt.ref)
			}
		})
	}
}
