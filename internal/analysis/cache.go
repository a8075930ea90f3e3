package analysis

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/inventory"
)

// Cache stores per-layer results on disk, one gzip'd gob file per (diffID, analyzer set).
// A nil *Cache caches nothing. It is safe for concurrent use: writes go through a rename.
type Cache struct {
	dir string
}

// ErrCacheMiss is returned by [Cache.Get] when nothing is stored under the key.
var ErrCacheMiss = errors.New("analysis: cache miss")

// cacheFormat is bumped when LayerResult's encoding or meaning changes: 2, warnings of files
// are kept, and the last entry of a path written twice wins.
const cacheFormat = 2

// OpenCache returns a cache rooted at dir, creating it.
func OpenCache(dir string) (*Cache, error) {
	d := filepath.Join(dir, "layers")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	return &Cache{dir: d}, nil
}

// Key derives the cache key from a layer's diffID and the analyzers' names, versions and, for
// an [inventory.Configured] analyzer, options, so that a new analyzer version or other options
// (another rules file, another size limit) re-analyze every layer.
func Key(diffID string, analyzers []inventory.Analyzer) string {
	return layerKey(diffID, analyzersKey(analyzers))
}

// analyzersKey is the part of the cache key that depends on the analyzers only: an Analyzer
// works it out once, as CacheKey may be costly (a digest of a large hash list).
func analyzersKey(analyzers []inventory.Analyzer) string {
	parts := make([]string, 0, len(analyzers))
	for _, a := range analyzers {
		part := fmt.Sprintf("%s@%d", a.Name(), a.Version())
		if c, ok := a.(inventory.Configured); ok {
			h := sha256.Sum256([]byte(c.CacheKey()))
			part += "#" + hex.EncodeToString(h[:])
		}
		parts = append(parts, part)
	}
	slices.Sort(parts)
	return strings.Join(parts, "\n")
}

func layerKey(diffID, analyzers string) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("v%d\n%s\n%s", cacheFormat, diffID, analyzers)))
	return hex.EncodeToString(h[:])
}

// Get returns the stored result or ErrCacheMiss. A damaged entry is removed and reported as a miss.
func (c *Cache) Get(key string) (*LayerResult, error) {
	if c == nil {
		return nil, ErrCacheMiss
	}
	p := filepath.Join(c.dir, key+".gob.gz")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrCacheMiss
	}
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err == nil {
		var lr LayerResult
		if err = gob.NewDecoder(zr).Decode(&lr); err == nil {
			return &lr, nil
		}
	}
	os.Remove(p)
	return nil, ErrCacheMiss
}

// Put stores a result under key.
func (c *Cache) Put(key string, lr *LayerResult) error {
	if c == nil {
		return nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err := gob.NewEncoder(zw).Encode(lr); err != nil {
		return fmt.Errorf("encode layer result: %w", err)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, key+".tmp-")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(c.dir, key+".gob.gz"))
}
