package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// corruptFixture is a real database and what the tests read back from it: every key of the
// records, packages, aliases, kev and epss buckets, so that reading "everything" touches every
// leaf page.
type corruptFixture struct {
	file                                []byte
	ids, packages, aliases, kevs, epsss []string
}

// buildCorruptFixture imports real data into a small database: the first n records of the
// bundled npm export, the bundled CISA KEV catalog, the EPSS test file and a hash list.
func buildCorruptFixture(t testing.TB, n int) corruptFixture {
	t.Helper()
	tmp := t.TempDir()
	zr, err := zip.OpenReader(filepath.Join(shippedDir, "npm-all.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File[:min(n, len(zr.File))] {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(f.Name)
		io.Copy(w, rc)
		rc.Close()
	}
	zw.Close()
	npm := filepath.Join(tmp, "npm-part.zip")
	os.WriteFile(npm, buf.Bytes(), 0o644)
	hashes := filepath.Join(tmp, "hashes.txt")
	os.WriteFile(hashes, []byte(strings.Repeat("a", 64)+"  one\n"+strings.Repeat("b", 64)+"  two\n"), 0o644)
	dir := filepath.Join(tmp, "db")
	paths := []string{npm, filepath.Join(shippedDir, "known_exploited_vulnerabilities.json"), "testdata/epss.csv", hashes}
	if _, err := Import(context.Background(), dir, paths, ImportOptions{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	var fx corruptFixture
	fx.file, err = os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(filepath.Join(dir, FileName), 0, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.View(func(tx *bolt.Tx) error {
		for name, keys := range map[string]*[]string{"records": &fx.ids, "packages": &fx.packages, "aliases": &fx.aliases, "kev": &fx.kevs, "epss": &fx.epsss} {
			tx.Bucket([]byte(name)).ForEach(func(k, _ []byte) error {
				*keys = append(*keys, string(k))
				return nil
			})
		}
		return nil
	})
	if len(fx.ids) < n/2 || len(fx.kevs) < 1000 || len(fx.epsss) == 0 {
		t.Fatalf("fixture: %d records, %d KEV, %d EPSS", len(fx.ids), len(fx.kevs), len(fx.epsss))
	}
	return fx
}

// readAll opens the database in dir and reads everything in it through the exported API. It
// fails the test on an error that does not wrap ErrCorrupt (or, for ByID, ErrNotFound: a
// damaged key is absent) and returns how many reads reported corruption. A panic or a crash
// fails the test by itself.
func (fx corruptFixture) readAll(t *testing.T, dir string) (corrupt int) {
	t.Helper()
	ctx := context.Background()
	check := func(what string, err error, also ...error) {
		if err == nil {
			return
		}
		if errors.Is(err, ErrCorrupt) {
			corrupt++
			if !strings.Contains(err.Error(), filepath.Join(dir, FileName)) {
				t.Errorf("%s: %v: does not name the file", what, err)
			}
			return
		}
		for _, a := range also {
			if errors.Is(err, a) {
				return
			}
		}
		t.Errorf("%s: %v, want an error wrapping ErrCorrupt", what, err)
	}
	d, err := Open(dir)
	if err != nil {
		check("Open", err, ErrSchema)
		return corrupt + 1
	}
	defer d.Close()
	_, err = d.Status()
	check("Status", err)
	_, err = d.MalwareHashes()
	check("MalwareHashes", err)
	for _, id := range fx.ids {
		_, err := d.ByID(ctx, id)
		check("ByID "+id, err, ErrNotFound)
	}
	for _, k := range fx.packages {
		eco, name, _ := strings.Cut(k, "\x00")
		_, err := d.Lookup(ctx, eco, name)
		check("Lookup "+eco+" "+name, err)
	}
	for _, a := range fx.aliases {
		_, err := d.ByAlias(ctx, a)
		check("ByAlias "+a, err)
	}
	for _, c := range fx.kevs {
		d.KEV(c)
	}
	for _, c := range fx.epsss {
		d.EPSS(c)
	}
	return corrupt
}

func writeDB(t testing.TB, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestOpenTruncated cuts a real database at several points, among them the 100,000 bytes of
// `head -c 100000 rampart.db > rampart.db` and the empty file that command really leaves (the
// shell truncates the file before head reads it): Open refuses each with ErrCorrupt naming the
// file, where bbolt used to panic ("assertion failed: Page expected …") or fault.
func TestOpenTruncated(t *testing.T) {
	fx := buildCorruptFixture(t, 400)
	size := len(fx.file)
	if used := int(currentMeta(parseMeta(fx.file), parseMeta(fx.file[4096:])).hwm) * 4096; used < 200_000 || used > size {
		t.Fatalf("fixture of %d bytes, %d in use: too small for the cut points", size, used)
	}
	used := int(currentMeta(parseMeta(fx.file), parseMeta(fx.file[4096:])).hwm) * 4096 // the rest is space bbolt allocated ahead
	for _, cut := range []int{0, 1, 100, 4095, 4096, 8191, 8192, 3 * 4096, 100_000, used / 2, used - 4096, used - 1, used, size - 1} {
		dir := writeDB(t, fx.file[:cut])
		if cut >= used {
			if n := fx.readAll(t, dir); n != 0 {
				t.Errorf("cut at %d, after the %d bytes in use: %d reads report corruption", cut, used, n)
			}
			continue
		}
		_, err := Open(dir)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), filepath.Join(dir, FileName)) {
			t.Errorf("cut at %d of %d bytes: Open error = %v, want ErrCorrupt naming the file", cut, size, err)
		}
	}
	// The intact file reads whole.
	if n := fx.readAll(t, writeDB(t, fx.file)); n != 0 {
		t.Errorf("intact database: %d reads report corruption", n)
	}
}

// TestCorruptBytes flips bytes of a real database — anywhere, and in page headers, where they
// break the B+tree — and reads everything back: no panic, no crash, no hang, and every error
// wraps ErrCorrupt and names the file.
func TestCorruptBytes(t *testing.T) {
	fx := buildCorruptFixture(t, 150)
	const pageSize = 4096
	pages := len(fx.file) / pageSize
	rng := rand.New(rand.NewPCG(1, 2))
	iterations := 150
	if testing.Short() {
		iterations = 30
	}
	detected := 0
	for i := range iterations {
		data := bytes.Clone(fx.file)
		for range 1 + rng.IntN(4) {
			var at int
			if rng.IntN(2) == 0 {
				at = rng.IntN(len(data))
			} else {
				at = rng.IntN(pages)*pageSize + rng.IntN(pageHeaderSize)
			}
			data[at] ^= byte(1 + rng.IntN(255))
		}
		if fx.readAll(t, writeDB(t, data)) > 0 {
			detected++
		}
		if t.Failed() {
			t.Fatalf("iteration %d", i)
		}
	}
	t.Logf("%d of %d damaged databases reported corruption", detected, iterations)
	if detected == 0 {
		t.Error("no damage detected at all: the test does not reach the file's structure")
	}
}

// TestReadPanicRecovered damages a leaf page after Open's check, as a concurrent writer or a
// failing disk could: the read that meets it returns ErrCorrupt instead of taking the process
// down.
func TestReadPanicRecovered(t *testing.T) {
	fx := buildCorruptFixture(t, 50)
	dir := writeDB(t, fx.file)
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// Overwrite the file in place (bbolt maps it shared): every leaf of the records bucket now
	// claims another page id, which bbolt asserts against.
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for p := int64(2); p*4096 < int64(len(fx.file)); p++ {
		var hdr [pageHeaderSize]byte
		f.ReadAt(hdr[:], p*4096)
		if ne.Uint16(hdr[8:]) == leafPageFlag {
			ne.PutUint64(hdr[:], ne.Uint64(hdr[:])+1000)
			f.WriteAt(hdr[:], p*4096)
		}
	}
	_, err = d.ByID(context.Background(), fx.ids[0])
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), filepath.Join(dir, FileName)) {
		t.Errorf("ByID on a damaged page: %v, want ErrCorrupt naming the file", err)
	}
	if _, ok := d.KEV(fx.kevs[0]); ok {
		t.Error("KEV on a damaged page reports an entry")
	}
	if _, err := d.MalwareHashes(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("MalwareHashes on a damaged page: %v, want ErrCorrupt", err)
	}
}

// FuzzOpen feeds arbitrary database files to Open and every read: never a panic or a crash, and
// only ErrCorrupt (or ErrSchema, ErrNotFound) as errors. Seeds: a small real database, whole and
// cut short.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	hashes := filepath.Join(dir, "hashes.txt")
	os.WriteFile(hashes, []byte(strings.Repeat("c", 64)+"  three\n"), 0o644)
	db := filepath.Join(dir, "db")
	if _, err := Import(context.Background(), db, []string{"testdata/osv", "testdata/epss.csv", hashes}, ImportOptions{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(filepath.Join(db, FileName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add(seed[:2*4096])
	fx := corruptFixture{
		ids:      []string{"TEST-2024-0001", "TEST-2024-0002", "TEST-2024-0003"},
		packages: []string{"Debian:12\x00openssl", "Go\x00golang.org/x/text", "PyPI\x00django"},
		aliases:  []string{"CVE-2024-0001"},
		kevs:     []string{"CVE-2021-44228"},
		epsss:    []string{"CVE-2021-44228", "CVE-1999-0001"},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fx.readAll(t, writeDB(t, data))
	})
}
