package gobinary

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime/debug"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/rampartsec/rampart/internal/inventory"
)

// MaxSize is the largest file the analyzer asks for: Go binaries beyond it are rare and
// reading their tables costs more than they are worth.
const MaxSize = 1 << 30

// minSize is smaller than any Go executable; it skips scripts and stubs cheaply.
const minSize = 1 << 10

// Analyzer reads Go build information and pclntab symbols from executables.
// The zero value is ready to use and safe for concurrent use.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

// Name returns "gobinary".
func (Analyzer) Name() string { return "gobinary" }

// Version returns the analyzer's output version.
func (Analyzer) Version() int { return 3 }

// Required wants regular files with any execute bit set, between 1 KiB and [MaxSize].
func (Analyzer) Required(_ string, info fs.FileInfo) bool {
	m := info.Mode()
	return m.IsRegular() && m&0o111 != 0 && info.Size() >= minSize && info.Size() <= MaxSize
}

// Analyze returns the modules of a Go executable, or nil for any other file. An executable
// that holds Go build information it cannot read, or whose symbols it cannot read, gives a
// warning naming what is missing; see the package doc.
func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	if !executableMagic(f.Content) {
		return nil, nil
	}
	bi, warning, err := readBuildInfo(f)
	if err != nil {
		return nil, err
	}
	res := &inventory.Result{}
	if warning != "" {
		res.Warn("%s", warning)
	}
	if bi == nil {
		if warning == "" {
			return nil, nil
		}
		return res, nil
	}
	res.Packages = Packages(bi, f.Path)
	if len(res.Packages) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	names, err := Symbols(f.Content)
	if err != nil {
		// Modules without symbols are still worth reporting: matching then assumes the
		// vulnerable code may be reached.
		res.Warn("Go binary without readable symbols (%v): any module's vulnerable code is taken as reachable", err)
		return res, nil
	}
	assignSymbols(res.Packages, bi, names)
	return res, nil
}

// buildInfoMagic starts the build information the Go linker writes, at a 16-byte aligned
// address (and file offset: every executable format maps file offsets to addresses congruent
// modulo 16). buildInfoAlign is that alignment.
var buildInfoMagic = []byte("\xff Go buildinf:")

const buildInfoAlign = 16

// readBuildInfo reads a file's Go build information. For a file that is not a Go executable it
// returns nothing. For one that has the build information's magic but that debug/buildinfo
// cannot read (section headers past the end of the file, a bogus length, a truncated file:
// damage that leaves the program running, since the kernel loads it by its program headers),
// it returns a warning saying so, and when the information itself is whole, the information
// read straight from the file.
func readBuildInfo(f *inventory.File) (bi *buildinfo.BuildInfo, warning string, err error) {
	spy := &magicSpy{r: f.Content}
	bi, err = buildinfo.Read(spy)
	if err == nil {
		return bi, "", nil
	}
	// buildinfo's sentinels are unexported. An executable that is not Go is not an error, nor
	// is a file that only starts like one (a Java class shares the fat Mach-O magic).
	msg := err.Error()
	unreadable := strings.Contains(msg, "unrecognized file format")
	if !unreadable && !strings.Contains(msg, "not a Go executable") {
		return nil, "", fmt.Errorf("read go build info: %w", err)
	}
	if !unreadable {
		// The headers were read and led to the data, which holds the magic, but what follows
		// it is not build information.
		if spy.seen {
			return nil, "Go build information found but not readable: the executable is damaged or altered; its modules are not reported", nil
		}
		return nil, "", nil
	}
	// The headers could not be read: look for the magic in the whole file.
	off, err := f.Index(buildInfoMagic, buildInfoAlign)
	if err != nil {
		return nil, "", fmt.Errorf("search for go build info: %w", err)
	}
	if off < 0 {
		return nil, "", nil
	}
	bi, err = scanBuildInfo(f, off)
	if err != nil {
		return nil, fmt.Sprintf("executable headers unreadable, and the Go build information found at offset %d is not readable either (%v); its modules are not reported", off, err), nil
	}
	return bi, fmt.Sprintf("executable headers unreadable; modules read from the Go build information found at offset %d", off), nil
}

// magicSpy is a ReaderAt that notes whether anything read through it holds the build
// information's magic at an aligned offset: what debug/buildinfo found before it gave up.
type magicSpy struct {
	r    io.ReaderAt
	seen bool
}

func (s *magicSpy) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.r.ReadAt(p, off)
	if !s.seen && n > 0 && inventory.IndexAligned(p[:n], buildInfoMagic, buildInfoAlign, off) >= 0 {
		s.seen = true
	}
	return n, err
}

// maxModInfo bounds the module list read by scanBuildInfo; real ones are a few KiB to a few
// hundred.
const maxModInfo = 4 << 20

