package analysis

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/mask"
)

// Config tunes an [Analyzer]. The zero value is valid: no cache, defaults below.
type Config struct {
	// Cache stores per-layer results; nil disables caching.
	Cache *Cache
	// Parallel is how many layers are read at once; default GOMAXPROCS.
	Parallel int
	// MemFileLimit is the largest file held in memory for analysis; larger ones go to a temporary
	// file. Default 2 MiB.
	MemFileLimit int64
	// MemBudget bounds the file buffers held in memory at once by all the layers read in
	// parallel; a file that does not fit goes to a temporary file. Buffers are reused from file
	// to file, so analyzers must not keep File.Data. Default 8 MiB.
	//
	// Why these defaults: the Go and Rust binary analyzers want every executable, the secret
	// scanner nearly every file up to 10 MiB. Measured on the benchmark image (234 MB, 60 MB
	// of executables; BenchmarkAnalyzeArchive, docs/benchmarks.md), buffering every file up to
	// 32 MiB in a fresh slice peaked at 55 MiB RSS and allocated 126 MB per scan. Reused buffers
	// under a budget cut the allocation to 64 MB; a 2 MiB file limit, which sends the few large
	// executables through a temporary file, cut peak RSS to 39 MiB (16 MiB limit: 55 MiB;
	// 4 MiB: 44 MiB) at the same wall time. A budget above Parallel*MemFileLimit only keeps
	// more free buffers around.
	MemBudget int64
	// MaxFileSize is the largest file analyzed at all; default 1 GiB.
	MaxFileSize int64
	// TempDir holds temporary files; default os.TempDir().
	TempDir string
	// Progress, when set, is told about layer work. It must be safe for concurrent use.
	Progress Progress
	Logger   *slog.Logger
}

// Progress receives layer progress events, from several goroutines at once.
type Progress interface {
	LayerStart(diffID string, size int64, cached bool)
	LayerBytes(diffID string, n int64)
	LayerDone(diffID string)
}

// Analyzer runs a fixed set of inventory analyzers over artifacts. It is safe for concurrent use.
type Analyzer struct {
	analyzers []inventory.Analyzer
	key       string // the analyzers' part of every layer's cache key
	cfg       Config
	logger    *slog.Logger
	bufs      *fileBuffers
}

// New returns an Analyzer running analyzers with cfg.
func New(analyzers []inventory.Analyzer, cfg Config) *Analyzer {
	if cfg.Parallel <= 0 {
		cfg.Parallel = runtime.GOMAXPROCS(0)
	}
	if cfg.MemBudget <= 0 {
		cfg.MemBudget = 8 << 20
	}
	if cfg.MemFileLimit <= 0 {
		cfg.MemFileLimit = min(2<<20, cfg.MemBudget)
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = 1 << 30
	}
	l := cfg.Logger
	if l == nil {
		l = slog.Default()
	}
	a := &Analyzer{analyzers: analyzers, cfg: cfg, logger: l, bufs: &fileBuffers{budget: cfg.MemBudget}}
	if cfg.Cache != nil {
		a.key = analyzersKey(analyzers)
	}
	return a
}

// Result is the merged analysis of an artifact.
type Result struct {
	Inventory inventory.Inventory
	// Findings are those analyzers reported in files (secrets, malware, …).
	Findings []finding.Finding
	// Warnings name files that could not be analyzed; the scan went on without them.
	Warnings []string
	// Layers are the per-layer results, base first (empty for directories).
	Layers []*LayerResult
}

