package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"

	"github.com/rampartsec/rampart/internal/osv"
)

// This file reads OSV records (zips, directories, single JSON files): parsed and compressed on
// worker goroutines, stored in id order, indexed by package and alias at the end.

// recInfo is what the builder remembers of each stored record to build the indexes at the end.
type recInfo struct {
	modified time.Time
	keys     []string // package index keys
	aliases  []string
	ecos     []string
}

// prepared is one input file after parsing: a record ready to store, a KEV catalog, or a skip.
type prepared struct {
	name      string
	id        string
	value     []byte
	info      *recInfo
	kev       *kevCatalog
	withdrawn bool
	warn      string
	err       error // the whole source is unusable: stop the import
}

// run reads n inputs with read, parses and compresses them on b.workers goroutines, and stores
// the results from this goroutine, which alone touches the builder's state.
func (b *builder) run(ctx context.Context, n int, read func(int) (string, []byte, error), sm *SourceMeta) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	out := make(chan prepared, 4*b.workers)
	var next atomic.Int64
	for range min(b.workers, max(n, 1)) {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return nil
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				name, raw, err := read(i)
				if err != nil {
					return err
				}
				p := b.prepare(name, raw)
				select {
				case out <- p:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
		})
	}
	var werr error
	go func() { werr = g.Wait(); close(out) }()
	var cerr error
	for p := range out {
		if cerr != nil {
			continue
		}
		if cerr = b.collect(p, sm); cerr != nil {
			cancel()
		}
	}
	if werr != nil && !(cerr != nil && errors.Is(werr, context.Canceled)) {
		return werr
	}
	if cerr != nil {
		return cerr
	}
	return b.flush()
}

// prepare parses one input; it runs on worker goroutines and touches no builder state but the
// (concurrency-safe) encoder.
func (b *builder) prepare(name string, raw []byte) prepared {
	if raw == nil {
		return prepared{name: name, warn: fmt.Sprintf("%s: larger than %d bytes", name, maxRecordSize)}
	}
	if looksLikeKEV(raw) {
		cat, err := parseKEV(raw)
		if err != nil {
			return prepared{name: name, err: fmt.Errorf("%w: %s: CISA KEV catalog: %w", ErrInvalidSource, name, err)}
		}
		return prepared{name: name, kev: cat}
	}
	v, err := osv.Parse(raw)
	if err != nil {
		return prepared{name: name, warn: fmt.Sprintf("%s: %v", name, err)}
	}
	if v.Withdrawn != nil {
		return prepared{name: name, id: v.ID, withdrawn: true}
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return prepared{name: name, warn: fmt.Sprintf("%s: %v", name, err)}
	}
	info := &recInfo{modified: v.Modified}
	for _, a := range v.Affected {
		eco := NormalizeEcosystem(a.Package.Ecosystem)
		n := NormalizeName(eco, a.Package.Name)
		if eco == "" || n == "" {
			continue
		}
		info.ecos = append(info.ecos, eco)
		info.keys = append(info.keys, string(packageKey(eco, n)))
		if bare := BaseEcosystem(eco); bare != eco {
			info.keys = append(info.keys, string(packageKey(bare, n)))
		}
	}
	for _, s := range slices.Concat(v.Aliases, v.Upstream) {
		if s != "" && s != v.ID {
			info.aliases = append(info.aliases, s)
		}
	}
	for _, s := range []*[]string{&info.ecos, &info.keys, &info.aliases} {
		slices.Sort(*s)
		*s = slices.Compact(*s)
	}
	value := b.enc.EncodeAll(buf.Bytes(), make([]byte, 0, buf.Len()/2))
	return prepared{name: name, id: v.ID, value: value, info: info}
}

// collect stores one prepared input.
func (b *builder) collect(p prepared, sm *SourceMeta) error {
	switch {
	case p.err != nil:
		return p.err
	case p.warn != "":
		b.warn(sm, p.warn)
		b.log.Warn("skip invalid vulnerability record", "path", p.name, "err", p.warn)
		return nil
	case p.withdrawn:
		b.withdrawn++
		sm.Withdrawn++
		return nil
	case p.kev != nil:
		return b.storeKEV(p.name, p.kev, sm)
	}
	sm.Records++
	if p.info.modified.After(sm.Updated) {
		sm.Updated = p.info.modified
	}
	if old, ok := b.recs[p.id]; ok {
		b.duplicates++
		if otherEcosystems(old.ecos, p.info.ecos) {
			// Two databases gave one id to records about different ecosystems (GitLab's
			// advisories name theirs after the CVE, in Maven and NuGet alike): keep both.
			return b.merge(p, old)
		}
		if p.info.modified.Before(old.modified) {
			return nil
		}
	}
	b.recs[p.id] = p.info
	b.pending = append(b.pending, p)
	b.pendSz += len(p.value)
	if len(b.pending) >= batchRecords || b.pendSz >= batchBytes {
		return b.flush()
	}
	return nil
}

// flush writes pending records in one transaction, in key order, which bbolt packs best.
func (b *builder) flush() error {
	if len(b.pending) == 0 {
		return nil
	}
	slices.SortStableFunc(b.pending, func(x, y prepared) int { return strings.Compare(x.id, y.id) })
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketRecords)
		bk.FillPercent = 0.9
		for _, p := range b.pending {
			if err := bk.Put([]byte(p.id), p.value); err != nil {
				return fmt.Errorf("store %s: %w", p.id, err)
			}
		}
		return nil
	})
	b.pending = b.pending[:0]
	b.pendSz = 0
	return err
}

