package vulndb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
)

// This file checks a database file's structure before bbolt maps it, and turns what bbolt does
// with a damaged file (assertion panics, faults reading past the end of the file) into errors.
//
// bbolt trusts its file: a truncated one makes it read pages past the end of the mapping (a
// fault, which kills the process), and a page pointer damaged into a cycle makes its cursor
// recurse until the stack overflows, which no recover catches either. So [Open] walks the file's
// B+trees itself first, through plain reads: meta pages and their checksums, the high-water mark
// against the file size, and every page reachable from the root bucket and the top-level buckets
// (in range, self-identifying, a branch or a leaf, reached once). What is left — damaged keys and
// values inside sound pages — makes bbolt panic or fault at worst, and [DB.guard] recovers that.
//
// bbolt's own tx.Check is not used: on a file written without a freelist (as Import writes them)
// a read-only Check rebuilds the freelist in a goroutine of its own that panics on the first
// inconsistency, and that panic cannot be recovered.

// bbolt's on-disk layout (go.etcd.io/bbolt/internal/common), in the machine's byte order.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16 // id u64, flags u16, count u16, overflow u32
	elementSize      = 16 // branch: pos u32, ksize u32, pgid u64; leaf: flags u32, pos u32, ksize u32, vsize u32
	metaChecksumAt   = 56 // the meta's checksum is FNV-64a of its first 56 bytes
	metaSize         = 64
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	bucketLeafFlag   = 0x01
	bucketHeaderSize = 16 // root pgid u64, sequence u64
	maxTreeDepth     = 64 // far beyond any real tree: bbolt's fan-out makes 5 levels hold billions
)

var ne = binary.NativeEndian

// boltMeta is the part of a bbolt meta page the check needs.
type boltMeta struct {
	valid    bool
	pageSize uint64
	root     uint64 // the root bucket's page
	hwm      uint64 // high-water mark: pages [0, hwm) exist
	txid     uint64
}

func parseMeta(page []byte) boltMeta {
	if len(page) < pageHeaderSize+metaSize {
		return boltMeta{}
	}
	m := page[pageHeaderSize : pageHeaderSize+metaSize]
	h := fnv.New64a()
	h.Write(m[:metaChecksumAt])
	return boltMeta{
		valid: ne.Uint32(m[0:]) == boltMagic && ne.Uint32(m[4:]) == boltVersion &&
			ne.Uint64(m[metaChecksumAt:]) == h.Sum64(),
		pageSize: uint64(ne.Uint32(m[8:])),
		root:     ne.Uint64(m[16:]),
		hwm:      ne.Uint64(m[40:]),
		txid:     ne.Uint64(m[48:]),
	}
}

// currentMeta returns the meta page bbolt reads the database by: the one with the higher
// transaction id when it is valid, else the other one.
func currentMeta(m0, m1 boltMeta) boltMeta {
	if m1.txid > m0.txid {
		m0, m1 = m1, m0
	}
	if !m0.valid {
		return m1
	}
	return m0
}

// fileChecker walks one database file.
type fileChecker struct {
	r        io.ReaderAt
	size     uint64
	pageSize uint64
	hwm      uint64
	visited  map[uint64]bool
}

// checkFile validates the structure of the bbolt file f, of size bytes, as described above. The
// error says what is wrong; the caller wraps it in ErrCorrupt with the file's path.
func checkFile(f io.ReaderAt, size int64) error {
	if size <= 0 {
		return errors.New("empty file")
	}
	c := &fileChecker{r: f, size: uint64(size), visited: map[uint64]bool{}}
	// The page size comes from the first valid meta page, found as bbolt finds it: meta 0 at
	// offset 0, else meta 1 at the offsets a page size can put it.
	head := make([]byte, 4096)
	n, _ := f.ReadAt(head, 0)
	m0 := parseMeta(head[:n])
	switch {
	case m0.valid:
		c.pageSize = m0.pageSize
	default:
		for ps := uint64(1024); ps <= 1<<24 && ps+pageHeaderSize+metaSize <= c.size; ps <<= 1 {
			n, _ := f.ReadAt(head, int64(ps))
			if m := parseMeta(head[:n]); m.valid {
				c.pageSize = m.pageSize
				break
			}
		}
	}
	if c.pageSize == 0 {
		return fmt.Errorf("%d bytes, no valid bbolt meta page (not a database, or its start is damaged)", size)
	}
	if c.pageSize < 1024 || c.pageSize > 1<<24 || c.pageSize&(c.pageSize-1) != 0 {
		return fmt.Errorf("page size %d", c.pageSize)
	}
	if c.size < 2*c.pageSize {
		return fmt.Errorf("truncated: %d bytes, shorter than its two meta pages of %d", size, c.pageSize)
	}
	page1, err := c.read(1, 1)
	if err != nil {
		return err
	}
	m := currentMeta(m0, parseMeta(page1))
	if !m.valid {
		return errors.New("no valid meta page")
	}
	if m.pageSize != c.pageSize {
		return fmt.Errorf("meta pages disagree on the page size (%d, %d)", c.pageSize, m.pageSize)
	}
	c.hwm = m.hwm
	if c.hwm < 3 || c.hwm > c.size/c.pageSize {
		return fmt.Errorf("truncated: %d bytes, but its %d pages of %d bytes need %d", size, c.hwm, c.pageSize, c.hwm*c.pageSize)
	}
	return c.walk(m.root, 0, true)
}

