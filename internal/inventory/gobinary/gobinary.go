package gobinary

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
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

// Analyze returns the modules of a Go executable, or nil for any other file.
func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	if !executableMagic(f.Content) {
		return nil, nil
	}
	bi, err := buildinfo.Read(f.Content)
	if err != nil {
		// buildinfo's sentinels are unexported. An executable that is not Go is not an error,
		// nor is a file that only starts like one (a Java class shares the fat Mach-O magic).
		if msg := err.Error(); strings.Contains(msg, "not a Go executable") || strings.Contains(msg, "unrecognized file format") {
			return nil, nil
		}
		return nil, fmt.Errorf("read go build info: %w", err)
	}
	pkgs := Packages(bi, f.Path)
	if len(pkgs) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	names, err := Symbols(f.Content)
	if err != nil {
		// Modules without symbols are still worth reporting: matching then assumes the
		// vulnerable code may be reached. The interface drops results that come with an error.
		slog.Warn("go binary without readable symbols", "analyzer", "gobinary", "path", f.Path, "err", err)
		return &inventory.Result{Packages: pkgs}, nil
	}
	assignSymbols(pkgs, bi, names)
	return &inventory.Result{Packages: pkgs}, nil
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
