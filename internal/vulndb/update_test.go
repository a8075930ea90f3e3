package vulndb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fileServer serves files by path with ETag validation, the way a bucket or CDN does, and records
// what it was asked. mode changes its behaviour for failure tests.
type fileServer struct {
	mu       sync.Mutex
	files    map[string][]byte
	sums     map[string]string // path → published .sha256 content
	mode     string            // "", "500", "truncate", "hang"
	requests []seenRequest
	release  chan struct{}
}

type seenRequest struct {
	path, ifNoneMatch string
}

func newFileServer(t *testing.T, files map[string][]byte) (*fileServer, *httptest.Server) {
	fs := &fileServer{files: files, sums: map[string]string{}, release: make(chan struct{})}
	srv := httptest.NewServer(fs)
	t.Cleanup(func() { close(fs.release); srv.Close() })
	return fs, srv
}

func (fs *fileServer) set(f func(*fileServer)) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f(fs)
}

func (fs *fileServer) seen() []seenRequest {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]seenRequest(nil), fs.requests...)
}

func (fs *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	fs.requests = append(fs.requests, seenRequest{r.URL.Path, r.Header.Get("If-None-Match")})
	mode := fs.mode
	body, ok := fs.files[r.URL.Path]
	sum, hasSum := fs.sums[strings.TrimSuffix(r.URL.Path, ".sha256")]
	fs.mu.Unlock()
	switch {
	case mode == "hang":
		select {
		case <-r.Context().Done():
		case <-fs.release:
		}
		return
	case mode == "500" && !strings.HasSuffix(r.URL.Path, ".sha256"):
		http.Error(w, "backend exploded", http.StatusInternalServerError)
		return
	case strings.HasSuffix(r.URL.Path, ".sha256") && hasSum:
		fmt.Fprintf(w, "%s  all.zip\n", sum)
		return
	case !ok:
		http.NotFound(w, r)
		return
	}
	if mode == "truncate" {
		body = body[:len(body)/2]
	}
	h := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(h[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(body)
}

func readShipped(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(shippedDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testSources(url string) []Source {
	return []Source{
		{Name: "npm", URL: url + "/npm/all.zip"},
		{Name: "Debian", URL: url + "/Debian/all.zip"},
		{Name: "kev", URL: url + "/kev.json"},
	}
}

func dbRecords(t *testing.T, dir string) int {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatalf("open after update: %v", err)
	}
	defer db.Close()
	s, err := db.Status()
	if err != nil {
		t.Fatal(err)
	}
	return s.Records
}

func TestUpdate(t *testing.T) {
	fs, srv := newFileServer(t, map[string][]byte{
		"/npm/all.zip":    readShipped(t, "npm-all.zip"),
		"/Debian/all.zip": readShipped(t, "Debian-all.zip"),
		"/kev.json":       readShipped(t, "known_exploited_vulnerabilities.json"),
	})
	dir := t.TempDir()
	ctx := context.Background()
	opts := UpdateOptions{Timeout: 5 * time.Second}
	srcs := testSources(srv.URL)

	// First run: everything is downloaded, unconditionally.
	st, err := Update(ctx, dir, srcs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"npm", "Debian", "kev"}, st.Downloaded); diff != "" {
		t.Errorf("downloaded (-want +got):\n%s", diff)
	}
	wantRecords := len(readZipTruth(t, filepath.Join(shippedDir, "npm-all.zip")).ids) + len(readZipTruth(t, filepath.Join(shippedDir, "Debian-all.zip")).ids)
	if got := dbRecords(t, dir); got != wantRecords {
		t.Errorf("records = %d, want %d", got, wantRecords)
	}
	for _, r := range fs.seen() {
		if r.ifNoneMatch != "" {
			t.Errorf("first run sent If-None-Match %q for %s", r.ifNoneMatch, r.path)
		}
	}
	db, _ := Open(dir)
	status, _ := db.Status()
	db.Close()
	for _, s := range status.Sources {
		data := readShipped(t, map[string]string{"npm": "npm-all.zip", "Debian": "Debian-all.zip", "kev": "known_exploited_vulnerabilities.json"}[s.Name])
		sum := sha256.Sum256(data)
		if s.SHA256 != hex.EncodeToString(sum[:]) || s.ETag == "" || !strings.HasPrefix(s.URL, srv.URL) || strings.Contains(s.Path, ".new-") {
			t.Errorf("source meta %+v", s)
		}
	}

	// Second run: conditional requests, 304s, the cached files reused.
	fs.set(func(fs *fileServer) { fs.requests = nil })
	st, err = Update(ctx, dir, srcs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Downloaded) != 0 || len(st.NotModified) != 3 {
		t.Errorf("second run: downloaded %v, not modified %v", st.Downloaded, st.NotModified)
	}
	seen := fs.seen()
	if len(seen) != 3 {
		t.Errorf("second run made %d requests, want 3: %v", len(seen), seen)
	}
	for _, r := range seen {
		if !strings.HasPrefix(r.ifNoneMatch, `"`) {
			t.Errorf("second run: %s sent no If-None-Match", r.path)
		}
	}
	if got := dbRecords(t, dir); got != wantRecords {
		t.Errorf("after 304s: records = %d, want %d", got, wantRecords)
	}

	// Offline: no request at all, the same database again.
	fs.set(func(fs *fileServer) { fs.requests = nil })
	if _, err := Update(ctx, dir, srcs, UpdateOptions{Offline: true}); err != nil {
		t.Fatal(err)
	}
	if n := len(fs.seen()); n != 0 {
		t.Errorf("offline update made %d requests", n)
	}
	if got := dbRecords(t, dir); got != wantRecords {
		t.Errorf("offline rebuild: records = %d, want %d", got, wantRecords)
	}
	cached, err := CachedSources(dir)
	if err != nil || len(cached) != 3 {
		t.Errorf("CachedSources = %v, %v", cached, err)
	}
}

func TestUpdateFailuresKeepOldDB(t *testing.T) {
	fs, srv := newFileServer(t, map[string][]byte{
		"/npm/all.zip":    readShipped(t, "npm-all.zip"),
		"/Debian/all.zip": readShipped(t, "Debian-all.zip"),
		"/kev.json":       readShipped(t, "known_exploited_vulnerabilities.json"),
	})
	dir := t.TempDir()
	ctx := context.Background()
	srcs := testSources(srv.URL)
	if _, err := Update(ctx, dir, srcs, UpdateOptions{Timeout: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	want := dbRecords(t, dir)
	// The server now has a new npm file, so the conditional request gets a body.
	newer := readShipped(t, "Go-all.zip")

	tests := []struct {
		mode    string
		wantErr error
		maxTime time.Duration
	}{
		{"500", ErrUnreachable, 10 * time.Second},
		{"truncate", ErrInvalidSource, 10 * time.Second},
		{"hang", ErrUnreachable, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			fs.set(func(fs *fileServer) { fs.mode = tt.mode; fs.files["/npm/all.zip"] = newer })
			start := time.Now()
			_, err := Update(ctx, dir, srcs, UpdateOptions{Timeout: 300 * time.Millisecond})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
			if d := time.Since(start); d > tt.maxTime {
				t.Errorf("took %s", d)
			}
			if got := dbRecords(t, dir); got != want {
				t.Errorf("records = %d, want the old %d", got, want)
			}
			left, _ := filepath.Glob(filepath.Join(dir, DownloadDir, "*.new-*"))
			if len(left) != 0 {
				t.Errorf("partial downloads left: %v", left)
			}
		})
	}
	// The truncated download was not kept: a good server now sends the new file whole.
	fs.set(func(fs *fileServer) { fs.mode = ""; fs.requests = nil })
	st, err := Update(ctx, dir, srcs, UpdateOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"npm"}, st.Downloaded); diff != "" {
		t.Errorf("recovery downloaded (-want +got):\n%s", diff)
	}
}

func TestUpdateChecksum(t *testing.T) {
	body := readShipped(t, "npm-all.zip")
	fs, srv := newFileServer(t, map[string][]byte{"/npm/all.zip": body})
	srcs := []Source{{Name: "npm", URL: srv.URL + "/npm/all.zip"}}
	sum := sha256.Sum256(body)
	fs.set(func(fs *fileServer) { fs.sums["/npm/all.zip"] = strings.Repeat("ab", 32) })
	dir := t.TempDir()
	if _, err := Update(context.Background(), dir, srcs, UpdateOptions{}); !errors.Is(err, ErrChecksum) {
		t.Fatalf("wrong published sum: error %v, want ErrChecksum", err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("after checksum failure: %v, want no database", err)
	}
	fs.set(func(fs *fileServer) { fs.sums["/npm/all.zip"] = hex.EncodeToString(sum[:]) })
	if _, err := Update(context.Background(), dir, srcs, UpdateOptions{}); err != nil {
		t.Fatalf("right published sum: %v", err)
	}
}

func TestUpdateOfflineNeverDownloaded(t *testing.T) {
	_, err := Update(context.Background(), t.TempDir(), []Source{{Name: "npm", URL: "http://127.0.0.1:1/npm/all.zip"}}, UpdateOptions{Offline: true})
	if !errors.Is(err, ErrNotDownloaded) {
		t.Errorf("error = %v, want ErrNotDownloaded", err)
	}
}

// TestUpdateLastModified covers servers that send Last-Modified and no ETag.
func TestUpdateLastModified(t *testing.T) {
	body := readShipped(t, "npm-all.zip")
	stamp := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var ims []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".sha256") {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		ims = append(ims, r.Header.Get("If-Modified-Since"))
		mu.Unlock()
		if r.Header.Get("If-None-Match") != "" {
			t.Errorf("If-None-Match sent without an ETag")
		}
		// ServeContent answers If-Modified-Since with 304 itself.
		http.ServeContent(w, r, "all.zip", stamp, bytes.NewReader(body))
	}))
	defer srv.Close()
	dir := t.TempDir()
	srcs := []Source{{Name: "npm", URL: srv.URL + "/npm/all.zip"}}
	if _, err := Update(context.Background(), dir, srcs, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err := Update(context.Background(), dir, srcs, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"", stamp.Format(http.TimeFormat)}, ims); diff != "" {
		t.Errorf("If-Modified-Since seen (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"npm"}, st.NotModified); diff != "" {
		t.Errorf("not modified (-want +got):\n%s", diff)
	}
}