// read returns n pages from page id on.
func (c *fileChecker) read(id, n uint64) ([]byte, error) {
	buf := make([]byte, n*c.pageSize)
	if _, err := c.r.ReadAt(buf, int64(id*c.pageSize)); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	return buf, nil
}

// walk checks the tree rooted at page id. In the root bucket's tree (buckets true) it also
// follows the leaves' bucket entries into the top-level buckets' trees; the nested buckets of
// those, which Rampart never creates or opens, are not followed.
func (c *fileChecker) walk(id uint64, depth int, buckets bool) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("page %d: tree deeper than %d", id, maxTreeDepth)
	}
	if id < 2 || id >= c.hwm {
		return fmt.Errorf("page %d: out of range [2, %d)", id, c.hwm)
	}
	if c.visited[id] {
		return fmt.Errorf("page %d: referenced twice", id)
	}
	c.visited[id] = true
	var hdr [pageHeaderSize]byte
	if _, err := c.r.ReadAt(hdr[:], int64(id*c.pageSize)); err != nil {
		return fmt.Errorf("page %d: %w", id, err)
	}
	flags, count, overflow := ne.Uint16(hdr[8:]), uint64(ne.Uint16(hdr[10:])), uint64(ne.Uint32(hdr[12:]))
	switch {
	case ne.Uint64(hdr[0:]) != id:
		return fmt.Errorf("page %d: identifies itself as page %d", id, ne.Uint64(hdr[0:]))
	case id+overflow >= c.hwm:
		return fmt.Errorf("page %d: %d overflow pages run past the last page %d", id, overflow, c.hwm-1)
	case flags == leafPageFlag && !buckets:
		return nil // a leaf of a top-level bucket: its keys and values are read guarded
	case flags != branchPageFlag && flags != leafPageFlag:
		return fmt.Errorf("page %d: flags %#x, want a branch or leaf page", id, flags)
	case pageHeaderSize+count*elementSize > (overflow+1)*c.pageSize:
		return fmt.Errorf("page %d: %d elements overflow the page", id, count)
	case flags == branchPageFlag && count == 0:
		return fmt.Errorf("page %d: empty branch page", id)
	}
	p, err := c.read(id, overflow+1)
	if err != nil {
		return err
	}
	var prev []byte
	for i := range count {
		at := pageHeaderSize + i*elementSize
		e := p[at : at+elementSize]
		if flags == branchPageFlag {
			key, err := element(p, at, uint64(ne.Uint32(e[0:])), uint64(ne.Uint32(e[4:])))
			if err != nil {
				return fmt.Errorf("page %d: branch element %d: %w", id, i, err)
			}
			if i > 0 && bytes.Compare(prev, key) >= 0 {
				return fmt.Errorf("page %d: branch keys out of order", id)
			}
			prev = key
			if err := c.walk(ne.Uint64(e[8:]), depth+1, buckets); err != nil {
				return err
			}
			continue
		}
		// A leaf of the root bucket: each bucket entry's value is the bucket's header, its root
		// page, or 0 and the bucket's own inline page after the header.
		ksize, vsize := uint64(ne.Uint32(e[8:])), uint64(ne.Uint32(e[12:]))
		kv, err := element(p, at, uint64(ne.Uint32(e[4:])), ksize+vsize)
		if err != nil {
			return fmt.Errorf("page %d: leaf element %d: %w", id, i, err)
		}
		if ne.Uint32(e[0:])&bucketLeafFlag == 0 {
			continue
		}
		v := kv[ksize:]
		if len(v) < bucketHeaderSize {
			return fmt.Errorf("page %d: bucket %q: header of %d bytes", id, kv[:ksize], len(v))
		}
		if root := ne.Uint64(v); root != 0 {
			if err := c.walk(root, depth+1, false); err != nil {
				return fmt.Errorf("bucket %q: %w", kv[:ksize], err)
			}
			continue
		}
		inline := v[bucketHeaderSize:]
		if len(inline) < pageHeaderSize || ne.Uint16(inline[8:]) != leafPageFlag ||
			pageHeaderSize+uint64(ne.Uint16(inline[10:]))*elementSize > uint64(len(inline)) {
			return fmt.Errorf("page %d: bucket %q: damaged inline page", id, kv[:ksize])
		}
	}
	return nil
}

// element returns the n bytes that a page element at offset at places pos bytes after itself,
// checking that they lie inside page p.
func element(p []byte, at, pos, n uint64) ([]byte, error) {
	start := at + pos
	if start < at || start+n < start || start+n > uint64(len(p)) {
		return nil, fmt.Errorf("%d bytes at %d run past the page", n, pos)
	}
	return p[start : start+n], nil
}

// verifyFile opens path and runs checkFile on it, through a read-only mapping where there is one.
// A fault while reading (the file shrinking meanwhile) is an error like any other.
func verifyFile(path string) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	r, unmap := mapForCheck(f, fi.Size())
	defer unmap()
	defer guard(path, &err)()
	return checkFile(r, fi.Size())
}

// guard recovers a panic in a read of the database file at path — bbolt's assertions on a
// damaged page, an index out of range, or a fault reading past the end of the mapped file, which
// it turns into a panic for the calling goroutine — into *err, wrapping ErrCorrupt and naming the
// file. Every exported method that reads the file starts with
//
//	defer guard(d.path, &err)()
func guard(path string, err *error) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			*err = fmt.Errorf("%w: %s: %v", ErrCorrupt, path, r)
		}
	}
}
