package analysis

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/rampartsec/rampart/internal/inventory"
)

// shortReader returns at most a random number of bytes per Read, as a network or gzip stream does.
type shortReader struct {
	r   io.Reader
	rnd *rand.Rand
}

func (s *shortReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1+s.rnd.IntN(len(p))]
	}
	return s.r.Read(p)
}

func randomBytes(rnd *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

// noLeak fails the test when goroutines started during it are still running shortly after.
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("%d goroutines left running, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
}

// TestChunkReaderServesTheInput reads streams of sizes around the chunk boundaries with random
// Read sizes and random forward seeks, from sources that return short reads, and compares what
// came out, the positions and the digest with the input itself.
func TestChunkReaderServesTheInput(t *testing.T) {
	noLeak(t)
	sizes := []int{0, 1, 511, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + chunkSize/2, 2*maxChunks*chunkSize + 17}
	for _, size := range sizes {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%d/seed%d", size, seed), func(t *testing.T) {
				rnd := rand.New(rand.NewPCG(seed, uint64(size)))
				in := randomBytes(rnd, size)
				var counted int64
				cr := newChunkReader(&shortReader{bytes.NewReader(in), rnd}, sha256.New(), func(n int64) { counted += n })
				defer cr.close()
				pos := 0
				for pos < size {
					if rnd.IntN(3) == 0 {
						skip := rnd.IntN(2 * chunkSize)
						got, err := cr.Seek(int64(skip), io.SeekCurrent)
						pos = min(pos+skip, size)
						if err != nil || got != int64(pos) {
							t.Fatalf("Seek(%d) = %d, %v; want %d, nil", skip, got, err, pos)
						}
						continue
					}
					p := make([]byte, 1+rnd.IntN(chunkSize+chunkSize/2))
					n, err := cr.Read(p)
					if err != nil {
						t.Fatalf("Read at %d of %d: %v", pos, size, err)
					}
					if !bytes.Equal(p[:n], in[pos:pos+n]) {
						t.Fatalf("Read at %d returned %d bytes that differ from the input", pos, n)
					}
					pos += n
				}
				if got, err := cr.Seek(0, io.SeekCurrent); got != int64(size) || err != nil {
					t.Errorf("Seek(0, SeekCurrent) at the end = %d, %v; want %d", got, err, size)
				}
				if n, err := cr.Read(make([]byte, 10)); n != 0 || err != io.EOF {
					t.Errorf("Read at the end = %d, %v; want 0, io.EOF", n, err)
				}
				if err := cr.discardRest(); err != nil {
					t.Fatal(err)
				}
				sum, err := cr.sum()
				if err != nil {
					t.Fatal(err)
				}
				if want := sha256.Sum256(in); !bytes.Equal(sum, want[:]) {
					t.Errorf("digest %x, want %x", sum, want)
				}
				if counted != int64(size) {
					t.Errorf("onBytes counted %d bytes, want %d", counted, size)
				}
			})
		}
	}
}

func TestChunkReaderDiscardRestHashesEverything(t *testing.T) {
	noLeak(t)
	rnd := rand.New(rand.NewPCG(1, 2))
	in := randomBytes(rnd, 5*maxChunks*chunkSize/2+3)
	cr := newChunkReader(&shortReader{bytes.NewReader(in), rnd}, sha256.New(), nil)
	defer cr.close()
	head := make([]byte, 1000)
	if _, err := io.ReadFull(cr, head); err != nil || !bytes.Equal(head, in[:1000]) {
		t.Fatalf("first 1000 bytes: %v", err)
	}
	if err := cr.discardRest(); err != nil {
		t.Fatal(err)
	}
	sum, err := cr.sum()
	if want := sha256.Sum256(in); err != nil || !bytes.Equal(sum, want[:]) {
		t.Errorf("digest %x, %v; want %x", sum, err, want)
	}
}

// slowHash is a sha256 that reads each chunk in Go first (so the race detector sees the reads,
// which the assembly block function hides) and sleeps, so the reader runs ahead and waits for
// chunks to come back: a chunk reused before the hasher is done with it changes the digest.
type slowHash struct {
	hash.Hash
	sink byte
}

func (s *slowHash) Write(p []byte) (int, error) {
	for _, b := range p {
		s.sink ^= b
	}
	time.Sleep(200 * time.Microsecond)
	for _, b := range p[len(p)/2:] {
		s.sink ^= b
	}
	return s.Hash.Write(p)
}

