package image

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/zstd"
)

// maxMetadata bounds the JSON documents (index, manifest, config) read into memory from an
// archive or layout.
const maxMetadata = 16 << 20

// sizeUnknown is the size of a blob whose size no descriptor gives.
const sizeUnknown = -1

// blob is a file of a store that must hash to a digest: a blob of an OCI layout, or a file of a
// docker archive named after its digest.
type blob struct {
	s     store
	name  string  // the file in the store
	label string  // what messages call it: "layer sha256:…", "manifest sha256:…", an entry name
	want  v1.Hash // the digest its content must have; none (the zero Hash) for a file no digest names
	size  int64   // the size it must have, or sizeUnknown
}

// ociBlob is the blob of s that d describes.
func ociBlob(s store, d v1.Descriptor, kind string) blob {
	return blob{s: s, name: "blobs/" + d.Digest.Algorithm + "/" + d.Digest.Hex,
		label: kind + " " + d.Digest.String(), want: d.Digest, size: d.Size}
}

// open returns the blob's content; the stream checks the digest (and size) at its end and
// returns an error wrapping ErrInvalid instead of io.EOF when they do not match. Nothing is
// read twice: the check costs no more than the read.
func (b blob) open() (io.ReadCloser, error) {
	rc, n, err := b.s.open(b.name)
	if err != nil {
		return nil, err
	}
	if b.want == (v1.Hash{}) {
		return rc, nil
	}
	if b.want.Algorithm != "sha256" {
		rc.Close()
		return nil, fmt.Errorf("%w: %s: %s: unsupported digest algorithm", ErrInvalid, b.s.where(), b.label)
	}
	if b.size != sizeUnknown && n != b.size {
		rc.Close()
		return nil, fmt.Errorf("%w: %s: %s does not match its descriptor: %d bytes, not %d", ErrInvalid, b.s.where(), b.label, n, b.size)
	}
	return readCloser{&digestReader{r: rc, h: sha256.New(), b: b}, rc}, nil
}

// read returns the blob's content, refusing one larger than limit.
func (b blob) read(limit int64) ([]byte, error) {
	if b.size > limit {
		return nil, fmt.Errorf("%w: %s: %s is larger than %d bytes", ErrInvalid, b.s.where(), b.label, limit)
	}
	rc, err := b.open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: %s: %s is larger than %d bytes", ErrInvalid, b.s.where(), b.label, limit)
	}
	return data, nil
}

// readFile reads the file name of s, refusing one larger than limit.
func readFile(s store, name string, limit int64) ([]byte, error) {
	return blob{s: s, name: name, label: name, size: sizeUnknown}.read(limit)
}

// digestReader hashes what it reads and checks it at the end.
type digestReader struct {
	r io.Reader
	h hash.Hash
	n int64
	b blob
}

func (d *digestReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.h.Write(p[:n])
	d.n += int64(n)
	if err == io.EOF {
		if d.b.size != sizeUnknown && d.n != d.b.size {
			return n, fmt.Errorf("%w: %s: %s does not match its descriptor: %d bytes, not %d", ErrInvalid, d.b.s.where(), d.b.label, d.n, d.b.size)
		}
		if got := hex.EncodeToString(d.h.Sum(nil)); got != d.b.want.Hex {
			return n, fmt.Errorf("%w: %s: %s does not match its digest: content hashes to sha256:%s", ErrInvalid, d.b.s.where(), d.b.label, got)
		}
	}
	return n, err
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// uncompress returns the uncompressed tar stream of a layer blob: gzip, zstd or plain, as its
// first bytes say. When the decompressed stream ends, the rest of rc is read, so that a
// verifying rc checks its digest (and compressed bytes after the end are not ignored).
func uncompress(rc io.ReadCloser, s store, label string) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(rc, 64<<10)
	magic, err := br.Peek(len(zstdMagic))
	if err != nil && err != io.EOF {
		rc.Close()
		return nil, err
	}
	var zr io.Reader
	var zclose func()
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		g, err := gzip.NewReader(br)
		if err != nil {
			rc.Close()
			return nil, decompressError(err, s, label)
		}
		zr, zclose = g, func() { g.Close() }
	case bytes.HasPrefix(magic, zstdMagic):
		// A window of at most 128 MiB (zstd's own default limit): a frame header alone cannot
		// make the decoder allocate more.
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			rc.Close()
			return nil, decompressError(err, s, label)
		}
		zr, zclose = z, z.Close
	default:
		return readCloser{br, rc}, nil
	}
	return &uncompressed{zr: zr, rest: br, rc: rc, zclose: zclose, s: s, label: label}, nil
}

type uncompressed struct {
	zr     io.Reader
	rest   io.Reader
	rc     io.Closer
	zclose func()
	s      store
	label  string
}

func (u *uncompressed) Read(p []byte) (int, error) {
	n, err := u.zr.Read(p)
	if err == io.EOF {
		if _, derr := io.Copy(io.Discard, u.rest); derr != nil {
			return n, derr
		}
		return n, io.EOF
	}
	if err != nil {
		err = decompressError(err, u.s, u.label)
	}
	return n, err
}

func (u *uncompressed) Close() error {
	u.zclose()
	return u.rc.Close()
}

// decompressError wraps an error of a decompressor with ErrInvalid, unless it comes from
// below it: a digest check (already ErrInvalid), a cancelled context, the file system.
func decompressError(err error, s store, label string) error {
	var perr *fs.PathError
	if errors.Is(err, ErrInvalid) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &perr) {
		return err
	}
	return fmt.Errorf("%w: %s: %s: %w", ErrInvalid, s.where(), label, err)
}
