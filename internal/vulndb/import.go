package vulndb

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"

	"github.com/rampartsec/rampart/internal/malware"
	"github.com/rampartsec/rampart/internal/osv"
)

// Size limits keep a hostile archive from exhausting memory.
const (
	maxRecordSize = 32 << 20  // one OSV record, or the KEV catalog
	maxLineSize   = 1 << 20   // one EPSS CSV line
	maxWarnings   = 100       // warnings kept in Stats; all are counted
	batchBytes    = 16 << 20  // compressed record bytes written per transaction
	batchRecords  = 4096      // records written per transaction
	kevMaxEntries = 1_000_000 // sanity bound on one catalog
)

// Origin says where an imported file came from, for the database's meta data.
type Origin struct {
	// Name identifies the source ("Go", "kev"); default: the file's base name.
	Name         string
	URL          string
	ETag         string
	LastModified string
	// Path is recorded instead of the path imported, when that is a temporary file.
	Path string
}

// ImportOptions tunes [Import]. The zero value is valid.
type ImportOptions struct {
	// Origins describes the paths, keyed by the path as passed to Import. A path without an
	// origin is recorded under its base name with no URL.
	Origins map[string]Origin
	// Workers is how many records are parsed and compressed at once; default GOMAXPROCS.
	Workers int
	// Logger receives a warning per bad record; default slog.Default().
	Logger *slog.Logger
}

// Stats reports what [Import] did.
type Stats struct {
	Path    string       `json:"path"`
	Sources []SourceMeta `json:"sources"`
	// Records counts the distinct records stored.
	Records int `json:"records"`
	// Withdrawn and Invalid count records skipped: withdrawn ones, and ones that do not parse.
	Withdrawn int `json:"withdrawn"`
	Invalid   int `json:"invalid"`
	// Duplicates counts records met more than once; the most recently modified copy is kept.
	Duplicates int `json:"duplicates"`
	KEV        int `json:"kev"`
	EPSS       int `json:"epss"`
	// Warnings names the first bad records ("Go-all.zip: GO-2020-0001.json: …").
	Warnings []string      `json:"warnings,omitempty"`
	Duration time.Duration `json:"duration"`
}

