package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// layerProgress draws one status line on a terminal: layers done, cached, bytes read.
type layerProgress struct {
	mu     sync.Mutex
	w      io.Writer
	total  int
	done   int
	cached int
	bytes  int64
	last   time.Time
}

// newProgress returns nil unless w is a terminal and the user did not ask for quiet.
func newProgress(w io.Writer, total int, quiet bool) *layerProgress {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &layerProgress{w: w, total: total}
}

func (p *layerProgress) LayerStart(diffID string, size int64, cached bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cached {
		p.cached++
	}
}

func (p *layerProgress) LayerBytes(diffID string, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bytes += n
	if time.Since(p.last) > 100*time.Millisecond {
		p.draw()
	}
}

func (p *layerProgress) LayerDone(diffID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.draw()
}

func (p *layerProgress) draw() {
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\033[Klayers %d/%d analyzed (%d cached), %.1f MB read", p.done, p.total, p.cached, float64(p.bytes)/1e6)
}

// Finish clears the status line.
func (p *layerProgress) Finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\033[K")
}
