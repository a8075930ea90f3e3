package rpm

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
)

// go-rpmdb's Berkeley DB and ndb readers run in a goroutine of their own and trust the file:
// an offset past a page panics there (out of reach of recover), a cycle of overflow pages loops
// forever, and an ndb blob length allocates whatever it says. validate walks the same structures
// with bounds checks first, and rejects any file the library could not read safely. For SQLite
// it checks that the Packages table can be read row by row, so that the library's reader, which
// keeps sending after an error, is never left blocked.

const (
	sqliteMagic = "SQLite format 3\x00"
	ndbMagic    = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlot     = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlob     = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24

	bdbHashMagic   = 0x00061561
	bdbPageHeader  = 26
	bdbOffPageSize = 12
	bdbHashMeta    = 8
	bdbHashOld     = 2  // unsorted hash page (Berkeley DB before 4.6)
	bdbHash        = 13 // sorted hash page
	bdbOverflow    = 7
	bdbHOffPage    = 3 // item stored on overflow pages
)

// validate checks the database at name, detected by its magic number the way go-rpmdb detects it.
func validate(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	head := make([]byte, 16)
	if _, err := f.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	switch {
	case string(head) == sqliteMagic:
		err = validateSQLite(name)
	case binary.LittleEndian.Uint32(head) == ndbMagic:
		err = validateNDB(f, size)
	default:
		err = validateBDB(f, size)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidDatabase, err)
	}
	return nil
}

