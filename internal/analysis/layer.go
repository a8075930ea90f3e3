package analysis

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
)

// ErrCorruptLayer is wrapped by errors about a layer whose stream is truncated, is not a tar, or
// does not hash to its diffID.
var ErrCorruptLayer = errors.New("analysis: corrupt layer")

// LayerResult is what the analyzers found in one layer, keyed by file path. It is what the cache stores.
type LayerResult struct {
	DiffID string
	// Files maps a path (no leading slash) to what the analyzers found in it.
	Files map[string]*inventory.Result
	// Whiteouts are paths this layer deletes from the layers below; OpaqueDirs are directories
	// whose lower content it hides.
	Whiteouts  []string
	OpaqueDirs []string
	// Warnings are about entries of the layer and files in it that could not be read, or were
	// read only in part: those of files come sorted by path, and only for the last entry of a
	// path.
	Warnings []string
	// Overwritten are the findings in entries that a later entry of the same path replaced: they
	// are not in the filesystem, but they are in the layer, as a deleted file's are.
	Overwritten []finding.Finding
}

// hardLink is a tar hard-link entry: path has the content of target, an earlier entry of the
// same layer, the entry-th (from 0) of its tar stream. need is the analyzers (bit i:
// a.analyzers[i]) that want path and did not see target.
type hardLink struct {
	path, target string
	entry        int
	info         fs.FileInfo
	need         uint64
}

const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// DirAnalyzer is an [inventory.Analyzer] that also wants the directory entries of image layers:
// its Required sees each directory's FileInfo (mode bits) and Analyze gets the entry with empty
// Content. Other analyzers see regular files only.
type DirAnalyzer interface {
	inventory.Analyzer
	WantsDirectories() bool
}

// walkLayer reads one layer tar stream to its end, running the analyzers on the entries they want.
// When wantDiffID is set the stream's sha256 must equal it. Hard links to content an analyzer
// did not see are left out: see walk.
func (a *Analyzer) walkLayer(ctx context.Context, r io.Reader, wantDiffID string, onBytes func(int64)) (*LayerResult, error) {
	lr, _, err := a.walk(ctx, r, wantDiffID, onBytes)
	return lr, err
}

// walk is walkLayer that also returns the hard links whose path an analyzer wants but whose
// content it did not see under another path (the content went by before the link): reading
// them needs a second pass, [Analyzer.walkLinks].
func (a *Analyzer) walk(ctx context.Context, r io.Reader, wantDiffID string, onBytes func(int64)) (_ *LayerResult, links []hardLink, _ error) {
	cr := newChunkReader(r, sha256.New(), onBytes)
	defer cr.close()
	tr := tar.NewReader(cr)
	lr := &LayerResult{DiffID: wantDiffID, Files: map[string]*inventory.Result{}}
	// For hard links, whose entries carry no content: every regular file's size, which analyzers
	// saw it and which entry of the stream it was, keyed by a hash of its path (cheaper than
	// keeping the paths). A path written twice maps to its later entry, the one a link made after
	// it refers to.
	seed := maphash.MakeSeed()
	type seen struct {
		size  int64
		by    uint64
		entry int
	}
	regular := map[uint64]seen{}
	// linkAt indexes links by path, so that a later entry for the same path can cancel one.
	var linkAt map[string]int
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: read tar entry after %d bytes: %w", ErrCorruptLayer, cr.pos, err)
		}
		p, escaped := cleanPath(hdr.Name)
		if escaped {
			lr.Warnings = append(lr.Warnings, fmt.Sprintf("entry %q points outside the root; read as /%s", hdr.Name, p))
		}
		if p == "" {
			continue
		}
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		if base == whiteoutOpaque {
			lr.OpaqueDirs = append(lr.OpaqueDirs, dir)
			continue
		}
		if strings.HasPrefix(base, whiteoutPrefix) {
			lr.Whiteouts = append(lr.Whiteouts, path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix)))
			continue
		}
		// A path written again replaces what was there, as extraction does: what the analyzers
		// found in the earlier entry, or a link still to be read for it, is gone, but for its
		// findings, whose content is still in the layer. Streaming, a result cannot wait for the
		// last entry of its path; it is dropped when the path recurs.
		if old, ok := lr.Files[p]; ok {
			lr.Overwritten = append(lr.Overwritten, old.Findings...)
			delete(lr.Files, p)
		}
		if i, ok := linkAt[p]; ok {
			links[i].need = 0
			delete(linkAt, p)
		}
		hp := maphash.String(seed, p)
		delete(regular, hp) // a link made from now on links to this entry, if to anything
		if hdr.Typeflag == tar.TypeLink {
			target, _ := cleanPath(hdr.Linkname)
			t, ok := regular[maphash.String(seed, target)]
			if !ok || len(a.analyzers) > 64 {
				continue // not a regular file of this layer: nothing to read
			}
			hdr.Typeflag, hdr.Size = tar.TypeReg, t.size
			info := hdr.FileInfo()
			if need := a.wanted(p, info) &^ t.by; need != 0 {
				if linkAt == nil {
					linkAt = map[string]int{}
				}
				linkAt[p] = len(links)
				links = append(links, hardLink{path: p, target: target, entry: t.entry, info: info, need: need})
			}
			continue
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeGNUSparse && hdr.Typeflag != '7' && hdr.Typeflag != tar.TypeDir {
			continue
		}
		if hdr.Typeflag == tar.TypeDir {
			hdr.Size = 0 // a directory has no content, whatever its header claims
		}
		info := hdr.FileInfo()
		want := a.wanted(p, info)
		if !info.IsDir() {
			regular[hp] = seen{size: info.Size(), by: want, entry: n}
		}
		if err := a.analyzeFile(ctx, p, info, tr, want, lr); err != nil {
			return nil, nil, err
		}
	}
	links = slices.DeleteFunc(links, func(l hardLink) bool { return l.need == 0 })
	// Read trailing padding so the digest covers the whole stream.
	if err := cr.discardRest(); err != nil {
		return nil, nil, fmt.Errorf("%w: read after end of archive: %w", ErrCorruptLayer, err)
	}
	sum, err := cr.sum()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: hash: %w", ErrCorruptLayer, err)
	}
	if wantDiffID != "" {
		got := "sha256:" + hex.EncodeToString(sum)
		if strings.HasPrefix(wantDiffID, "sha256:") && got != wantDiffID {
			return nil, nil, fmt.Errorf("%w: content hashes to %s, config says %s", ErrCorruptLayer, got, wantDiffID)
		}
	}
	lr.settleWarnings()
	return lr, links, nil
}

