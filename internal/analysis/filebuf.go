package analysis

import (
	"slices"
	"sync"
)

// bufAlign rounds buffer sizes up, so that a buffer serves the next file of about its size too.
const bufAlign = 64 << 10

// fileBuffers hands out reusable buffers for file content under one byte budget shared by the
// layers an Analyzer reads in parallel: at most budget bytes of buffers exist at once, and a
// file that does not fit goes to a temporary file instead. Reuse spares the allocation, zeroing
// and collection of every wanted file (all executables, for the Go and Rust analyzers). It is
// safe for concurrent use.
type fileBuffers struct {
	budget int64

	mu   sync.Mutex
	held int64    // bytes of every buffer allocated and not dropped, in use or free
	free [][]byte // buffers not in use, by increasing capacity
	peak int64    // the most held at once, for tests
}

// get returns a buffer of at least size bytes, or nil when the budget cannot hold one: then
// the caller streams the file to disk. The buffer's content is whatever its last user left;
// hand it back with put.
func (fb *fileBuffers) get(size int64) []byte {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	// Best fit: the smallest free buffer that holds size.
	if i, _ := slices.BinarySearchFunc(fb.free, size, func(b []byte, n int64) int {
		return int(min(max(int64(cap(b))-n, -1), 1))
	}); i < len(fb.free) {
		b := fb.free[i]
		fb.free = slices.Delete(fb.free, i, i+1)
		return b
	}
	need := (size + bufAlign - 1) / bufAlign * bufAlign
	if need > fb.budget {
		need = size
	}
	// Drop free buffers, smallest first, until a new one fits; if buffers in use leave no room,
	// give up.
	var freeBytes int64
	for _, b := range fb.free {
		freeBytes += int64(cap(b))
	}
	if fb.held-freeBytes+need > fb.budget {
		return nil
	}
	for fb.held+need > fb.budget {
		fb.held -= int64(cap(fb.free[0]))
		fb.free = slices.Delete(fb.free, 0, 1)
	}
	fb.held += need
	fb.peak = max(fb.peak, fb.held)
	return make([]byte, need)
}

// put hands a buffer from get back for reuse.
func (fb *fileBuffers) put(b []byte) {
	b = b[:cap(b)]
	fb.mu.Lock()
	defer fb.mu.Unlock()
	i, _ := slices.BinarySearchFunc(fb.free, cap(b), func(f []byte, n int) int { return cap(f) - n })
	fb.free = slices.Insert(fb.free, i, b)
}

// dropFree lets the buffers not in use go to the garbage collector.
func (fb *fileBuffers) dropFree() {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	for _, b := range fb.free {
		fb.held -= int64(cap(b))
	}
	fb.free = nil
}
