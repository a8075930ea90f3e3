package vulndb

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/rampartsec/rampart/internal/hashlist"
)

// This file holds Import and the builder it drives: sources are told apart by content and
// handed to the readers of records.go (OSV), kev.go, epss.go and hashes.go; swap.go puts the
// finished file in place.

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
	// AllowEmpty accepts what Import refuses by default as the sign of an input gone wrong: a
	// source that yields no entry, a database that would hold nothing, and one with fewer
	// sources than the database it replaces ([ErrEmptySource], [ErrShrink]).
	AllowEmpty bool
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
	// Duplicates counts records met more than once; the most recently modified copy is kept,
	// except where two copies name disjoint packages (two databases gave one id to different
	// advisories): then the copies are merged, their affected entries and aliases joined.
	Duplicates int `json:"duplicates"`
	KEV        int `json:"kev"`
	EPSS       int `json:"epss"`
	Malware    int `json:"malware"`
	// NVD counts the CVEs kept from NVD feeds: those the records name.
	NVD int `json:"nvd"`
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
// Unless opts.AllowEmpty is set, Import refuses to put in place a database that holds nothing, or
// fewer sources than the one it would replace ([ErrShrink]), and a source that yields no entry
// ([ErrEmptySource]): an export whose records all fail to parse, a KEV catalog or EPSS file
// with no usable line. A KEV catalog that does not decode is always an error.
//
// Import returns an error wrapping [ErrInvalidSource] for an input it cannot read (naming the
// file), [ErrEmptySource] and [ErrShrink] as above, and ctx.Err() when ctx is done. On every error
// the temporary file is removed and the database in dir is left as it was.
func Import(ctx context.Context, dir string, paths []string, opts ImportOptions) (Stats, error) {
	start := time.Now()
	if len(paths) == 0 {
		return Stats{}, fmt.Errorf("import: %w: no sources given", ErrInvalidSource)
	}
	t, err := newTempDB(dir)
	if err != nil {
		return Stats{}, fmt.Errorf("import: %w", err)
	}
	defer t.abort()
	b, err := newBuilder(t.db, opts)
	if err != nil {
		return Stats{}, err
	}
	defer b.enc.Close()
	for _, p := range paths {
		if err := b.addSource(ctx, p, opts.Origins[p]); err != nil {
			return Stats{}, fmt.Errorf("import: %w", err)
		}
	}
	// NVD feeds last: they keep only the CVEs the records name.
	if err := b.addNVDFeeds(ctx); err != nil {
		return Stats{}, fmt.Errorf("import: %w", err)
	}
	st, err := b.finish()
	if err != nil {
		return Stats{}, fmt.Errorf("import: %w", err)
	}
	if !opts.AllowEmpty {
		if err := checkShrink(dir, st); err != nil {
			return Stats{}, fmt.Errorf("import: %w", err)
		}
	}
	final, err := t.commit()
	if err != nil {
		return Stats{}, fmt.Errorf("import: %w", err)
	}
	st.Path = final
	st.Duration = time.Since(start)
	return st, nil
}