// scanBuildInfo decodes the build information at offset off of f, without the executable's
// headers: the header (magic, pointer size, flags) and, since Go 1.18, the version and module
// strings inline after it, each prefixed by its length as a varint. Earlier releases stored
// pointers, which need the headers to resolve.
func scanBuildInfo(f *inventory.File, off int64) (*buildinfo.BuildInfo, error) {
	const headerSize, flagsOffset, flagsInline = 32, 15, 0x2
	var hdr [headerSize]byte
	if _, err := f.Content.ReadAt(hdr[:], off); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if hdr[flagsOffset]&flagsInline == 0 {
		return nil, errors.New("build information of a Go release before 1.18 points into the data, which needs the headers")
	}
	br := bufio.NewReader(io.NewSectionReader(f.Content, off+headerSize, f.Size-off-headerSize))
	str := func(what string, limit uint64) (string, error) {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			return "", fmt.Errorf("%s length: %w", what, err)
		}
		if n > limit {
			return "", fmt.Errorf("%s length %d is over %d", what, n, limit)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		return string(b), nil
	}
	vers, err := str("version", 1<<10)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(vers, "go") {
		return nil, fmt.Errorf("version %q", vers)
	}
	mod, err := str("module list", maxModInfo)
	if err != nil {
		return nil, err
	}
	// The module list is framed by 16-byte sentinels, as debug/buildinfo strips them.
	if len(mod) >= 33 && mod[len(mod)-17] == '\n' {
		mod = mod[16 : len(mod)-16]
	} else {
		mod = ""
	}
	bi, err := debug.ParseBuildInfo(mod)
	if err != nil {
		return nil, fmt.Errorf("module list: %w", err)
	}
	bi.GoVersion = vers
	return bi, nil
}

// executableMagic reports whether content starts like an ELF, Mach-O (thin or fat) or PE file.
func executableMagic(r io.ReaderAt) bool {
	var b [4]byte
	if _, err := r.ReadAt(b[:], 0); err != nil {
		return false
	}
	switch {
	case bytes.Equal(b[:], []byte("\x7fELF")):
		return true
	case b[0] == 'M' && b[1] == 'Z':
		return true
	}
	switch string(b[:]) {
	case "\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe":
		return true
	}
	return false
}

// Packages turns build information into packages: the main module, the dependencies and
// "stdlib". path is the binary, set as every package's Path. It returns nil for build
// information without a toolchain version.
func Packages(bi *buildinfo.BuildInfo, path string) []inventory.Package {
	if bi == nil || bi.GoVersion == "" {
		return nil
	}
	platform := Platform(bi)
	mk := func(name, version string) inventory.Package {
		return inventory.Package{
			Type:       inventory.TypeGo,
			Name:       name,
			Version:    version,
			Ecosystem:  "Go",
			PURL:       purl(name, version),
			Path:       path,
			GoVersion:  bi.GoVersion,
			GoPlatform: platform,
		}
	}
	var pkgs []inventory.Package
	if bi.Main.Path != "" {
		name, version := resolve(&bi.Main)
		p := mk(name, version)
		p.Main = true
		pkgs = append(pkgs, p)
	}
	for _, d := range bi.Deps {
		if d == nil || d.Path == "" {
			continue
		}
		name, version := resolve(d)
		pkgs = append(pkgs, mk(name, version))
	}
	pkgs = append(pkgs, mk("stdlib", StdlibVersion(bi.GoVersion)))
	return pkgs
}

// Platform returns "GOOS/GOARCH" from the build settings the linker records (Go 1.18 and
// later), or "" when either is missing.
func Platform(bi *buildinfo.BuildInfo) string {
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos == "" || goarch == "" {
		return ""
	}
	return goos + "/" + goarch
}

// resolve returns the module that was compiled in: the replacement when there is one.
func resolve(m *debug.Module) (name, version string) {
	if m.Replace == nil {
		return m.Path, m.Version
	}
	if m.Replace.Version == "" || m.Replace.Version == "(devel)" || localPath(m.Replace.Path) {
		// A local directory: its code is whatever was on disk, not any published version.
		return m.Path, "(devel)"
	}
	return m.Replace.Path, m.Replace.Version
}

// localPath reports whether a replacement names a directory rather than a module.
func localPath(p string) bool {
	return strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "/") ||
		p == "." || p == ".." || strings.HasPrefix(p, `.\`) || strings.HasPrefix(p, `..\`) ||
		len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// StdlibVersion turns a toolchain name into a version: "go1.20.14" gives "1.20.14",
// "go1.22.1 X:boringcrypto" and "go1.22.1-X:nocoverageredesign" give "1.22.1".
func StdlibVersion(goVersion string) string {
	v := strings.TrimPrefix(goVersion, "go")
	if i := strings.IndexAny(v, " \t"); i >= 0 {
		v = v[:i]
	}
	if i := strings.Index(v, "-X:"); i >= 0 {
		v = v[:i]
	}
	return v
}

func purl(name, version string) string {
	ns, n := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		ns, n = name[:i], name[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, n, version, nil, "").ToString()
}
