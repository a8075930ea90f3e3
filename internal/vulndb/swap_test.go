package vulndb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestImportRemovesKilledImportsFiles leaves temporary databases as imports leave them: one by an
// import killed a moment ago (before this process started, not locked), one by an import killed
// minutes ago, and one of an import still running (locked by bbolt, as a running import's is;
// its time says a day old, to show the lock decides). The next import removes the first two and
// keeps the third, and a file just created by another import, not locked yet.
func TestImportRemovesKilledImportsFiles(t *testing.T) {
	if _, known := lockedByOther(os.Args[0]); !known {
		t.Skipf("file locks cannot be tested on %s", runtime.GOOS)
	}
	dir := t.TempDir()
	path := func(s string) string { return filepath.Join(dir, FileName+".new-"+s) }
	killedNow, killedBefore, running, creating := path("killed-now"), path("killed-before"), path("running"), path("creating")
	for _, p := range []string{killedNow, killedBefore, creating} {
		os.WriteFile(p, []byte("partial"), 0o600)
	}
	set := func(p string, t0 time.Time) { os.Chtimes(p, t0, t0) }
	set(killedNow, processStart.Add(-time.Second))
	set(killedBefore, time.Now().Add(-5*time.Minute))
	held, err := bolt.Open(running, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	set(running, time.Now().Add(-2*staleAfter))

	if _, err := Import(context.Background(), dir, []string{"testdata/osv/TEST-2024-0001.json"}, quiet); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{killedNow: false, killedBefore: false, running: true, creating: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: kept %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// TestImportErrorsLeaveNoTemporaryFile fails imports at each stage — a missing source, a corrupt
// one, a cancelled context, a refused shrink, a rename that cannot happen — and finds no
// temporary file left and the database as it was.
func TestImportErrorsLeaveNoTemporaryFile(t *testing.T) {
	dir, npm, kev, good := importNpmKEV(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	truncated := filepath.Join(t.TempDir(), "truncated-all.zip")
	os.WriteFile(truncated, readShipped(t, "npm-all.zip")[:100_000], 0o644)
	for _, tt := range []struct {
		name  string
		ctx   context.Context
		paths []string
		want  error
	}{
		{"missing source", context.Background(), []string{npm, kev, filepath.Join(dir, "missing.zip")}, ErrInvalidSource},
		{"truncated source", context.Background(), []string{npm, kev, truncated}, ErrInvalidSource},
		{"cancelled", cancelled, []string{npm, kev}, context.Canceled},
		{"fewer sources", context.Background(), []string{kev}, ErrShrink},
	} {
		if _, err := Import(tt.ctx, dir, tt.paths, quiet); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		leftAsItWas(t, dir, good)
	}
	// The database path is taken by a directory: the final rename fails.
	blocked := t.TempDir()
	os.MkdirAll(filepath.Join(blocked, FileName, "x"), 0o755)
	if _, err := Import(context.Background(), blocked, []string{kev}, quiet); err == nil {
		t.Error("import over a directory: no error")
	}
	if left, _ := filepath.Glob(filepath.Join(blocked, FileName+".new-*")); len(left) != 0 {
		t.Errorf("temporary files left after a failed rename: %v", left)
	}
}
