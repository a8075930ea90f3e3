package secret

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
)

// Analyzer adapts a Scanner to the layer walker: it reads every text file under the size limit
// (and archives, to a bounded depth) and reports secrets as findings.
type Analyzer struct {
	s   *Scanner
	opt AnalyzerOptions
}

// AnalyzerOptions bound what the analyzer reads. The zero value means the defaults.
type AnalyzerOptions struct {
	// MaxFileSize is the largest file scanned; default 10 MiB.
	MaxFileSize int64
	// IncludeBinaries scans files that look binary (a NUL byte in their first 8 KiB).
	IncludeBinaries bool
	// ArchiveDepth is how deep zip/jar/tar.gz files are opened; default 2, negative disables.
	ArchiveDepth int
}

// NewAnalyzer returns an inventory analyzer reporting what s finds.
func NewAnalyzer(s *Scanner, opt AnalyzerOptions) *Analyzer {
	if opt.MaxFileSize <= 0 {
		opt.MaxFileSize = 10 << 20
	}
	if opt.ArchiveDepth == 0 {
		opt.ArchiveDepth = 2
	}
	return &Analyzer{s: s, opt: opt}
}

var _ inventory.Analyzer = (*Analyzer)(nil)

func (a *Analyzer) Name() string { return "secret" }

// outputFormat is bumped when what the analyzer stores changes, so that layer caches written by
// an older Rampart are not served: 2, evidence lines and paths mask every secret in them.
const outputFormat = 2

// Version feeds the cache key; it includes the rule set, so a user rules file re-scans layers.
func (a *Analyzer) Version() int {
	h := outputFormat
	for _, r := range a.s.rules {
		for _, c := range r.ID + r.Regex + r.Validate + strings.Join(r.Keywords, ",") + strings.Join(r.Allow, ",") {
			h = h*31 + int(c)
		}
	}
	if a.opt.IncludeBinaries {
		h++
	}
	return (h&0x7fffffff)*16 + a.opt.ArchiveDepth + 2
}

func (a *Analyzer) Required(p string, info fs.FileInfo) bool {
	if info.Size() == 0 {
		return false
	}
	if info.Size() > a.opt.MaxFileSize && !isArchive(p) {
		return false
	}
	return !a.s.Skip(p)
}

func (a *Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	limit := a.opt.MaxFileSize
	if isArchive(f.Path) {
		limit = 8 * a.opt.MaxFileSize
	}
	if f.Size > limit {
		return nil, nil
	}
	if f.Data == nil && !a.opt.IncludeBinaries && !isArchive(f.Path) {
		// A large file the walker did not keep in memory is mostly a binary (a library, an
		// executable): look at its head before reading it all into memory.
		head := make([]byte, min(f.Size, binarySniffLen))
		if _, err := f.Content.ReadAt(head, 0); err != nil && err != io.EOF {
			return nil, err
		}
		if isBinary(head) {
			return nil, nil
		}
	}
	b, err := f.Bytes()
	if err != nil {
		return nil, err
	}
	var res inventory.Result
	a.scan(ctx, f.Path, b, 0, &res)
	if len(res.Findings) == 0 {
		return nil, nil
	}
	return &res, nil
}

func (a *Analyzer) scan(ctx context.Context, p string, b []byte, depth int, res *inventory.Result) {
	if ctx.Err() != nil {
		return
	}
	if isArchive(p) {
		if depth < a.opt.ArchiveDepth {
			a.scanArchive(ctx, p, b, depth, res)
		}
		return
	}
	if !a.opt.IncludeBinaries && isBinary(b) {
		return
	}
	ms := a.s.Scan(p, b)
	if len(ms) == 0 {
		return
	}
	// A file name can be a secret too ("tokens/ghp_…"): the location is printed and cached.
	loc := a.s.Redact(p)
	for _, m := range ms {
		res.Findings = append(res.Findings, m.Finding(finding.Location{Path: loc, Line: m.Line}))
	}
}