// wanted returns the analyzers that want the entry, bit i for a.analyzers[i] (beyond 64
// analyzers every bit is set: see analyzeFile).
func (a *Analyzer) wanted(p string, info fs.FileInfo) uint64 {
	var mask uint64
	for i, an := range a.analyzers {
		if d, ok := an.(DirAnalyzer); info.IsDir() && (!ok || !d.WantsDirectories()) {
			continue // only analyzers that ask for directories see them
		}
		if an.Required(p, info) {
			mask |= 1 << min(i, 63)
		}
	}
	return mask
}

// analyzeFile hands the file to every analyzer in mask, reading its content once.
func (a *Analyzer) analyzeFile(ctx context.Context, p string, info fs.FileInfo, r io.Reader, mask uint64, lr *LayerResult) error {
	if mask == 0 {
		return nil
	}
	wanted := a.selected(p, info, mask)
	if len(wanted) == 0 {
		return nil
	}
	if info.Size() > a.cfg.MaxFileSize {
		lr.Files[p] = a.overLimit(p, info.Size())
		return nil
	}
	content, data, cleanup, err := a.buffer(r, info.Size())
	if err != nil {
		return fmt.Errorf("%w: read %s: %w", ErrCorruptLayer, p, err)
	}
	defer cleanup()
	f := &inventory.File{Path: p, Info: info, Content: content, Size: info.Size(), Data: data}
	return a.run(ctx, f, wanted, lr)
}

// selected returns the analyzers of mask.
func (a *Analyzer) selected(p string, info fs.FileInfo, mask uint64) []inventory.Analyzer {
	var wanted []inventory.Analyzer
	for i, an := range a.analyzers {
		// With more than 64 analyzers the last bit stands for all the rest: ask them again.
		if mask&(1<<min(i, 63)) != 0 && (i < 63 || an.Required(p, info)) {
			wanted = append(wanted, an)
		}
	}
	return wanted
}

// overLimit is the result of a file too large to analyze.
func (a *Analyzer) overLimit(p string, size int64) *inventory.Result {
	return &inventory.Result{Warnings: []string{fmt.Sprintf("%s: %d bytes is over the %d-byte file limit; not analyzed", p, size, a.cfg.MaxFileSize)}}
}

// walkLinks reads a layer a second time, for the targets of links found by walk, and runs each
// link's analyzers on its target's content under the link's own path: a package database or
// manifest stored as a hard link (pnpm's node_modules are hard links into its store, which a
// tar may list first) is read like any file. Targets are found by their place in the stream,
// which the two reads share, so that a link to a path written twice reads the entry it was
// made after. The stream must hash to wantDiffID again.
func (a *Analyzer) walkLinks(ctx context.Context, r io.Reader, wantDiffID string, links []hardLink, lr *LayerResult) error {
	byTarget := map[int][]hardLink{}
	for _, l := range links {
		byTarget[l.entry] = append(byTarget[l.entry], l)
	}
	cr := newChunkReader(r, sha256.New(), nil)
	defer cr.close()
	tr := tar.NewReader(cr)
	for n := 0; len(byTarget) > 0; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: second read for hard links: tar entry after %d bytes: %w", ErrCorruptLayer, cr.pos, err)
		}
		ls := byTarget[n]
		if len(ls) == 0 {
			continue
		}
		delete(byTarget, n)
		if hdr.Size > a.cfg.MaxFileSize {
			for _, l := range ls {
				lr.Files[l.path] = a.overLimit(l.path, hdr.Size)
			}
			continue
		}
		content, data, cleanup, err := a.buffer(tr, hdr.Size)
		if err != nil {
			return fmt.Errorf("%w: read %s: %w", ErrCorruptLayer, ls[0].target, err)
		}
		for _, l := range ls {
			f := &inventory.File{Path: l.path, Info: l.info, Content: content, Size: hdr.Size, Data: data}
			if err := a.run(ctx, f, a.selected(l.path, l.info, l.need), lr); err != nil {
				cleanup()
				return err
			}
		}
		cleanup()
	}
	if err := cr.discardRest(); err != nil {
		return fmt.Errorf("%w: second read for hard links: %w", ErrCorruptLayer, err)
	}
	sum, err := cr.sum()
	if err != nil {
		return fmt.Errorf("%w: hash: %w", ErrCorruptLayer, err)
	}
	if got := "sha256:" + hex.EncodeToString(sum); strings.HasPrefix(wantDiffID, "sha256:") && got != wantDiffID {
		return fmt.Errorf("%w: read again for hard links, content hashes to %s, config says %s", ErrCorruptLayer, got, wantDiffID)
	}
	lr.settleWarnings()
	return nil
}