// Import builds a database in dir from paths and puts it in place of any existing one: exactly
// these sources, nothing kept from before.
//
// Each path may be an osv.dev per-ecosystem all.zip or any zip of OSV JSON records, a directory
// searched recursively for OSV JSON records, a single OSV JSON record, the CISA KEV catalog JSON
// (recognised by its content), or a FIRST EPSS CSV, plain or gzip-compressed. Withdrawn records are
// skipped and counted; a record that does not parse is a counted warning naming its file.
//
// The new database is written to a temporary file in dir and renamed over the old one only when
// complete, so readers never see a partial database and a failed import leaves the old one as it
// was; readers holding the old file open keep reading it. Concurrent imports into one dir do not
// corrupt each other; the last to finish wins.
//
// Import returns an error wrapping [ErrInvalidSource] for an input it cannot read (naming the
// file), and ctx.Err() when ctx is done.
func Import(ctx context.Context, dir string, paths []string, opts ImportOptions) (_ Stats, err error) {
	start := time.Now()
	if len(paths) == 0 {
		return Stats{}, fmt.Errorf("import: %w: no sources given", ErrInvalidSource)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("import: %w", err)
	}
	removeStale(filepath.Join(dir, FileName+".new-*"))
	tmp, err := os.CreateTemp(dir, FileName+".new-*")
	if err != nil {
		return Stats{}, fmt.Errorf("import: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	committed := false
	defer func() {
		if !committed {
			os.Remove(tmpName)
		}
	}()
	// NoSync: the file is private until renamed, and synced once before that.
	bdb, err := bolt.Open(tmpName, 0o644, &bolt.Options{NoSync: true, NoFreelistSync: true, Timeout: 5 * time.Second})
	if err != nil {
		return Stats{}, fmt.Errorf("import: create database: %w", err)
	}
	defer func() {
		if !committed {
			bdb.Close()
		}
	}()
	b, err := newBuilder(bdb, opts)
	if err != nil {
		return Stats{}, err
	}
	defer b.enc.Close()
	for _, p := range paths {
		if err := b.addSource(ctx, p, opts.Origins[p]); err != nil {
			return Stats{}, fmt.Errorf("import: %w", err)
		}
	}
	st, err := b.finish()
	if err != nil {
		return Stats{}, fmt.Errorf("import: %w", err)
	}
	if err := bdb.Sync(); err != nil {
		return Stats{}, fmt.Errorf("import: sync: %w", err)
	}
	committed = true // from here the deferred cleanups must not run twice
	if err := bdb.Close(); err != nil {
		os.Remove(tmpName)
		return Stats{}, fmt.Errorf("import: close: %w", err)
	}
	final := filepath.Join(dir, FileName)
	if err := os.Chmod(tmpName, 0o644); err != nil {
		os.Remove(tmpName)
		return Stats{}, fmt.Errorf("import: %w", err)
	}
	if err := os.Rename(tmpName, final); err != nil {
		os.Remove(tmpName)
		return Stats{}, fmt.Errorf("import: put database in place: %w", err)
	}
	syncDir(dir)
	st.Path = final
	st.Duration = time.Since(start)
	return st, nil
}

// staleAfter is the age past which a temporary file is taken to be left by a killed process
// rather than by an import still running.
const staleAfter = 24 * time.Hour

// removeStale deletes temporary files matching pattern that are older than staleAfter.
func removeStale(pattern string) {
	matches, _ := filepath.Glob(pattern)
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && time.Since(fi.ModTime()) > staleAfter {
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

// recInfo is what the builder remembers of each stored record to build the indexes at the end.
type recInfo struct {
	modified time.Time
	keys     []string // package index keys
	aliases  []string
	ecos     []string
}

type builder struct {
	db      *bolt.DB
	enc     *zstd.Encoder
	workers int
	log     *slog.Logger
	now     time.Time

	recs    map[string]*recInfo
	pending []prepared
	pendSz  int

	sources    []SourceMeta
	withdrawn  int
	invalid    int
	duplicates int
	warnings   []string
}

func newBuilder(db *bolt.DB, opts ImportOptions) (*builder, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// One encoder state per worker: EncodeAll calls beyond the concurrency setting wait.
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(workers))
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	b := &builder{db: db, enc: enc, workers: workers, log: opts.Logger, now: time.Now().UTC(), recs: map[string]*recInfo{}}
	if b.log == nil {
		b.log = slog.Default()
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRecords, bucketPackages, bucketAliases, bucketKEV, bucketEPSS, bucketMeta, bucketMalware} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		enc.Close()
		return nil, fmt.Errorf("import: create buckets: %w", err)
	}
	return b, nil
}

// addSource imports one path of any accepted kind.
func (b *builder) addSource(ctx context.Context, path string, o Origin) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSource, err)
	}
	sm := SourceMeta{Name: o.Name, URL: o.URL, ETag: o.ETag, LastModified: o.LastModified, ImportedAt: b.now}
	if sm.Name == "" {
		sm.Name = filepath.Base(path)
	}
	sm.Path = path
	if o.Path != "" {
		sm.Path = o.Path
	}
	if abs, err := filepath.Abs(sm.Path); err == nil {
		sm.Path = abs
	}
	if fi.IsDir() {
		err = b.addDir(ctx, path, &sm)
	} else {
		err = b.addFile(ctx, path, &sm)
	}
	if err != nil {
		return err
	}
	if sm.Name == "" {
		return nil
	}
	switch {
	case sm.Malware > 0 && sm.Records+sm.KEV+sm.EPSS == 0:
		sm.Kind = "malware"
	case sm.EPSSModel != "" || (sm.EPSS > 0 && sm.Records+sm.KEV == 0):
		sm.Kind = "epss"
	case sm.KEV > 0 && sm.Records+sm.EPSS == 0:
		sm.Kind = "kev"
	case sm.KEV+sm.EPSS == 0:
		sm.Kind = "osv"
	default:
		sm.Kind = "mixed"
	}
	b.sources = append(b.sources, sm)
	return nil
}

func (b *builder) addFile(ctx context.Context, path string, sm *SourceMeta) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSource, err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidSource, path, err)
	}
	sm.SHA256 = hex.EncodeToString(h.Sum(nil))
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		zr, err := zip.NewReader(f, size)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidSource, path, err)
		}
		return b.addZip(ctx, path, zr, sm)
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(io.NewSectionReader(f, 0, size))
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidSource, path, err)
		}
		defer zr.Close()
		return b.addEPSS(ctx, path, zr, sm)
	case isEPSS(head):
		return b.addEPSS(ctx, path, io.NewSectionReader(f, 0, size), sm)
	case isHashList(head):
		return b.addHashList(path, io.NewSectionReader(f, 0, size), sm)
	case len(bytes.TrimLeft(head, " \t\r\n\ufeff")) > 0 && bytes.TrimLeft(head, " \t\r\n\ufeff")[0] == '{':
		read := func(int) (string, []byte, error) {
			raw, err := readLimited(io.NewSectionReader(f, 0, size), maxRecordSize)
			if err != nil {
				return "", nil, fmt.Errorf("%w: %s: %w", ErrInvalidSource, path, err)
			}
			return filepath.Base(path), raw, nil
		}
		return b.run(ctx, 1, read, sm)
	}
	return fmt.Errorf("%w: %s: not a zip, OSV or KEV JSON, EPSS CSV, or SHA-256 hash list", ErrInvalidSource, path)
}