type builder struct {
	db      *bolt.DB
	enc     *zstd.Encoder
	workers int
	log     *slog.Logger
	now     time.Time
	// allowEmpty lets a source that yields nothing through, with a warning.
	allowEmpty bool

	recs    map[string]*recInfo
	pending []prepared
	pendSz  int

	// nvdFeeds are the NVD feeds met, read at the end; nvd holds the entries kept from them.
	nvdFeeds []*nvdFeed
	nvd      map[string]NVDEntry

	sources    []SourceMeta
	withdrawn  int
	invalid    int
	duplicates int
	warnings   []string
	// firstWarn is each source's first warning, for the error when it yields nothing.
	firstWarn map[*SourceMeta]string
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
	b := &builder{
		db: db, enc: enc, workers: workers, log: opts.Logger, now: time.Now().UTC(), allowEmpty: opts.AllowEmpty,
		recs: map[string]*recInfo{}, firstWarn: map[*SourceMeta]string{}, nvd: map[string]NVDEntry{},
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRecords, bucketPackages, bucketAliases, bucketKEV, bucketEPSS, bucketMeta, bucketMalware, bucketNVD} {
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
	if err == errDeferred {
		return nil // an NVD feed: read at the end of the import
	}
	if err != nil {
		return err
	}
	return b.recordSource(path, &sm)
}

// errDeferred says that addFile put a source aside for the end of the import.
var errDeferred = errors.New("vulndb: source deferred")

// recordSource checks that the source read from path yielded something, works out its kind and
// adds it to the database's list of sources.
func (b *builder) recordSource(path string, sm *SourceMeta) error {
	if sm.Name == "" {
		return nil
	}
	if sm.Records+sm.KEV+sm.EPSS+sm.Malware+sm.NVD+sm.Withdrawn == 0 {
		err := fmt.Errorf("%w: %s: %s", ErrEmptySource, path, b.invalidSummary(sm))
		if !b.allowEmpty {
			return err
		}
		b.log.Warn("source yields nothing", "path", path, "err", err)
		b.warnings = append(b.warnings, err.Error())
	}
	switch {
	case sm.Kind != "":
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
	b.sources = append(b.sources, *sm)
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
		br := bufio.NewReaderSize(zr, 64<<10)
		inner, _ := br.Peek(4096)
		if isNVD(inner) {
			return b.deferNVD(path, sm, true)
		}
		return b.addEPSS(ctx, path, br, sm)
	case isNVD(head):
		return b.deferNVD(path, sm, false)
	case isEPSS(head):
		return b.addEPSS(ctx, path, io.NewSectionReader(f, 0, size), sm)
	case hashlist.Sniff(head):
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
	return fmt.Errorf("%w: %s: not a zip, OSV, KEV or NVD JSON, EPSS CSV, or SHA-256 hash list", ErrInvalidSource, path)
}

// deferNVD puts the NVD feed at path aside until every other source is read.
func (b *builder) deferNVD(path string, sm *SourceMeta, gz bool) error {
	f := &nvdFeed{path: path, sm: *sm}
	f.sm.Kind = "nvd"
	f.open = func() (io.ReadCloser, error) {
		fh, err := os.Open(path)
		if err != nil || !gz {
			return fh, err
		}
		zr, err := gzip.NewReader(bufio.NewReaderSize(fh, 64<<10))
		if err != nil {
			fh.Close()
			return nil, err
		}
		return struct {
			io.Reader
			io.Closer
		}{zr, fh}, nil
	}
	b.nvdFeeds = append(b.nvdFeeds, f)
	return errDeferred
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
		case strings.HasSuffix(name, ".json") && sniffNVD(p):
			archives = append(archives, p) // a feed, too big to read as a record
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

// sniffNVD reports whether the JSON file at path starts as an NVD feed.
func sniffNVD(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	return isNVD(head[:n])
}

// warn counts an invalid entry of source sm (a record, a KEV entry, an EPSS line) and keeps
// its message among the first warnings.
func (b *builder) warn(sm *SourceMeta, msg string) {
	b.invalid++
	sm.Invalid++
	if len(b.warnings) < maxWarnings {
		b.warnings = append(b.warnings, msg)
	}
	if _, ok := b.firstWarn[sm]; !ok {
		b.firstWarn[sm] = msg
	}
}

// invalidSummary says, on one line, why source sm yielded nothing.
func (b *builder) invalidSummary(sm *SourceMeta) string {
	if sm.Invalid == 0 {
		return "no entries"
	}
	s := "no valid entries: 1 invalid"
	if sm.Invalid > 1 {
		s = fmt.Sprintf("no valid entries: %d invalid", sm.Invalid)
	}
	if w := b.firstWarn[sm]; w != "" {
		s += ", first: " + strings.Join(strings.Fields(w), " ")
	}
	return s
}

// checkShrink refuses a new database that holds nothing, or fewer sources than the one in dir:
// the sign of an input gone wrong (an export whose records all fail to parse, a source left
// out) more often than of an intended change. A database in dir that cannot be read is not
// worth keeping and does not count.
func checkShrink(dir string, st Stats) error {
	if st.Records+st.KEV+st.EPSS+st.Malware+st.NVD == 0 {
		return fmt.Errorf("%w: the new database would hold nothing (%d sources; %d invalid and %d withdrawn records skipped)",
			ErrShrink, len(st.Sources), st.Invalid, st.Withdrawn)
	}
	old, err := Open(dir)
	if err != nil {
		return nil
	}
	defer old.Close()
	prev, err := old.Status()
	if err != nil || len(st.Sources) >= len(prev.Sources) {
		return nil
	}
	kept := map[string]bool{}
	for _, s := range st.Sources {
		kept[s.Name] = true
	}
	var missing []string
	for _, s := range prev.Sources {
		if !kept[s.Name] {
			missing = append(missing, s.Name)
		}
	}
	return fmt.Errorf("%w: %s holds %d sources (%d records), the new database would hold %d (%d records); not among them: %s",
		ErrShrink, old.Path(), len(prev.Sources), prev.Records, len(st.Sources), st.Records, strings.Join(missing, ", "))
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
		st.Malware = tx.Bucket(bucketMalware).Stats().KeyN
		st.NVD = tx.Bucket(bucketNVD).Stats().KeyN
		status := Status{
			SchemaVersion: SchemaVersion, BuiltAt: b.now, Records: st.Records, Ecosystems: ecos,
			Withdrawn: st.Withdrawn, Invalid: st.Invalid, Duplicates: st.Duplicates,
			KEV: st.KEV, EPSS: st.EPSS, Malware: st.Malware, NVD: st.NVD, Sources: b.sources,
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