// Analyze reads every layer of art (or walks its directory) and merges the results.
// Errors wrap ErrCorruptLayer or the image package's sentinels, and name the layer.
func (a *Analyzer) Analyze(ctx context.Context, art *image.Artifact) (*Result, error) {
	// A long-lived Analyzer (a server's) keeps no file buffers between scans.
	defer a.bufs.dropFree()
	if art.Root != "" {
		lr, err := a.walkDir(ctx, art.Root)
		if err != nil {
			return nil, err
		}
		return a.finish([]*LayerResult{lr}), nil
	}
	results := make([]*LayerResult, len(art.Layers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(a.cfg.Parallel)
	for i := range art.Layers {
		l := &art.Layers[i]
		g.Go(func() error {
			lr, err := a.layer(gctx, l)
			if err != nil {
				return fmt.Errorf("layer %d (%s): %w", l.Index, l.DiffID, err)
			}
			results[i] = lr
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return a.finish(results), nil
}

func (a *Analyzer) finish(layers []*LayerResult) *Result {
	inv, findings := merge(layers)
	res := &Result{Inventory: inv, Findings: findings, Layers: layers}
	for _, lr := range layers {
		res.Warnings = append(res.Warnings, lr.Warnings...)
	}
	return res
}

// layer returns the cached result for l or reads the layer.
func (a *Analyzer) layer(ctx context.Context, l *image.Layer) (*LayerResult, error) {
	key := layerKey(l.DiffID, a.key)
	if lr, err := a.cfg.Cache.Get(key); err == nil {
		a.logger.Debug("layer cache hit", "layer", l.DiffID)
		if p := a.cfg.Progress; p != nil {
			p.LayerStart(l.DiffID, l.Size, true)
			p.LayerDone(l.DiffID)
		}
		return lr, nil
	} else if !errors.Is(err, ErrCacheMiss) {
		a.logger.Warn("layer cache unreadable", "layer", l.DiffID, "err", err)
	}
	var onBytes func(int64)
	if p := a.cfg.Progress; p != nil {
		p.LayerStart(l.DiffID, l.Size, false)
		defer p.LayerDone(l.DiffID)
		onBytes = func(n int64) { p.LayerBytes(l.DiffID, n) }
	}
	rc, err := l.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	lr, links, err := a.walk(ctx, rc, l.DiffID, onBytes)
	if err != nil {
		return nil, err
	}
	if len(links) > 0 {
		a.logger.Debug("second read of the layer for hard links", "layer", l.DiffID, "links", len(links))
		rc2, err := l.Open()
		if err != nil {
			return nil, fmt.Errorf("open again for %d hard links: %w", len(links), err)
		}
		err = a.walkLinks(ctx, rc2, l.DiffID, links, lr)
		rc2.Close()
		if err != nil {
			return nil, err
		}
	}
	if namesSecret(lr) {
		// The cache stores paths as they are: a layer with a file named after a secret is
		// analyzed again next time rather than written to disk with the secret in it.
		a.logger.Debug("layer not cached: a path in it holds a secret", "layer", l.DiffID)
	} else if err := a.cfg.Cache.Put(key, lr); err != nil {
		a.logger.Warn("layer cache not written", "layer", l.DiffID, "err", err)
	}
	return lr, nil
}

// walkDir analyzes a root filesystem directory as a single layer. Symbolic links are not
// followed, so link loops cannot trap the walk.
func (a *Analyzer) walkDir(ctx context.Context, root string) (*LayerResult, error) {
	lr := &LayerResult{Files: map[string]*inventory.Result{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			lr.Warnings = append(lr.Warnings, fmt.Sprintf("%s: %v", p, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() && pseudoFS[rel] {
			// Kernel file systems of a live root hold no packages and never end.
			return fs.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			lr.Warnings = append(lr.Warnings, fmt.Sprintf("%s: %v", rel, err))
			return nil
		}
		want := a.wanted(rel, info)
		if want == 0 {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			lr.Warnings = append(lr.Warnings, fmt.Sprintf("%s: %v", rel, err))
			return nil
		}
		defer f.Close()
		if err := a.analyzeFile(ctx, rel, info, f, want, lr); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			lr.Warnings = append(lr.Warnings, err.Error())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	lr.settleWarnings()
	return lr, nil
}

// pseudoFS are the top-level directories of a live root that are kernel interfaces, not files.
var pseudoFS = map[string]bool{"proc": true, "sys": true, "dev": true}

// namesSecret reports whether a path or warning of lr holds a secret (see package mask).
func namesSecret(lr *LayerResult) bool {
	for p := range lr.Files {
		if mask.String(p) != p {
			return true
		}
	}
	for _, list := range [][]string{lr.Whiteouts, lr.OpaqueDirs, lr.Warnings} {
		for _, s := range list {
			if mask.String(s) != s {
				return true
			}
		}
	}
	return false
}