// isHashList recognises a list of known-malicious SHA-256 hashes (sha256sum output, or a
// MalwareBazaar-style CSV whose header is a comment) by its first line that is not a comment.
func isHashList(head []byte) bool {
	for _, line := range bytes.Split(head, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		return sha256Hex.Match(line)
	}
	return false
}

var sha256Hex = regexp.MustCompile(`(?i)(?:^|[\s",])[0-9a-f]{64}(?:$|[\s",])`)

// addHashList stores a hash list's entries in the malware bucket.
func (b *builder) addHashList(path string, r io.Reader, sm *SourceMeta) error {
	hashes, skipped, err := malware.ParseHashList(r, filepath.Base(path))
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

func isEPSS(head []byte) bool {
	return bytes.HasPrefix(head, []byte("#model_version")) || bytes.HasPrefix(head, []byte("cve,epss"))
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

// addDir imports the OSV and KEV JSON files under dir as one source, and every zip, EPSS CSV
// and gzip file under it as a source of its own, so `rampart db import data/vulndb` takes a
// directory of downloads as it is. Other files (READMEs, notices) are ignored.
func (b *builder) addDir(ctx context.Context, dir string, sm *SourceMeta) error {
	var files, archives []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return ctx.Err()
		}
		switch name := strings.ToLower(d.Name()); {
		case strings.HasSuffix(name, ".json"):
			files = append(files, p)
		case strings.HasSuffix(name, ".zip"), strings.HasSuffix(name, ".csv"), strings.HasSuffix(name, ".gz"):
			archives = append(archives, p)
		}
		return ctx.Err()
	})
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidSource, dir, err)
	}
	for _, a := range archives {
		if err := b.addSource(ctx, a, Origin{}); err != nil {
			return err
		}
	}
	read := func(i int) (string, []byte, error) {
		f, err := os.Open(files[i])
		if err != nil {
			return "", nil, fmt.Errorf("%w: %w", ErrInvalidSource, err)
		}
		defer f.Close()
		raw, err := readLimited(f, maxRecordSize)
		if err != nil {
			return "", nil, fmt.Errorf("%w: %s: %w", ErrInvalidSource, files[i], err)
		}
		rel, _ := filepath.Rel(dir, files[i])
		return filepath.Base(dir) + ": " + rel, raw, nil
	}
	switch {
	case len(files) == 0 && len(archives) > 0:
		sm.Name = "" // nothing of its own: not recorded as a source
	case len(files) == 1 && sm.Name == filepath.Base(dir):
		// The KEV catalog in a directory of downloads: name it after itself.
		sm.Name = filepath.Base(files[0])
		if abs, err := filepath.Abs(files[0]); err == nil {
			sm.Path = abs
		}
	}
	return b.run(ctx, len(files), read, sm)
}