// scanArchive opens zip-family and tar(.gz) archives in memory and scans their members, naming
// them "outer.jar!inner/path".
func (a *Analyzer) scanArchive(ctx context.Context, p string, b []byte, depth int, res *inventory.Result) {
	budget := 8 * a.opt.MaxFileSize // bounds what one archive may expand to
	lower := strings.ToLower(p)
	if strings.HasSuffix(lower, ".tar") || strings.HasSuffix(lower, ".tar.gz") || strings.HasSuffix(lower, ".tgz") {
		var r io.Reader = bytes.NewReader(b)
		if !strings.HasSuffix(lower, ".tar") {
			zr, err := gzip.NewReader(r)
			if err != nil {
				return
			}
			r = zr
		}
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if err != nil {
				return
			}
			if h.Typeflag != tar.TypeReg || h.Size > a.opt.MaxFileSize || h.Size > budget {
				continue
			}
			inner := p + "!" + strings.TrimPrefix(path.Clean("/"+h.Name), "/")
			if a.s.Skip(inner) {
				continue
			}
			data, err := io.ReadAll(io.LimitReader(tr, h.Size))
			if err != nil {
				return
			}
			budget -= int64(len(data))
			a.scan(ctx, inner, data, depth+1, res)
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return
	}
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || zf.UncompressedSize64 > uint64(a.opt.MaxFileSize) || int64(zf.UncompressedSize64) > budget {
			continue
		}
		inner := p + "!" + strings.TrimPrefix(path.Clean("/"+zf.Name), "/")
		if a.s.Skip(inner) || strings.HasSuffix(inner, ".class") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			continue
		}
		// Read one byte past the declared size: a member lying about its size is cut off.
		data, err := io.ReadAll(io.LimitReader(rc, int64(zf.UncompressedSize64)+1))
		rc.Close()
		if err != nil || int64(len(data)) > int64(zf.UncompressedSize64) {
			continue
		}
		budget -= int64(len(data))
		a.scan(ctx, inner, data, depth+1, res)
	}
}

func isArchive(p string) bool {
	l := strings.ToLower(p)
	for _, ext := range []string{".zip", ".jar", ".war", ".ear", ".whl", ".egg", ".nupkg", ".tar", ".tar.gz", ".tgz"} {
		if strings.HasSuffix(l, ext) {
			return true
		}
	}
	return false
}

// isBinary looks for a NUL byte in the first 8 KiB, as git and grep do.
// binarySniffLen is how much of a file's head decides whether it is binary.
const binarySniffLen = 8192

func isBinary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), binarySniffLen)], 0) >= 0
}

// Finding converts a match to the common finding model at loc.
func (m Match) Finding(loc finding.Location) finding.Finding {
	return finding.Finding{
		Kind:        finding.KindSecret,
		ID:          m.Rule.ID,
		Title:       m.Rule.Title,
		Severity:    m.Rule.severity,
		Location:    loc,
		Evidence:    m.Evidence,
		Remediation: m.Rule.Remediation,
		Extra:       map[string]string{"masked": m.Masked},
	}
}

// ConfigField is the location field [Scanner.ScanConfig] gives an entry "NAME=value" of kind
// "env" or "label", whose name is its first nameLen bytes: "env:NAME", with any secret in NAME
// masked (a token used as a variable's name is printed and cached as any other).
func (s *Scanner) ConfigField(kind, entry string, nameLen int) string {
	return kind + ":" + s.RedactPart(entry, 0, nameLen)
}

// ScanConfig looks for secrets in an image's configuration: environment variables, labels, the
// command, and the build history (where build arguments leak). Each finding's location names the
// field: "env:NAME", "label:NAME" (see [Scanner.ConfigField]), "cmd", "entrypoint", "history:N".
func (s *Scanner) ScanConfig(env []string, labels map[string]string, cmd, entrypoint []string, history []string) []finding.Finding {
	var out []finding.Finding
	scan := func(text string, field func() string) {
		ms := s.Scan("", []byte(text))
		if len(ms) == 0 {
			return
		}
		loc := finding.Location{Field: field()}
		for _, m := range ms {
			out = append(out, m.Finding(loc))
		}
	}
	for _, e := range env {
		name, _, _ := strings.Cut(e, "=")
		scan(e, func() string { return s.ConfigField("env", e, len(name)) })
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		text := k + "=" + labels[k]
		scan(text, func() string { return s.ConfigField("label", text, len(k)) })
	}
	if len(cmd) > 0 {
		scan(strings.Join(cmd, " "), func() string { return "cmd" })
	}
	if len(entrypoint) > 0 {
		scan(strings.Join(entrypoint, " "), func() string { return "entrypoint" })
	}
	for i, h := range history {
		scan(h, func() string { return fmt.Sprintf("history:%d", i) })
	}
	return out
}
