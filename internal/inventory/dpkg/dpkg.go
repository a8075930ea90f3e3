// Package dpkg catalogs Debian packages from dpkg's database: var/lib/dpkg/status, the
// distroless var/lib/dpkg/status.d/ directory (one control stanza per file) and the file lists
// var/lib/dpkg/info/NAME.list.
//
// # Usage
//
// Register [Analyzer] with the layer walker; [Parse] reads a status file on its own.
package dpkg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/rampartsec/rampart/internal/inventory"
)

const (
	statusPath = "var/lib/dpkg/status"
	statusDir  = "var/lib/dpkg/status.d/"
	infoDir    = "var/lib/dpkg/info/"
)

// maxLine bounds what is kept of one line: longer lines (never seen in a real database) are
// truncated so that a hostile file cannot make the parser hold it whole.
const maxLine = 64 << 10

// Analyzer reads dpkg's status database and file lists. The zero value is ready to use and safe
// for concurrent use.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

// Name returns "dpkg".
func (Analyzer) Name() string { return "dpkg" }

// Version returns the analyzer's output version.
func (Analyzer) Version() int { return 1 }

// Required wants the status file, the files directly inside status.d (but not their .md5sums
// companions) and the info/*.list files.
func (Analyzer) Required(p string, _ fs.FileInfo) bool {
	switch {
	case p == statusPath:
		return true
	case strings.HasPrefix(p, statusDir):
		rest := p[len(statusDir):]
		return rest != "" && !strings.Contains(rest, "/") && !strings.HasSuffix(rest, ".md5sums")
	case strings.HasPrefix(p, infoDir):
		rest := p[len(infoDir):]
		return strings.HasSuffix(rest, ".list") && len(rest) > len(".list") && !strings.Contains(rest, "/")
	}
	return false
}

// Analyze parses one of the files Required accepted.
func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	if strings.HasPrefix(f.Path, infoDir) {
		return analyzeList(ctx, f)
	}
	pkgs, err := Parse(ctx, f.Reader())
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", f.Path, err)
	}
	distroless := strings.HasPrefix(f.Path, statusDir)
	if len(pkgs) == 0 && !distroless {
		return nil, nil
	}
	for i := range pkgs {
		pkgs[i].Path = f.Path
	}
	return &inventory.Result{Packages: pkgs, Distroless: distroless}, nil
}

// analyzeList reads info/NAME[:ARCH].list: one absolute path a line, directories included.
func analyzeList(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	name := strings.TrimSuffix(path.Base(f.Path), ".list")
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	var files []string
	err := eachLine(ctx, f.Reader(), f.Size, func(line []byte) {
		if p := strings.TrimLeft(string(bytes.TrimSpace(line)), "/"); p != "" && p != "." {
			files = append(files, p)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	if len(files) == 0 {
		return nil, nil
	}
	return &inventory.Result{Owners: map[string][]string{"deb:" + name: files}}, nil
}

// Parse reads dpkg control stanzas (a status file or a status.d entry) and returns the packages
// whose files are on disk. Continuation lines, CRLF line ends and unknown fields are accepted;
// stanzas without a Package field are skipped. A stanza without a Status field (status.d
// entries may lack one) counts as installed.
//
// When a package has no Source field, or Source names no version, the source is the package
// itself or its version: SourceName and SourceVersion are always set.
func Parse(ctx context.Context, r io.Reader) ([]inventory.Package, error) {
	var (
		pkgs []inventory.Package
		st   stanza
	)
	flush := func() {
		if p, ok := st.pkg(); ok {
			pkgs = append(pkgs, p)
		}
		st = stanza{}
	}
	err := eachLine(ctx, r, -1, func(line []byte) {
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			return
		}
		if line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
			// Continuation of a multi-line field (Description, Conffiles) or a comment: none of
			// the fields read here span lines.
			return
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok {
			st.set(string(bytes.TrimSpace(k)), string(bytes.TrimSpace(v)))
		}
	})
	if err != nil {
		return nil, err
	}
	flush()
	return pkgs, nil
}

// stanza holds the fields of one control stanza that a package needs.
type stanza struct {
	name, version, arch, source, status string
	hasStatus                           bool
}

func (s *stanza) set(k, v string) {
	// Field names are case-insensitive (deb-control(5)).
	switch strings.ToLower(k) {
	case "package":
		s.name = v
	case "version":
		s.version = v
	case "architecture":
		s.arch = v
	case "source":
		s.source = v
	case "status":
		s.status, s.hasStatus = v, true
	}
}

func (s *stanza) pkg() (inventory.Package, bool) {
	if s.name == "" || (s.hasStatus && !onDisk(s.status)) {
		return inventory.Package{}, false
	}
	p := inventory.Package{Type: inventory.TypeDpkg, Name: s.name, Version: s.version, Arch: s.arch,
		SourceName: s.name, SourceVersion: s.version}
	if s.source != "" {
		// "Source: name" or "Source: name (version)" when the binary's version differs.
		name, rest, _ := strings.Cut(s.source, " ")
		p.SourceName = name
		if rest = strings.TrimSpace(rest); strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
			if v := strings.TrimSpace(rest[1 : len(rest)-1]); v != "" {
				p.SourceVersion = v
			}
		}
	}
	return p, true
}

// onDisk reports whether a Status value ("want error state") describes a package whose files are
// (at least partly) installed. Only "not-installed" and "config-files" leave no program files:
// a half-installed, unpacked or half-configured package may still hold vulnerable code, so it
// is reported rather than hidden.
func onDisk(status string) bool {
	f := strings.Fields(status)
	if len(f) == 0 {
		return false
	}
	switch f[len(f)-1] {
	case "installed", "triggers-awaited", "triggers-pending", "half-configured", "unpacked", "half-installed":
		return true
	}
	return false
}

// eachLine calls fn with every line of r, without its end-of-line bytes (LF or CRLF) and
// truncated to maxLine. The slice is valid only during the call. It checks ctx every few
// thousand lines. size, when known (>= 0), is r's length: no line is longer, so a smaller buffer
// does (an image has a thousand small .list files).
func eachLine(ctx context.Context, r io.Reader, size int64, fn func(line []byte)) error {
	bufSize := int64(maxLine)
	if size >= 0 {
		bufSize = min(bufSize, size+1)
	}
	br := bufio.NewReaderSize(r, int(bufSize))
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// Keep the first maxLine bytes and skip the rest of the line.
			line = bytes.Clone(line)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
		}
		if err == io.EOF && len(line) > 0 {
			err = nil
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		fn(bytes.TrimSuffix(line, []byte("\r")))
	}
}
