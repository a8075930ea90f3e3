package vulndb

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	bolt "go.etcd.io/bbolt"

	"github.com/rampartsec/rampart/internal/osv"
)

// SchemaVersion is the layout of the database file. Bump it whenever buckets or encodings change;
// [Open] refuses other versions with [ErrSchema].
const SchemaVersion = 1

// FileName is the database file inside the database directory.
const FileName = "rampart.db"

// Bucket names. Keys and values:
//
//	records:  OSV id → zstd-compressed compact OSV JSON
//	packages: ecosystem "\x00" normalised name → ids, '\n'-separated, sorted
//	aliases:  alias or upstream id (CVE-…, GHSA-…) → ids, '\n'-separated, sorted
//	kev:      CVE → KEVEntry JSON
//	epss:     CVE → score, percentile as two little-endian float64
//	nvd:      CVE → NVDEntry JSON (CVSS vectors and title from NVD's feeds)
//	meta:     "schema" → decimal; "built" → RFC 3339; "status" → Status JSON
var (
	bucketRecords  = []byte("records")
	bucketPackages = []byte("packages")
	bucketAliases  = []byte("aliases")
	bucketKEV      = []byte("kev")
	bucketEPSS     = []byte("epss")
	// bucketMalware maps a known-malicious file's SHA-256 (hex) to "name\x00source".
	bucketMalware = []byte("malware")
	// bucketNVD maps a CVE to its NVDEntry JSON. Databases imported before NVD feeds were read
	// have no such bucket: readers treat it as empty.
	bucketNVD  = []byte("nvd")
	bucketMeta = []byte("meta")

	keySchema = []byte("schema")
	keyStatus = []byte("status")
)

// Bounds on stored values, checked before a value is copied: a damaged length must not make a
// read allocate gigabytes.
const (
	maxIndexValue   = 64 << 20 // one packages or aliases entry: ids, newline-separated
	maxKEVEntry     = 1 << 20
	maxNVDEntry     = 1 << 20
	maxMalwareEntry = 64 << 10
)

// KEVEntry is one CISA Known Exploited Vulnerabilities catalog entry.
type KEVEntry struct {
	CVE           string `json:"cve"`
	VendorProject string `json:"vendor_project,omitempty"`
	Product       string `json:"product,omitempty"`
	Name          string `json:"name,omitempty"`
	// DateAdded is the day CISA added the CVE to the catalog, "YYYY-MM-DD".
	DateAdded string `json:"date_added"`
	DueDate   string `json:"due_date,omitempty"`
	// RansomwareUse is the catalog's knownRansomwareCampaignUse: "Known" or "Unknown".
	RansomwareUse string `json:"ransomware_use,omitempty"`
}

// KnownRansomware reports whether CISA knows the CVE to be used in ransomware campaigns.
func (e KEVEntry) KnownRansomware() bool { return strings.EqualFold(e.RansomwareUse, "Known") }

// EPSS is a FIRST Exploit Prediction Scoring System score: the probability (0–1) of exploitation
// in the next 30 days, and its percentile among all scored CVEs.
type EPSS struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
}