func validateSQLite(name string) error {
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(name)+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var nulls int
	// go-rpmdb scans every blob into a string: a NULL would fail mid-stream.
	if err := db.QueryRow("SELECT count(*) FROM Packages WHERE blob IS NULL").Scan(&nulls); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if nulls > 0 {
		return fmt.Errorf("sqlite: %d packages without a header", nulls)
	}
	rows, err := db.Query("SELECT blob FROM Packages")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if err := checkHeader(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

func validateNDB(f io.ReaderAt, size int64) error {
	var hdr struct {
		Magic, Version, Generation, SlotPages uint32
		_                                     [4]uint32
	}
	if err := binary.Read(io.NewSectionReader(f, 0, size), binary.LittleEndian, &hdr); err != nil {
		return fmt.Errorf("ndb header: %w", err)
	}
	const page = 4096
	if hdr.Version != 0 || hdr.SlotPages == 0 || hdr.SlotPages > 2048 || int64(hdr.SlotPages)*page > size {
		return fmt.Errorf("ndb: %d slot pages, version %d, in %d bytes", hdr.SlotPages, hdr.Version, size)
	}
	slots := make([]byte, int64(hdr.SlotPages)*page-32)
	if _, err := f.ReadAt(slots, 32); err != nil {
		return fmt.Errorf("ndb slots: %w", err)
	}
	blob := make([]byte, 16)
	for i := 0; i+16 <= len(slots); i += 16 {
		s := slots[i : i+16]
		if binary.LittleEndian.Uint32(s) != ndbSlot {
			return fmt.Errorf("ndb: bad magic in slot %d", i/16)
		}
		pkg := binary.LittleEndian.Uint32(s[4:])
		if pkg == 0 {
			continue
		}
		off := int64(binary.LittleEndian.Uint32(s[8:])) * 16
		if off+16 > size {
			return fmt.Errorf("ndb: package %d at %d is past the end", pkg, off)
		}
		if _, err := f.ReadAt(blob, off); err != nil {
			return fmt.Errorf("ndb blob: %w", err)
		}
		if binary.LittleEndian.Uint32(blob) != ndbBlob || binary.LittleEndian.Uint32(blob[4:]) != pkg {
			return fmt.Errorf("ndb: bad blob header for package %d", pkg)
		}
		n := int64(binary.LittleEndian.Uint32(blob[12:]))
		if n > size-off-16 {
			return fmt.Errorf("ndb: package %d claims %d bytes", pkg, n)
		}
		h := make([]byte, n)
		if _, err := f.ReadAt(h, off+16); err != nil {
			return fmt.Errorf("ndb blob: %w", err)
		}
		if err := checkHeader(h); err != nil {
			return fmt.Errorf("ndb package %d: %w", pkg, err)
		}
	}
	return nil
}

// validateBDB walks a Berkeley DB hash database as go-rpmdb reads it: every hash page's item
// offsets, and every overflow chain that holds a value.
func validateBDB(f io.ReaderAt, size int64) error {
	meta := make([]byte, 96)
	if _, err := f.ReadAt(meta, 0); err != nil {
		return fmt.Errorf("bdb metadata: %w", err)
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch uint32(bdbHashMagic) {
	case binary.LittleEndian.Uint32(meta[12:]):
	case binary.BigEndian.Uint32(meta[12:]):
		order = binary.BigEndian
	default:
		return errors.New("not an rpm database: unknown magic")
	}
	pageSize := int64(order.Uint32(meta[20:]))
	last := int64(order.Uint32(meta[32:]))
	if meta[24] != 0 || meta[25] != bdbHashMeta {
		return errors.New("bdb: encrypted or not a hash database")
	}
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return fmt.Errorf("bdb: page size %d", pageSize)
	}
	if size >= 1<<32 || (last+1)*pageSize > size {
		return fmt.Errorf("bdb: %d pages of %d bytes in %d bytes", last+1, pageSize, size)
	}
	page := make([]byte, pageSize)
	next := make([]byte, pageSize)
	used := make([]bool, last+1) // overflow pages already in a chain
	for p := int64(0); p <= last; p++ {
		if _, err := f.ReadAt(page, p*pageSize); err != nil {
			return fmt.Errorf("bdb page %d: %w", p, err)
		}
		if t := page[25]; t != bdbHash && t != bdbHashOld {
			continue
		}
		n := int64(order.Uint16(page[20:]))
		if n%2 != 0 || bdbPageHeader+2*n > pageSize {
			return fmt.Errorf("bdb page %d: %d entries", p, n)
		}
		// Entries are key/value offset pairs; values are the odd ones.
		for i := int64(1); i < n; i += 2 {
			off := int64(order.Uint16(page[bdbPageHeader+2*i:]))
			if off >= pageSize {
				return fmt.Errorf("bdb page %d: item offset %d", p, off)
			}
			if page[off] != bdbHOffPage {
				continue
			}
			if off+bdbOffPageSize > pageSize || off+bdbOffPageSize > 65535 {
				return fmt.Errorf("bdb page %d: item offset %d", p, off)
			}
			h, err := walkOverflow(f, order, int64(order.Uint32(page[off+4:])), pageSize, used, next)
			if err != nil {
				return fmt.Errorf("bdb page %d: %w", p, err)
			}
			if err := checkHeader(h); err != nil {
				return fmt.Errorf("bdb page %d: %w", p, err)
			}
		}
	}
	return nil
}

// walkOverflow follows one chain of overflow pages, each of which may belong to one chain only,
// and returns the value they hold.
func walkOverflow(f io.ReaderAt, order binary.ByteOrder, cur, pageSize int64, used []bool, buf []byte) ([]byte, error) {
	var value []byte
	for cur != 0 {
		if cur >= int64(len(used)) || used[cur] {
			return nil, fmt.Errorf("overflow page %d is out of range or shared", cur)
		}
		used[cur] = true
		if _, err := f.ReadAt(buf, cur*pageSize); err != nil {
			return nil, fmt.Errorf("overflow page %d: %w", cur, err)
		}
		if buf[25] != bdbOverflow {
			return nil, fmt.Errorf("page %d in an overflow chain has type %d", cur, buf[25])
		}
		nextPage := int64(order.Uint32(buf[16:]))
		if nextPage != 0 {
			value = append(value, buf[bdbPageHeader:]...)
			cur = nextPage
			continue
		}
		// The library adds the 16-bit free offset to the header size in 16 bits.
		fill := int64(order.Uint16(buf[22:]))
		if bdbPageHeader+fill > pageSize || bdbPageHeader+fill > 65535 {
			return nil, fmt.Errorf("overflow page %d: fill %d", cur, fill)
		}
		value = append(value, buf[bdbPageHeader:bdbPageHeader+fill]...)
		cur = 0
	}
	return value, nil
}

// Header entry types that hold NUL-terminated strings.
const (
	rpmString      = 6
	rpmStringArray = 8
	rpmI18NString  = 9
)

// checkHeader checks a header blob's index against its data before go-rpmdb parses it: the
// library allocates the index by the count the blob claims, and looks for as many string
// terminators as an entry claims, scanning again and again when there are fewer.
func checkHeader(b []byte) error {
	if len(b) < 8 {
		return errors.New("header: too short")
	}
	il, dl := int64(int32(binary.BigEndian.Uint32(b))), int64(int32(binary.BigEndian.Uint32(b[4:])))
	if il < 1 || dl < 0 || 8+16*il+dl > int64(len(b)) {
		return fmt.Errorf("header: %d entries and %d data bytes in %d bytes", il, dl, len(b))
	}
	start := 8 + 16*il
	data := b[start : start+dl]
	// nuls[i] is the number of NUL bytes in data[i:].
	nuls := make([]int32, dl+1)
	for i := dl - 1; i >= 0; i-- {
		nuls[i] = nuls[i+1]
		if data[i] == 0 {
			nuls[i]++
		}
	}
	for e := b[8:start]; len(e) >= 16; e = e[16:] {
		typ, off, count := binary.BigEndian.Uint32(e[4:]), int64(int32(binary.BigEndian.Uint32(e[8:]))), int64(binary.BigEndian.Uint32(e[12:]))
		if typ > 15 {
			return fmt.Errorf("header: entry type %d", typ)
		}
		if typ != rpmString && typ != rpmStringArray && typ != rpmI18NString || off < 0 || off >= dl {
			continue
		}
		if count > int64(nuls[off]) {
			return fmt.Errorf("header: %d strings at %d, %d terminators", count, off, nuls[off])
		}
	}
	return nil
}
