package vulndb

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// This file holds the machinery that replaces a database atomically: a new file next to the old
// one, private until it is complete, synced and renamed over it.

// tempDB is a database being built in a temporary file in the database directory.
type tempDB struct {
	dir  string
	path string
	db   *bolt.DB
	done bool // committed or aborted: nothing left to clean up
}

// newTempDB removes temporary files left by killed imports (see removeStale), then creates a
// new one in dir.
func newTempDB(dir string) (*tempDB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	removeStale(filepath.Join(dir, FileName+".new-*"))
	f, err := os.CreateTemp(dir, FileName+".new-*")
	if err != nil {
		return nil, err
	}
	t := &tempDB{dir: dir, path: f.Name()}
	f.Close()
	// NoSync: the file is private until renamed, and synced once before that.
	t.db, err = bolt.Open(t.path, 0o644, &bolt.Options{NoSync: true, NoFreelistSync: true, Timeout: 5 * time.Second})
	if err != nil {
		t.abort()
		return nil, fmt.Errorf("create database: %w", err)
	}
	return t, nil
}

// abort closes and removes the temporary file. It is harmless after commit or a first abort, so
// callers defer it right after newTempDB.
func (t *tempDB) abort() {
	if t.done {
		return
	}
	t.done = true
	if t.db != nil {
		t.db.Close()
		t.db = nil
	}
	os.Remove(t.path)
}

// commit syncs and closes the new database and renames it over the database in dir, returning
// its path. On error the temporary file is removed and the old database is left as it was.
func (t *tempDB) commit() (string, error) {
	if err := t.db.Sync(); err != nil {
		t.abort()
		return "", fmt.Errorf("sync: %w", err)
	}
	err := t.db.Close()
	t.db = nil
	if err != nil {
		t.abort()
		return "", fmt.Errorf("close: %w", err)
	}
	final := filepath.Join(t.dir, FileName)
	if err := os.Chmod(t.path, 0o644); err != nil {
		t.abort()
		return "", err
	}
	if err := os.Rename(t.path, final); err != nil {
		t.abort()
		return "", fmt.Errorf("put database in place: %w", err)
	}
	t.done = true
	syncDir(t.dir)
	return final, nil
}

// Temporary files are told apart from those of imports still running by bbolt's lock: an import
// holds an exclusive lock on its file from a moment after creating it until it renames it, and
// a killed one holds none. The moment between (microseconds) is covered by the file's time: a
// file not locked is stale once it was last written before this process started, or more than
// staleGrace ago. Where locks cannot be tested, only files older than staleAfter are.
const (
	staleGrace = time.Minute
	staleAfter = 24 * time.Hour
)

// processStart is when this process started, near enough.
var processStart = time.Now()

// removeStale deletes temporary databases matching pattern left by killed imports.
func removeStale(pattern string) {
	matches, _ := filepath.Glob(pattern)
	for _, m := range matches {
		fi, err := os.Lstat(m)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		locked, known := lockedByOther(m)
		switch {
		case locked:
		case known && (fi.ModTime().Before(processStart) || time.Since(fi.ModTime()) > staleGrace),
			time.Since(fi.ModTime()) > staleAfter:
			os.Remove(m)
		}
	}
}

// removeOld deletes files matching pattern older than staleAfter: downloads of killed updates,
// which hold no lock.
func removeOld(pattern string) {
	matches, _ := filepath.Glob(pattern)
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > staleAfter {
			os.Remove(m)
		}
	}
}

// syncDir makes the rename durable; failure only weakens crash safety, so it is not an error.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
