package analysis

import (
	"errors"
	"hash"
	"io"
	"sync"
	"sync/atomic"
)

// Chunks a layer stream is read in. Each layer walker holds at most maxChunks of them (2 MiB,
// what the bufio and copy buffers they replace took), so the hasher may fall behind the tar
// reader by up to maxChunks-1 chunks before the reader waits for it. The walker's speed varies
// along a layer (runs of small headers are slow, skipped content is fast), and the slack lets
// the two overlap: walking the benchmark image's 209 MB base layer took ~150 ms with 6 chunks,
// ~140 ms with 8, of which the hasher was busy ~125 ms. 12 or 16 chunks gained nothing
// measurable on the whole scan and cost 5-8 MiB more peak RSS.
const (
	chunkSize = 256 << 10
	maxChunks = 8
)

// chunkPool keeps chunks from one layer to the next.
var chunkPool = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// errSeek is returned by [chunkReader.Seek] for anything but a forward seek from the current
// position: a layer stream is read once.
var errSeek = errors.New("analysis: layer stream seeks forward only")

// chunkReader reads a stream in chunks, hashes every byte on a goroutine of its own,
// and serves Read and forward Seek from the same chunks: verifying a layer's diffID overlaps
// with parsing it, costs no copy, and content archive/tar skips (by seeking) is never copied
// out. It is not safe for concurrent use; only the hashing runs on another goroutine.
//
// Chunk reuse: every filled chunk goes both to the hasher (over work) and to the reader (as
// cur). The reader fills a new chunk only once it has consumed cur, so it has moved past every
// chunk filled so far; a chunk the hasher hands back over hashed is then free on both sides.
//
// The caller must call close when done, which ends the hashing goroutine.
type chunkReader struct {
	src io.Reader
	on  func(int64) // told about every chunk read from src; may be nil

	cur []byte // the chunk being served
	off int    // how much of cur is consumed
	pos int64  // bytes consumed in all
	err error  // sticky: io.EOF once src is exhausted, or src's error

	chunks int           // chunks taken from chunkPool so far, at most maxChunks
	work   chan []byte   // filled chunks, in stream order, to the hasher
	hashed chan []byte   // chunks the hasher is done with
	abort  atomic.Bool   // tells the hasher to stop hashing (an error path)
	done   chan struct{} // closed when the hasher has returned
	closed bool
	h      hash.Hash
}

// newChunkReader starts hashing src into h, which must not be used until sum or close returns.
func newChunkReader(src io.Reader, h hash.Hash, onBytes func(int64)) *chunkReader {
	r := &chunkReader{
		src:    src,
		on:     onBytes,
		work:   make(chan []byte, maxChunks),
		hashed: make(chan []byte, maxChunks), // never full: there are only maxChunks chunks
		done:   make(chan struct{}),
		h:      h,
	}
	go r.hash()
	return r
}

func (r *chunkReader) hash() {
	defer close(r.done)
	for c := range r.work {
		if !r.abort.Load() {
			r.h.Write(c)
		}
		r.hashed <- c[:cap(c)]
	}
}

// fill reads the next chunk from src into cur. It returns io.EOF at the end of the stream and
// src's error, sticky, after the bytes read before it.
func (r *chunkReader) fill() error {
	if r.err != nil {
		return r.err
	}
	var buf []byte
	if r.chunks < maxChunks {
		r.chunks++
		buf = chunkPool.Get().(*[chunkSize]byte)[:]
	} else {
		buf = <-r.hashed
	}
	n, err := io.ReadFull(r.src, buf)
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		r.err = io.EOF
	default:
		r.err = err
	}
	if n == 0 {
		r.hashed <- buf // unused: first in line for the next fill
		return r.err
	}
	r.cur, r.off = buf[:n], 0
	r.work <- r.cur
	if r.on != nil {
		r.on(int64(n))
	}
	return nil
}

// Read serves the stream from the current chunk.
func (r *chunkReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.off == len(r.cur) {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.cur[r.off:])
	r.off += n
	r.pos += int64(n)
	return n, nil
}

// Seek skips offset bytes forward when whence is io.SeekCurrent and offset >= 0; the skipped
// bytes are still hashed. It returns the new position, the number of bytes consumed so far. Like
// a file's Seek it is lazy about the end: it stops there without error, and the next Read
// reports io.EOF or the source's error. Any other seek returns an error.
func (r *chunkReader) Seek(offset int64, whence int) (int64, error) {
	if whence != io.SeekCurrent || offset < 0 {
		return r.pos, errSeek
	}
	for offset > 0 {
		if r.off == len(r.cur) && r.fill() != nil {
			break
		}
		n := int(min(offset, int64(len(r.cur)-r.off)))
		r.off += n
		r.pos += int64(n)
		offset -= int64(n)
	}
	return r.pos, nil
}

// discardRest consumes the stream to its end, so that the digest covers all of it.
func (r *chunkReader) discardRest() error {
	for {
		if r.off == len(r.cur) {
			if err := r.fill(); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
		r.pos += int64(len(r.cur) - r.off)
		r.off = len(r.cur)
	}
}

// sum returns the digest of the whole stream. The source must have been read to its end (as
// discardRest or a Read returning io.EOF do); otherwise it returns an error.
func (r *chunkReader) sum() ([]byte, error) {
	if r.err != io.EOF {
		return nil, errors.New("analysis: digest of a stream not read to its end")
	}
	r.stop(false)
	return r.h.Sum(nil), nil
}

// close ends the hashing goroutine, skipping what it has not hashed yet, and returns the chunks
// to the pool. The reader must not be used afterwards.
func (r *chunkReader) close() { r.stop(true) }

func (r *chunkReader) stop(abort bool) {
	if r.closed {
		return
	}
	r.closed = true
	if abort {
		r.abort.Store(true)
	}
	close(r.work)
	<-r.done
	// Every chunk is now in hashed: the hasher has handed back all it got, and a chunk never
	// sent to it was put there by fill.
	for range r.chunks {
		chunkPool.Put((*[chunkSize]byte)(<-r.hashed))
	}
	r.cur, r.off, r.chunks = nil, 0, 0
}