// readLimited reads r whole; nil without error means it is longer than limit.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, nil
	}
	return raw, nil
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
		if cat, err := parseKEV(raw); err == nil {
			return prepared{name: name, kev: cat}
		}
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
	case p.warn != "":
		b.invalid++
		sm.Invalid++
		if len(b.warnings) < maxWarnings {
			b.warnings = append(b.warnings, p.warn)
		}
		b.log.Warn("skip invalid vulnerability record", "path", p.name, "err", p.warn)
		return nil
	case p.withdrawn:
		b.withdrawn++
		sm.Withdrawn++
		return nil
	case p.kev != nil:
		return b.storeKEV(p.kev, sm)
	}
	sm.Records++
	if p.info.modified.After(sm.Updated) {
		sm.Updated = p.info.modified
	}
	if old, ok := b.recs[p.id]; ok {
		b.duplicates++
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

// finish writes the indexes and the meta data.
func (b *builder) finish() (Stats, error) {
	if err := b.flush(); err != nil {
		return Stats{}, err
	}
	pk := map[string][]string{}
	al := map[string][]string{}
	ecos := map[string]int{}
	for id, r := range b.recs {
		for _, k := range r.keys {
			pk[k] = append(pk[k], id)
		}
		for _, a := range r.aliases {
			al[a] = append(al[a], id)
		}
		for _, e := range r.ecos {
			ecos[e]++
		}
	}
	st := Stats{
		Sources: b.sources, Records: len(b.recs), Withdrawn: b.withdrawn, Invalid: b.invalid,
		Duplicates: b.duplicates, Warnings: b.warnings,
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		if err := putIndex(tx.Bucket(bucketPackages), pk); err != nil {
			return err
		}
		if err := putIndex(tx.Bucket(bucketAliases), al); err != nil {
			return err
		}
		st.KEV = tx.Bucket(bucketKEV).Stats().KeyN
		st.EPSS = tx.Bucket(bucketEPSS).Stats().KeyN
		status := Status{
			SchemaVersion: SchemaVersion, BuiltAt: b.now, Records: st.Records, Ecosystems: ecos,
			Withdrawn: st.Withdrawn, Invalid: st.Invalid, Duplicates: st.Duplicates,
			KEV: st.KEV, EPSS: st.EPSS, Sources: b.sources,
		}
		for _, s := range b.sources {
			if s.Updated.After(status.Updated) {
				status.Updated = s.Updated
			}
		}
		js, err := json.Marshal(status)
		if err != nil {
			return err
		}
		m := tx.Bucket(bucketMeta)
		if err := m.Put(keyStatus, js); err != nil {
			return err
		}
		return m.Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
	})
	if err != nil {
		return Stats{}, fmt.Errorf("write indexes: %w", err)
	}
	return st, nil
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

// kevCatalog is the part of CISA's known_exploited_vulnerabilities.json that Rampart keeps.
type kevCatalog struct {
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Vulnerabilities []struct {
		CVEID                      string `json:"cveID"`
		VendorProject              string `json:"vendorProject"`
		Product                    string `json:"product"`
		VulnerabilityName          string `json:"vulnerabilityName"`
		DateAdded                  string `json:"dateAdded"`
		DueDate                    string `json:"dueDate"`
		KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

// looksLikeKEV is a cheap test run before the full decode, so OSV records are parsed once.
func looksLikeKEV(raw []byte) bool {
	head := raw[:min(len(raw), 4096)]
	return bytes.Contains(head, []byte(`"catalogVersion"`)) || (bytes.Contains(head, []byte(`"vulnerabilities"`)) && bytes.Contains(head, []byte(`"cveID"`)))
}

func parseKEV(raw []byte) (*kevCatalog, error) {
	var c kevCatalog
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if len(c.Vulnerabilities) == 0 || len(c.Vulnerabilities) > kevMaxEntries {
		return nil, fmt.Errorf("kev catalog with %d entries", len(c.Vulnerabilities))
	}
	return &c, nil
}

func (b *builder) storeKEV(c *kevCatalog, sm *SourceMeta) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, c.DateReleased); err == nil {
			if t.After(sm.Updated) {
				sm.Updated = t.UTC()
			}
			break
		}
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketKEV)
		for _, v := range c.Vulnerabilities {
			if !strings.HasPrefix(v.CVEID, "CVE-") {
				continue
			}
			js, err := json.Marshal(KEVEntry{
				CVE: v.CVEID, VendorProject: v.VendorProject, Product: v.Product, Name: v.VulnerabilityName,
				DateAdded: v.DateAdded, DueDate: v.DueDate, RansomwareUse: v.KnownRansomwareCampaignUse,
			})
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(v.CVEID), js); err != nil {
				return err
			}
			sm.KEV++
		}
		return nil
	})
}

// addEPSS reads a FIRST EPSS CSV: an optional "#model_version:…,score_date:…" line, a
// "cve,epss,percentile" header, then one CVE per line.
func (b *builder) addEPSS(ctx context.Context, path string, r io.Reader, sm *SourceMeta) error {
	type row struct {
		cve string
		val [16]byte
	}
	var rows []row
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineSize)
	line := 0
	for sc.Scan() {
		line++
		if line%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "#") {
			for _, kv := range strings.Split(strings.TrimPrefix(text, "#"), ",") {
				k, v, _ := strings.Cut(kv, ":")
				switch k {
				case "model_version":
					sm.EPSSModel = v
				case "score_date":
					if t, ok := parseEPSSDate(v); ok {
						sm.Updated = t
					}
				}
			}
			continue
		}
		f := strings.Split(text, ",")
		if len(f) < 3 || f[0] == "cve" {
			continue
		}
		score, err1 := strconv.ParseFloat(f[1], 64)
		pct, err2 := strconv.ParseFloat(f[2], 64)
		if !strings.HasPrefix(f[0], "CVE-") || err1 != nil || err2 != nil || math.IsNaN(score) || math.IsNaN(pct) {
			b.invalid++
			sm.Invalid++
			if len(b.warnings) < maxWarnings {
				b.warnings = append(b.warnings, fmt.Sprintf("%s: line %d: not cve,score,percentile", filepath.Base(path), line))
			}
			continue
		}
		var rw row
		rw.cve = f[0]
		binary.LittleEndian.PutUint64(rw.val[:], math.Float64bits(score))
		binary.LittleEndian.PutUint64(rw.val[8:], math.Float64bits(pct))
		rows = append(rows, rw)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidSource, path, err)
	}
	slices.SortStableFunc(rows, func(x, y row) int { return strings.Compare(x.cve, y.cve) })
	sm.EPSS = len(rows)
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketEPSS)
		bk.FillPercent = 1
		for i := range rows {
			if err := bk.Put([]byte(rows[i].cve), rows[i].val[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

func parseEPSSDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05-0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