// run runs the analyzers on f and records their results in lr under f.Path, replacing what an
// earlier entry for the path left there. An analyzer's error, and the warnings its result
// carries, become warnings of the file naming the analyzer and the path.
func (a *Analyzer) run(ctx context.Context, f *inventory.File, wanted []inventory.Analyzer, lr *LayerResult) error {
	p := f.Path
	var out *inventory.Result
	for _, an := range wanted {
		res, err := an.Analyze(ctx, f)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			a.logger.Warn("analyzer could not read file", "analyzer", an.Name(), "path", p, "err", err)
			res = &inventory.Result{Warnings: []string{err.Error()}}
		} else if res == nil {
			continue
		} else if len(res.Warnings) > 0 {
			a.logger.Debug("analyzer read file in part", "analyzer", an.Name(), "path", p, "warnings", res.Warnings)
		}
		for i, w := range res.Warnings {
			res.Warnings[i] = an.Name() + ": " + p + ": " + w
		}
		if out == nil {
			out = res
		} else {
			mergeResult(out, res)
		}
	}
	if out != nil {
		lr.Files[p] = out
	}
	return nil
}

// settleWarnings moves the warnings of files to lr.Warnings, by path, and drops the results
// left with nothing else: a file that only gave a warning proves nothing, and the merge of
// layers treats a result at a path as what the analyzers found there.
func (lr *LayerResult) settleWarnings() {
	var paths []string
	for p, r := range lr.Files {
		if len(r.Warnings) > 0 {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		r := lr.Files[p]
		lr.Warnings = append(lr.Warnings, r.Warnings...)
		r.Warnings = nil
		if len(r.Packages)+len(r.Findings)+len(r.Owners) == 0 && r.OS == nil && !r.Distroless {
			delete(lr.Files, p)
		}
	}
}

// buffer holds a file's content for random access: in memory (data is then the content) when
// it is at most MemFileLimit and fits the MemBudget left, else in a temporary file. cleanup
// removes the file or hands the memory back for the next file, so analyzers must not keep data.
func (a *Analyzer) buffer(r io.Reader, size int64) (content io.ReaderAt, data []byte, cleanup func(), err error) {
	if size == 0 {
		return bytes.NewReader(nil), []byte{}, func() {}, nil
	}
	if size <= a.cfg.MemFileLimit {
		if buf := a.bufs.get(size); buf != nil {
			b := buf[:size:size]
			if _, err := io.ReadFull(r, b); err != nil {
				a.bufs.put(buf)
				return nil, nil, nil, err
			}
			return bytes.NewReader(b), b, func() { a.bufs.put(buf) }, nil
		}
	}
	tmp, err := os.CreateTemp(a.cfg.TempDir, "rampart-file-")
	if err != nil {
		return nil, nil, nil, err
	}
	cleanup = func() { tmp.Close(); os.Remove(tmp.Name()) }
	if n, err := io.Copy(tmp, r); err != nil || n != size {
		cleanup()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, nil, err
	}
	return tmp, nil, cleanup, nil
}

func mergeResult(dst, src *inventory.Result) {
	dst.Packages = append(dst.Packages, src.Packages...)
	dst.Findings = append(dst.Findings, src.Findings...)
	dst.Warnings = append(dst.Warnings, src.Warnings...)
	if src.OS != nil {
		dst.OS = src.OS
	}
	dst.Distroless = dst.Distroless || src.Distroless
	for k, v := range src.Owners {
		if dst.Owners == nil {
			dst.Owners = map[string][]string{}
		}
		dst.Owners[k] = append(dst.Owners[k], v...)
	}
}

// cleanPath turns a tar entry name into a slash path without leading slash. Names that climb out
// of the root ("../../etc/passwd") are clamped to it, as extraction by the runtime would do;
// escaped reports that.
func cleanPath(name string) (p string, escaped bool) {
	rel := strings.TrimPrefix(name, "./")
	c := path.Clean("/" + rel)
	escaped = strings.HasPrefix(path.Clean(strings.TrimPrefix(rel, "/")), "..")
	return strings.TrimPrefix(c, "/"), escaped
}