// SourceMeta describes one imported source.
type SourceMeta struct {
	Name string `json:"name"`
	// Kind is "osv", "kev", "epss", "nvd" (an NVD CVE feed), "malware" (a hash list), or "mixed"
	// for a directory holding several kinds.
	Kind         string `json:"kind"`
	URL          string `json:"url,omitempty"`
	Path         string `json:"path,omitempty"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// SHA256 is the hex digest of the imported file; empty for directories.
	SHA256     string    `json:"sha256,omitempty"`
	ImportedAt time.Time `json:"imported_at"`
	// Updated is how current the data is: the newest record's modified time, the KEV catalog's
	// release time, the EPSS score date or the NVD feed's timestamp. Zero when the source says
	// nothing.
	Updated time.Time `json:"updated,omitzero"`
	// Records counts the OSV records read from this source (withdrawn and invalid ones excluded).
	Records   int `json:"records"`
	Withdrawn int `json:"withdrawn,omitempty"`
	Invalid   int `json:"invalid,omitempty"`
	KEV       int `json:"kev,omitempty"`
	EPSS      int `json:"epss,omitempty"`
	// Malware counts the known-malicious file hashes a hash-list source added.
	Malware int `json:"malware,omitempty"`
	// NVD counts the CVEs an NVD feed described (rejected ones, counted as withdrawn, excluded);
	// the database keeps those an imported record names ([Status].NVD).
	NVD int `json:"nvd,omitempty"`
	// EPSSModel is the EPSS CSV's model_version, when the source is an EPSS file.
	EPSSModel string `json:"epss_model,omitempty"`
}

// Entries counts what the source added to the database: its OSV records, KEV entries, EPSS
// scores, CVEs of an NVD feed or known-malicious hashes, by its Kind; all of them for a "mixed"
// source.
func (s SourceMeta) Entries() int {
	switch s.Kind {
	case "osv":
		return s.Records
	case "kev":
		return s.KEV
	case "epss":
		return s.EPSS
	case "malware":
		return s.Malware
	case "nvd":
		return s.NVD
	}
	return s.Records + s.KEV + s.EPSS + s.Malware + s.NVD
}

// Status summarises a database.
type Status struct {
	SchemaVersion int       `json:"schema_version"`
	Path          string    `json:"path"`
	BuiltAt       time.Time `json:"built_at"`
	// Updated is the newest Updated of the sources: how current the data is.
	Updated time.Time `json:"updated,omitzero"`
	// Records counts distinct stored records; Ecosystems counts them per ecosystem as the records
	// spell it ("Debian:12"), a record affecting packages in two ecosystems counting in both.
	Records    int            `json:"records"`
	Ecosystems map[string]int `json:"ecosystems"`
	Withdrawn  int            `json:"withdrawn"`
	Invalid    int            `json:"invalid"`
	Duplicates int            `json:"duplicates"`
	KEV        int            `json:"kev"`
	EPSS       int            `json:"epss"`
	// Malware counts the known-malicious file hashes imported from hash lists.
	Malware int `json:"malware"`
	// NVD counts the CVEs with NVD data (CVSS vectors, a title) kept: those the records name.
	NVD     int          `json:"nvd"`
	Sources []SourceMeta `json:"sources"`
}

// Covers reports whether the database holds records that [DB.Lookup] would consider for
// ecosystem, under the same release rules: "Debian:12" is covered by "Debian:12" or bare
// "Debian" records, "Ubuntu:22.04" also by "Ubuntu:22.04:LTS", a bare "Go" by any "Go" records.
func (s Status) Covers(ecosystem string) bool {
	eco := NormalizeEcosystem(ecosystem)
	bare := BaseEcosystem(eco)
	for k, n := range s.Ecosystems {
		if n == 0 {
			continue
		}
		k = NormalizeEcosystem(k)
		if bare != eco {
			if k == eco || k == bare || strings.HasPrefix(k, eco+":") {
				return true
			}
		} else if BaseEcosystem(k) == eco {
			return true
		}
	}
	return false
}

// DB is an open, read-only vulnerability database. Its methods are safe for concurrent use. The
// methods of a nil or closed *DB return [ErrNoDatabase] (or report nothing found), so a scan
// without a database can hold a nil *DB. The caller must call [DB.Close].
type DB struct {
	bolt *bolt.DB
	dec  *zstd.Decoder
	path string
	log  *slog.Logger
}

// Open opens the database in dir read-only. The file is memory-mapped and takes a shared lock, so
// any number of processes may read it; [Import] never writes to it but renames a new file over
// it, so an open DB keeps reading the data it opened.
//
// Open checks the file's structure before mapping it (see verify.go): a truncated or damaged
// file is refused here, and damage the check cannot see (inside keys and values) makes the read
// that meets it return [ErrCorrupt] instead of crashing.
//
// Open returns an error wrapping [ErrNoDatabase] when dir holds no database, [ErrCorrupt] when
// the file is damaged, truncated or not a Rampart database (the message names the file), and
// [ErrSchema] when it was written with another [SchemaVersion].
func Open(dir string) (*DB, error) {
	path := filepath.Join(dir, FileName)
	if err := verifyFile(path); err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%w: %s", ErrNoDatabase, path)
		case errors.Is(err, fs.ErrPermission):
			return nil, fmt.Errorf("open vulnerability database: %w", err)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	var b *bolt.DB
	err := func() (err error) {
		defer guard(path, &err)()
		b, err = bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
		if err != nil {
			if errors.Is(err, os.ErrPermission) {
				return fmt.Errorf("open vulnerability database: %w", err)
			}
			return fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
		}
		return b.View(checkMeta(path))
	}()
	if err != nil {
		if b != nil {
			b.Close()
		}
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxRecordSize))
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("open vulnerability database: %w", err)
	}
	return &DB{bolt: b, dec: dec, path: path, log: slog.Default()}, nil
}

// checkMeta checks the schema version and that the buckets are there.
func checkMeta(path string) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if m == nil {
			return fmt.Errorf("%w: %s: no meta bucket", ErrCorrupt, path)
		}
		v, err := strconv.Atoi(string(m.Get(keySchema)))
		if err != nil {
			return fmt.Errorf("%w: %s: schema version %q", ErrCorrupt, path, m.Get(keySchema))
		}
		if v != SchemaVersion {
			return fmt.Errorf("%w: %s has schema %d, this rampart reads %d", ErrSchema, path, v, SchemaVersion)
		}
		for _, name := range [][]byte{bucketRecords, bucketPackages, bucketAliases, bucketKEV, bucketEPSS} {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("%w: %s: no %s bucket", ErrCorrupt, path, name)
			}
		}
		return nil
	}
}

// Close releases the file. Calling it twice, or on a nil *DB, is harmless. It must not be called
// while other goroutines are still using the DB.
func (d *DB) Close() error {
	if d == nil || d.bolt == nil {
		return nil
	}
	d.dec.Close()
	err := d.bolt.Close()
	d.bolt = nil
	return err
}

// corrupt returns an error wrapping ErrCorrupt that names the file.
func (d *DB) corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s: "+format, append([]any{ErrCorrupt, d.path}, args...)...)
}

// check reports a nil or closed DB as ErrNoDatabase.
func (d *DB) check() error {
	if d == nil {
		return ErrNoDatabase
	}
	if d.bolt == nil {
		return fmt.Errorf("%w: %s is closed", ErrNoDatabase, d.path)
	}
	return nil
}

// Path returns the database file's path.
func (d *DB) Path() string {
	if d == nil {
		return ""
	}
	return d.path
}

// Lookup returns the records that affect package name in ecosystem, sorted by id; none is not an
// error. The ecosystem and name are normalised with [NormalizeEcosystem] and [NormalizeName].
//
// An ecosystem with a release ("Debian:12") finds records for that release, for that release with
// further qualifiers ("Ubuntu:22.04" finds "Ubuntu:22.04:LTS") and records that name the bare
// ecosystem ("Debian"), never another release's. A bare ecosystem finds records for
// every release. The records are returned whole: the caller picks the affected entries that
// concern it (osv.Affected.Package).
//
// Lookup returns [ErrNoDatabase] on a nil *DB, [ErrCorrupt] for an undecodable record, and
// ctx.Err() when ctx is done.
func (d *DB) Lookup(ctx context.Context, ecosystem, name string) (_ []*osv.Vulnerability, err error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	defer guard(d.path, &err)()
	eco := NormalizeEcosystem(ecosystem)
	n := NormalizeName(eco, name)
	bare := BaseEcosystem(eco)
	var out []*osv.Vulnerability
	err = d.bolt.View(func(tx *bolt.Tx) error {
		pk := tx.Bucket(bucketPackages)
		ids, err := d.splitIDs(pk.Get(packageKey(eco, n)))
		if err != nil {
			return err
		}
		if bare != eco {
			more, err := d.splitIDs(pk.Get(packageKey(bare, n)))
			if err != nil {
				return err
			}
			ids = append(ids, more...)
			slices.Sort(ids)
			ids = slices.Compact(ids)
		}
		recs := tx.Bucket(bucketRecords)
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return err
			}
			v, err := d.decode(recs, id)
			if err != nil {
				return err
			}
			if v != nil && affects(v, eco, n) {
				out = append(out, v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up %s/%s: %w", eco, n, err)
	}
	return out, nil
}

// affects reports whether v names package n in eco under Lookup's release rules. It also guards
// against index entries that do not match the stored record.
func affects(v *osv.Vulnerability, eco, n string) bool {
	bare := BaseEcosystem(eco)
	for _, a := range v.Affected {
		ae := NormalizeEcosystem(a.Package.Ecosystem)
		if NormalizeName(ae, a.Package.Name) != n {
			continue
		}
		if bare != eco {
			// "Ubuntu:22.04" also finds "Ubuntu:22.04:LTS", but not "Ubuntu:Pro:22.04:LTS".
			if ae == eco || ae == bare || strings.HasPrefix(ae, eco+":") {
				return true
			}
		} else if BaseEcosystem(ae) == eco {
			return true
		}
	}
	return false
}

// ByID returns the record with that id ("GO-2022-1059", "PYSEC-2021-1"). It returns
// [ErrNotFound] when there is none, [ErrNoDatabase] on a nil *DB and [ErrCorrupt] when the stored
// record cannot be decoded. To find records by CVE or GHSA alias use [DB.ByAlias].
func (d *DB) ByID(ctx context.Context, id string) (_ *osv.Vulnerability, err error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer guard(d.path, &err)()
	var v *osv.Vulnerability
	err = d.bolt.View(func(tx *bolt.Tx) error {
		var err error
		v, err = d.decode(tx.Bucket(bucketRecords), id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", id, err)
	}
	if v == nil {
		return nil, fmt.Errorf("record %s: %w", id, ErrNotFound)
	}
	return v, nil
}

// ByAlias returns the records that list alias ("CVE-2022-32149", "GHSA-…") among their aliases or
// upstream ids, sorted by id; none is not an error. A record whose own id is alias is not
// included: use [DB.ByID] for that. Errors are as for [DB.Lookup].
func (d *DB) ByAlias(ctx context.Context, alias string) (_ []*osv.Vulnerability, err error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	defer guard(d.path, &err)()
	var out []*osv.Vulnerability
	err = d.bolt.View(func(tx *bolt.Tx) error {
		recs := tx.Bucket(bucketRecords)
		ids, err := d.splitIDs(tx.Bucket(bucketAliases).Get([]byte(alias)))
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return err
			}
			v, err := d.decode(recs, id)
			if err != nil {
				return err
			}
			if v != nil {
				out = append(out, v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("alias %s: %w", alias, err)
	}
	return out, nil
}

// decode reads record id from the records bucket; (nil, nil) means absent, for internal use only.
func (d *DB) decode(recs *bolt.Bucket, id string) (*osv.Vulnerability, error) {
	raw := recs.Get([]byte(id))
	if raw == nil {
		return nil, nil
	}
	if len(raw) > maxRecordSize {
		return nil, d.corrupt("record %s: %d bytes", id, len(raw))
	}
	js, err := d.dec.DecodeAll(raw, nil)
	if err != nil {
		return nil, d.corrupt("record %s: %w", id, err)
	}
	v, err := osv.Parse(js)
	if err != nil {
		return nil, d.corrupt("record %s: %w", id, err)
	}
	return v, nil
}

// KEV returns the CISA KEV entry for cve, and whether there is one. A nil *DB, a closed DB and an
// unreadable entry report false; the last is logged.
func (d *DB) KEV(cve string) (KEVEntry, bool) {
	var e KEVEntry
	found := d.getJSON(bucketKEV, cve, maxKEVEntry, &e)
	return e, found
}

// getJSON decodes into v the JSON value stored under key in bucket, at most most bytes, and
// reports whether there was one (an unreadable one is logged and reported absent).
func (d *DB) getJSON(bucket []byte, key string, most int, v any) bool {
	found := false
	d.get(bucket, key, func(raw []byte) error {
		if len(raw) > most {
			return d.corrupt("%s entry of %d bytes", bucket, len(raw))
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return err
		}
		found = true
		return nil
	})
	return found
}

// EPSS returns the EPSS score of cve, and whether there is one. A nil *DB, a closed DB and an
// unreadable entry report false; the last is logged.
func (d *DB) EPSS(cve string) (EPSS, bool) {
	var e EPSS
	found := false
	d.get(bucketEPSS, cve, func(v []byte) error {
		if len(v) != 16 {
			return d.corrupt("epss value of %d bytes", len(v))
		}
		e.Score = math.Float64frombits(binary.LittleEndian.Uint64(v))
		e.Percentile = math.Float64frombits(binary.LittleEndian.Uint64(v[8:]))
		found = true
		return nil
	})
	return e, found
}

func (d *DB) get(bucket []byte, key string, f func([]byte) error) {
	if d == nil || d.bolt == nil {
		return
	}
	err := func() (err error) {
		defer guard(d.path, &err)()
		return d.bolt.View(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bucket)
			if bk == nil {
				return nil // a database from before the bucket existed
			}
			v := bk.Get([]byte(key))
			if v == nil {
				return nil
			}
			return f(v)
		})
	}()
	if err != nil {
		d.log.Warn("vulnerability database entry unreadable", "bucket", string(bucket), "key", key, "err", err)
	}
}

// Status returns the summary written at import. It returns [ErrNoDatabase] on a nil *DB and
// [ErrCorrupt] when the summary is unreadable.
func (d *DB) Status() (_ Status, err error) {
	if err := d.check(); err != nil {
		return Status{}, err
	}
	defer guard(d.path, &err)()
	var s Status
	err = d.bolt.View(func(tx *bolt.Tx) error {
		if err := json.Unmarshal(tx.Bucket(bucketMeta).Get(keyStatus), &s); err != nil {
			return d.corrupt("status: %w", err)
		}
		// Databases imported before Status had a malware count: count the bucket.
		if bk := tx.Bucket(bucketMalware); s.Malware == 0 && bk != nil {
			if k, _ := bk.Cursor().First(); k != nil {
				s.Malware = bk.Stats().KeyN
			}
		}
		return nil
	})
	if err != nil {
		return Status{}, err
	}
	s.Path = d.path
	return s, nil
}

func packageKey(eco, name string) []byte {
	return []byte(eco + "\x00" + name)
}

// splitIDs reads an index value: ids separated by newlines.
func (d *DB) splitIDs(v []byte) ([]string, error) {
	if len(v) == 0 {
		return nil, nil
	}
	if len(v) > maxIndexValue {
		return nil, d.corrupt("index entry of %d bytes", len(v))
	}
	return strings.Split(string(v), "\n"), nil
}

// MalwareHash is a known-malicious file imported from a hash list.
type MalwareHash struct {
	Name   string // family or signature name, "listed" when the list gives none
	Source string // the list it came from
}

// MalwareHashes returns every imported known-malicious SHA-256 (lower-case hex). A database
// imported before hash lists existed, or without any, returns an empty map.
func (d *DB) MalwareHashes() (_ map[string]MalwareHash, err error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	defer guard(d.path, &err)()
	out := map[string]MalwareHash{}
	err = d.bolt.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketMalware)
		if bk == nil {
			return nil
		}
		return bk.ForEach(func(k, v []byte) error {
			if len(k) != 64 || len(v) > maxMalwareEntry {
				return d.corrupt("malware entry of %d+%d bytes", len(k), len(v))
			}
			name, src, _ := strings.Cut(string(v), "\x00")
			out[string(k)] = MalwareHash{Name: name, Source: src}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("malware hashes: %w", err)
	}
	return out, nil
}
