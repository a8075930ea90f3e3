package vulndb

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/rampartsec/rampart/internal/hashlist"
)

// This file imports lists of known-malicious file hashes (sha256sum output, MalwareBazaar-style
// CSV) into the malware bucket. Parsing is [hashlist.Parse], shared with the malware scanner.

// addHashList stores a hash list's entries in the malware bucket.
func (b *builder) addHashList(path string, r io.Reader, sm *SourceMeta) error {
	hashes, skipped, err := hashlist.Parse(r, filepath.Base(path))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidSource, path, err)
	}
	if len(hashes) == 0 {
		return fmt.Errorf("%w: %s: no SHA-256 hashes", ErrInvalidSource, path)
	}
	if skipped > 0 {
		b.log.Warn("hash list lines without a hash skipped", "path", path, "lines", skipped)
	}
	keys := make([]string, 0, len(hashes))
	for h := range hashes {
		keys = append(keys, h)
	}
	slices.Sort(keys)
	err = b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketMalware)
		for _, h := range keys {
			e := hashes[h]
			if err := bk.Put([]byte(h), []byte(e.Name+"\x00"+e.Source)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import: store hashes of %s: %w", path, err)
	}
	sm.Malware += len(hashes)
	return nil
}