func TestChunkReaderWaitsForTheHasher(t *testing.T) {
	noLeak(t)
	rnd := rand.New(rand.NewPCG(9, 10))
	in := randomBytes(rnd, 6*maxChunks*chunkSize+5)
	for _, reads := range []bool{false, true} {
		cr := newChunkReader(bytes.NewReader(in), &slowHash{Hash: sha256.New()}, nil)
		if reads {
			// Small reads keep the reader on each chunk a while; seeks jump over several.
			pos := 0
			for pos < len(in) {
				if rnd.IntN(4) == 0 {
					skip := rnd.IntN(3 * chunkSize)
					cr.Seek(int64(skip), io.SeekCurrent)
					pos = min(pos+skip, len(in))
					continue
				}
				p := make([]byte, 1+rnd.IntN(4096))
				n, err := cr.Read(p)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(p[:n], in[pos:pos+n]) {
					t.Fatalf("Read at %d returned bytes that differ from the input", pos)
				}
				pos += n
			}
		}
		if err := cr.discardRest(); err != nil {
			t.Fatal(err)
		}
		sum, err := cr.sum()
		if want := sha256.Sum256(in); err != nil || !bytes.Equal(sum, want[:]) {
			t.Errorf("digest %x, %v; want %x", sum, err, want)
		}
	}
}

func TestChunkReaderSeekOnlyForward(t *testing.T) {
	noLeak(t)
	cr := newChunkReader(strings.NewReader("0123456789"), sha256.New(), nil)
	defer cr.close()
	if _, err := cr.Seek(3, io.SeekCurrent); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		off    int64
		whence int
	}{{-1, io.SeekCurrent}, {0, io.SeekStart}, {5, io.SeekStart}, {0, io.SeekEnd}} {
		if pos, err := cr.Seek(s.off, s.whence); !errors.Is(err, errSeek) || pos != 3 {
			t.Errorf("Seek(%d, %d) = %d, %v; want 3, errSeek", s.off, s.whence, pos, err)
		}
	}
	// Past the end the seek stops there without error; the next Read says io.EOF.
	if pos, err := cr.Seek(100, io.SeekCurrent); pos != 10 || err != nil {
		t.Errorf("Seek past the end = %d, %v; want 10, nil", pos, err)
	}
	if _, err := cr.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("Read after the end = %v, want io.EOF", err)
	}
}

// A source that fails part way serves every byte before the failure, then the source's error,
// again and again; the digest of an unfinished stream is refused.
func TestChunkReaderSourceError(t *testing.T) {
	noLeak(t)
	errDisk := errors.New("disk gone")
	rnd := rand.New(rand.NewPCG(3, 4))
	in := randomBytes(rnd, 3*chunkSize+100)
	for _, seek := range []bool{false, true} {
		cr := newChunkReader(io.MultiReader(bytes.NewReader(in), iotest.ErrReader(errDisk)), sha256.New(), nil)
		if seek {
			if pos, err := cr.Seek(int64(len(in))+50, io.SeekCurrent); err != nil || pos != int64(len(in)) {
				t.Errorf("Seek over the failure = %d, %v; want %d, nil (lazy)", pos, err, len(in))
			}
		} else {
			got, err := io.ReadAll(cr)
			if !bytes.Equal(got, in) {
				t.Errorf("read %d bytes before the error, want the %d of the input", len(got), len(in))
			}
			if !errors.Is(err, errDisk) {
				t.Errorf("ReadAll error = %v, want %v", err, errDisk)
			}
		}
		if _, err := cr.Read(make([]byte, 1)); !errors.Is(err, errDisk) {
			t.Errorf("Read after the error = %v, want it again", err)
		}
		if err := cr.discardRest(); !errors.Is(err, errDisk) {
			t.Errorf("discardRest = %v, want %v", err, errDisk)
		}
		if _, err := cr.sum(); err == nil {
			t.Error("sum of a failed stream returned no error")
		}
		cr.close()
	}
}

// Closing a reader anywhere in the stream, with chunks still queued for the hasher, ends its
// goroutine and is safe to repeat.
func TestChunkReaderCloseEarly(t *testing.T) {
	noLeak(t)
	in := make([]byte, 4*maxChunks*chunkSize)
	for _, at := range []int{0, 1, chunkSize, maxChunks * chunkSize, 3 * maxChunks * chunkSize} {
		cr := newChunkReader(bytes.NewReader(in), sha256.New(), nil)
		if _, err := cr.Seek(int64(at), io.SeekCurrent); err != nil {
			t.Fatal(err)
		}
		cr.close()
		cr.close()
	}
}

