package analysis

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/rampartsec/rampart/internal/inventory"
)

// TestFileBuffersBudget drives get and put at random and checks the bookkeeping against its own
// count: the buffers held never exceed the budget, a buffer is never handed out twice while in
// use, and get refuses only when the buffers in use leave no room.
func TestFileBuffersBudget(t *testing.T) {
	const budget = 1 << 20
	rnd := rand.New(rand.NewPCG(11, 12))
	fb := &fileBuffers{budget: budget}
	inUse := map[*byte][]byte{}
	var inUseBytes int64
	for range 20000 {
		if len(inUse) > 0 && rnd.IntN(2) == 0 {
			for k, b := range inUse {
				delete(inUse, k)
				inUseBytes -= int64(cap(b))
				fb.put(b)
				break
			}
			continue
		}
		size := 1 + rnd.Int64N(budget/3)
		if rnd.IntN(10) == 0 {
			size = 1 + rnd.Int64N(2*budget) // sometimes more than fits at all
		}
		b := fb.get(size)
		if b == nil {
			need := (size + bufAlign - 1) / bufAlign * bufAlign
			if need > budget {
				need = size
			}
			if inUseBytes+need <= budget {
				t.Fatalf("get(%d) refused with %d of %d bytes in use", size, inUseBytes, budget)
			}
			continue
		}
		if int64(len(b)) < size || cap(b) != len(b) {
			t.Fatalf("get(%d) returned len %d cap %d", size, len(b), cap(b))
		}
		if _, dup := inUse[&b[0]]; dup {
			t.Fatalf("get(%d) returned a buffer still in use", size)
		}
		inUse[&b[0]] = b
		inUseBytes += int64(cap(b))
		if fb.held > budget || inUseBytes > fb.held {
			t.Fatalf("held %d, in use %d, budget %d", fb.held, inUseBytes, budget)
		}
	}
	if fb.peak > budget {
		t.Errorf("peak %d over the budget %d", fb.peak, budget)
	}
	fb.dropFree()
	if fb.held != inUseBytes || len(fb.free) != 0 {
		t.Errorf("after dropFree: held %d with %d free buffers, want the %d bytes in use", fb.held, len(fb.free), inUseBytes)
	}
	for _, b := range inUse {
		fb.put(b)
	}
	fb.dropFree()
	if fb.held != 0 {
		t.Errorf("after putting everything back and dropFree: held %d, want 0", fb.held)
	}
}

// contentAnalyzer wants every file and checks that Data, when set, is exactly the file's
// content: a reused buffer must not show its previous file's bytes or length.
type contentAnalyzer struct {
	want    map[string][]byte
	mu      sync.Mutex
	inMem   map[string]bool
	badData []string
}

func (*contentAnalyzer) Name() string                      { return "test-content" }
func (*contentAnalyzer) Version() int                      { return 1 }
func (*contentAnalyzer) Required(string, fs.FileInfo) bool { return true }
func (c *contentAnalyzer) Analyze(_ context.Context, f *inventory.File) (*inventory.Result, error) {
	got, err := f.Bytes()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !bytes.Equal(got, c.want[f.Path]) || cap(got) != len(got) {
		c.badData = append(c.badData, fmt.Sprintf("%s: len %d cap %d, want %d bytes", f.Path, len(got), cap(got), len(c.want[f.Path])))
	}
	c.inMem[f.Path] = f.Data != nil
	return nil, nil
}

// TestBuffersReusedAcrossFilesAndLayers walks layers on parallel goroutines through one
// Analyzer with a small budget, big files before small ones so buffers get reused, and checks
// every file's content and where it was held.
func TestBuffersReusedAcrossFilesAndLayers(t *testing.T) {
	rnd := rand.New(rand.NewPCG(13, 14))
	ca := &contentAnalyzer{want: map[string][]byte{}, inMem: map[string]bool{}}
	const limit, budget = 96 << 10, 256 << 10
	var layers [][]byte
	for l := range 4 {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for i, size := range []int{90 << 10, 200 << 10, 70 << 10, 5, 64 << 10, 0, 1000, 95 << 10} {
			name := fmt.Sprintf("l%d/f%d", l, i)
			body := randomBytes(rnd, size)
			ca.want[name] = body
			tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg})
			tw.Write(body)
		}
		tw.Close()
		layers = append(layers, buf.Bytes())
	}
	a := New([]inventory.Analyzer{ca}, Config{MemFileLimit: limit, MemBudget: budget, TempDir: t.TempDir()})
	var wg sync.WaitGroup
	errs := make([]error, len(layers))
	for i, layer := range layers {
		wg.Go(func() {
			_, errs[i] = a.walkLayer(context.Background(), bytes.NewReader(layer), diffID(layer), nil)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("layer %d: %v", i, err)
		}
	}
	if len(ca.badData) > 0 {
		t.Errorf("wrong content handed to the analyzer:\n%s", strings.Join(ca.badData, "\n"))
	}
	for name, body := range ca.want {
		if len(body) > limit && ca.inMem[name] {
			t.Errorf("%s (%d bytes, over the %d-byte file limit) was held in memory", name, len(body), limit)
		}
	}
	if a.bufs.peak > budget {
		t.Errorf("buffers peaked at %d bytes, budget %d", a.bufs.peak, budget)
	}
	if a.bufs.peak == 0 {
		t.Error("no file was held in memory")
	}
}