func putIndex(bk *bolt.Bucket, idx map[string][]string) error {
	keys := make([]string, 0, len(idx))
	for k := range idx {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	bk.FillPercent = 1 // keys arrive in order: pack pages full
	for _, k := range keys {
		ids := idx[k]
		slices.Sort(ids)
		if err := bk.Put([]byte(k), []byte(strings.Join(ids, "\n"))); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) addZip(ctx context.Context, path string, zr *zip.Reader, sm *SourceMeta) error {
	var files []*zip.File
	var newest time.Time
	for _, f := range zr.File {
		if !f.FileInfo().IsDir() && strings.HasSuffix(strings.ToLower(f.Name), ".json") {
			files = append(files, f)
			if m := f.Modified; m.After(newest) {
				newest = m
			}
		}
	}
	// Some databases (Go's) publish zero modified times: then the archive's dates tell the age.
	defer func() {
		if sm.Updated.IsZero() && newest.Year() > 1980 {
			sm.Updated = newest.UTC()
		}
	}()
	read := func(i int) (string, []byte, error) {
		f := files[i]
		name := filepath.Base(path) + ": " + f.Name
		if f.UncompressedSize64 > maxRecordSize {
			return name, nil, nil // too big for a record: reported as invalid
		}
		rc, err := f.Open()
		if err != nil {
			return "", nil, fmt.Errorf("%w: %s: %w", ErrInvalidSource, name, err)
		}
		defer rc.Close()
		raw, err := readLimited(rc, maxRecordSize)
		if err != nil {
			// A damaged entry means a damaged archive, not a bad record.
			return "", nil, fmt.Errorf("%w: %s: %w", ErrInvalidSource, name, err)
		}
		return name, raw, nil
	}
	return b.run(ctx, len(files), read, sm)
}

// otherEcosystems reports whether two copies of one id are about different ecosystems (and
// both name some): then they come from two databases that reused the id, not one record
// updated. Releases of one distribution ("Debian:11", "Debian:12") count as one ecosystem.
func otherEcosystems(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	for _, x := range a {
		for _, y := range b {
			if BaseEcosystem(x) == BaseEcosystem(y) {
				return false
			}
		}
	}
	return true
}

// merge stores p combined with the copy of its id stored before (old): the later-modified copy
// (p on a tie) with the affected entries of the other appended, and the aliases and upstream
// ids of both. Unknown fields of the later copy are kept as they are.
func (b *builder) merge(p prepared, old *recInfo) error {
	prev, at, err := b.storedValue(p.id)
	if err != nil {
		return err
	}
	// Merges are rare (seven in the bundled data): a decoder each is cheap enough.
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxRecordSize), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return err
	}
	defer dec.Close()
	prevJS, err := dec.DecodeAll(prev, nil)
	if err != nil {
		return fmt.Errorf("merge %s: %w", p.id, err)
	}
	newJS, err := dec.DecodeAll(p.value, nil)
	if err != nil {
		return fmt.Errorf("merge %s: %w", p.id, err)
	}
	base, other := newJS, prevJS
	if p.info.modified.Before(old.modified) {
		base, other = prevJS, newJS
	}
	js, err := mergeRecords(base, other)
	if err != nil {
		// Both parsed as OSV before: a failure here is not the input's fault.
		return fmt.Errorf("merge %s: %w", p.id, err)
	}
	info := &recInfo{modified: old.modified}
	if p.info.modified.After(info.modified) {
		info.modified = p.info.modified
	}
	for _, s := range [][2]*[]string{{&info.keys, &old.keys}, {&info.ecos, &old.ecos}, {&info.aliases, &old.aliases}} {
		*s[0] = slices.Clone(*s[1])
	}
	info.keys = append(info.keys, p.info.keys...)
	info.ecos = append(info.ecos, p.info.ecos...)
	info.aliases = append(info.aliases, p.info.aliases...)
	for _, s := range []*[]string{&info.ecos, &info.keys, &info.aliases} {
		slices.Sort(*s)
		*s = slices.Compact(*s)
	}
	m := prepared{name: p.name, id: p.id, value: b.enc.EncodeAll(js, nil), info: info}
	b.recs[p.id] = info
	if at >= 0 {
		b.pendSz += len(m.value) - len(b.pending[at].value)
		b.pending[at] = m
		return nil
	}
	b.pending = append(b.pending, m)
	b.pendSz += len(m.value)
	return nil
}

// storedValue returns the compressed value stored for id: the last pending copy (and its index)
// or, once flushed, the one in the records bucket (index -1).
func (b *builder) storedValue(id string) ([]byte, int, error) {
	for i := len(b.pending) - 1; i >= 0; i-- {
		if b.pending[i].id == id {
			return b.pending[i].value, i, nil
		}
	}
	var v []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucketRecords).Get([]byte(id)))
		return nil
	})
	if err == nil && v == nil {
		err = fmt.Errorf("merge %s: the first copy is not stored", id)
	}
	return v, -1, err
}

// mergeRecords returns OSV record base with other's affected entries appended and the union of
// both records' aliases and upstream ids.
func mergeRecords(base, other []byte) ([]byte, error) {
	var b, o map[string]json.RawMessage
	if err := json.Unmarshal(base, &b); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(other, &o); err != nil {
		return nil, err
	}
	for _, field := range []string{"affected", "aliases", "upstream"} {
		var x, y []json.RawMessage
		if len(b[field]) > 0 {
			if err := json.Unmarshal(b[field], &x); err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
		}
		if len(o[field]) > 0 {
			if err := json.Unmarshal(o[field], &y); err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
		}
		seen := map[string]bool{}
		for _, v := range x {
			seen[string(v)] = true
		}
		for _, v := range y {
			// Entries are appended whole; ids once each.
			if field == "affected" || !seen[string(v)] {
				seen[string(v)] = true
				x = append(x, v)
			}
		}
		if len(x) == 0 {
			continue
		}
		raw, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		b[field] = raw
	}
	return json.Marshal(b)
}