// layerOf builds a tar layer with files of the given sizes named f0, f1, …; "*.pkg" files hold
// package lines, others random bytes the test analyzer does not want (and the reader skips).
func layerOf(t *testing.T, rnd *rand.Rand, names []string, sizes []int) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i, name := range names {
		body := randomBytes(rnd, sizes[i])
		if strings.HasSuffix(name, ".pkg") {
			body = []byte(fmt.Sprintf("pkg%d 1.%d\n", i, i))
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWalkLayerSkipsAndVerifies walks a layer whose large unwanted files archive/tar skips by
// seeking: the wanted files are still found, the diffID still verified, the progress counts
// every byte, and truncation inside skipped content is refused even without a diffID.
func TestWalkLayerSkipsAndVerifies(t *testing.T) {
	noLeak(t)
	rnd := rand.New(rand.NewPCG(5, 6))
	names := []string{"a.pkg", "big1.bin", "b.pkg", "big2.bin", "small.bin", "c.pkg"}
	layer := layerOf(t, rnd, names, []int{0, 3*chunkSize + 7, 0, 5 * maxChunks * chunkSize, 100, 0})
	a := New([]inventory.Analyzer{lineAnalyzer{}}, Config{})
	var counted int64
	lr, err := a.walkLayer(context.Background(), &shortReader{bytes.NewReader(layer), rnd}, diffID(layer), func(n int64) { counted += n })
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a.pkg", "b.pkg", "c.pkg"} {
		if lr.Files[p] == nil {
			t.Errorf("%s not analyzed", p)
		}
	}
	if counted != int64(len(layer)) {
		t.Errorf("progress counted %d bytes, layer has %d", counted, len(layer))
	}

	// Flip one byte inside the second big file: only the digest can tell.
	bad := bytes.Clone(layer)
	bad[len(bad)/2] ^= 1
	if _, err := a.walkLayer(context.Background(), bytes.NewReader(bad), diffID(layer), nil); !errors.Is(err, ErrCorruptLayer) || !strings.Contains(err.Error(), "hashes to") {
		t.Errorf("flipped byte in skipped content: err = %v, want a digest mismatch", err)
	}
	// Cuts inside both skipped files and inside the last header (c.pkg's, 2 KiB from the end).
	// (A cut in the last padding or the end-of-archive blocks is archive/tar's to forgive; the
	// diffID catches it.)
	for _, cut := range []int{len(layer) / 2, 1024 + 3*chunkSize, len(layer) - 2048 + 100} {
		_, err := a.walkLayer(context.Background(), bytes.NewReader(layer[:cut]), "", nil)
		if !errors.Is(err, ErrCorruptLayer) {
			t.Errorf("layer cut at %d of %d without diffID: err = %v, want ErrCorruptLayer", cut, len(layer), err)
		}
	}
}

// A source that fails anywhere, even in the trailing padding, fails the walk with both
// ErrCorruptLayer and the source's error, whether the failure lands in a header, in content
// read for an analyzer or in content skipped by seeking.
func TestWalkLayerSourceError(t *testing.T) {
	noLeak(t)
	errDisk := errors.New("disk gone")
	rnd := rand.New(rand.NewPCG(15, 16))
	layer := layerOf(t, rnd, []string{"a.pkg", "big.bin", "b.pkg"}, []int{0, 3 * chunkSize, 0})
	a := New([]inventory.Analyzer{lineAnalyzer{}}, Config{})
	for _, at := range []int{0, 100, 512 + 3, 1024 + 100, 1024 + chunkSize, len(layer) - 2048 + 5, len(layer) - 1024, len(layer) - 1} {
		src := io.MultiReader(bytes.NewReader(layer[:at]), iotest.ErrReader(errDisk))
		_, err := a.walkLayer(context.Background(), src, diffID(layer), nil)
		if !errors.Is(err, ErrCorruptLayer) || !errors.Is(err, errDisk) {
			t.Errorf("source failing at %d of %d: err = %v, want ErrCorruptLayer and %v", at, len(layer), err, errDisk)
		}
	}
}

// cancelAnalyzer cancels the scan when it sees its file.
type cancelAnalyzer struct{ cancel context.CancelFunc }

func (cancelAnalyzer) Name() string                          { return "test-cancel" }
func (cancelAnalyzer) Version() int                          { return 1 }
func (cancelAnalyzer) Required(p string, _ fs.FileInfo) bool { return p == "stop.here" }
func (c cancelAnalyzer) Analyze(ctx context.Context, _ *inventory.File) (*inventory.Result, error) {
	c.cancel()
	return nil, ctx.Err()
}

func TestWalkLayerCancelled(t *testing.T) {
	noLeak(t)
	rnd := rand.New(rand.NewPCG(7, 8))
	layer := layerOf(t, rnd, []string{"big.bin", "stop.here", "more.bin"}, []int{2 * maxChunks * chunkSize, 10, 2 * maxChunks * chunkSize})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := New([]inventory.Analyzer{cancelAnalyzer{cancel}}, Config{})
	if _, err := a.walkLayer(ctx, bytes.NewReader(layer), diffID(layer), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
