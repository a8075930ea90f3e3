package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
)

// Analyzer finds packages (or OS facts, or findings) in files of a layer or directory.
//
// Implementations must be safe for concurrent use: the same value analyzes every layer.
type Analyzer interface {
	// Name identifies the analyzer in logs and cache keys.
	Name() string
	// Version feeds the layer cache key: bump it whenever the analyzer's output changes.
	Version() int
	// Required reports whether the analyzer wants the file. path is slash-separated, relative to
	// the root, without a leading slash. It must be cheap: it runs for every entry of every layer.
	Required(path string, info fs.FileInfo) bool
	// Analyze reads one file. It returns a nil Result and a nil error when the file holds
	// nothing of interest. An error is recorded as a warning for that file; it does not stop the scan.
	Analyze(ctx context.Context, f *File) (*Result, error)
}

// Configured is an [Analyzer] whose output depends on options beyond its code (a rules file, a
// size limit, a hash list). CacheKey returns a fingerprint of every such option; the layer
// cache keys a layer's results by it along with Name and Version, so that a run with other
// options reads the layer again instead of serving results found under the old ones. It is
// called once per scan and may be costly; equal options must give equal keys across processes
// (no pointers, no map order, no random seeds).
type Configured interface {
	Analyzer
	CacheKey() string
}

// File is one file handed to an analyzer. Content, Data and the slice Bytes returns are valid
// only during the Analyze call: the layer walker reuses its buffers for the next file, so an
// analyzer copies (string(b) does) whatever it keeps.
type File struct {
	Path    string
	Info    fs.FileInfo
	Content io.ReaderAt
	Size    int64
	// Data is the whole content when the walker holds it in memory, nil otherwise. Analyzers must
	// not modify it: several analyzers share it.
	Data []byte
}

// Bytes returns the whole content: Data when set, otherwise a copy read from Content.
func (f *File) Bytes() ([]byte, error) {
	if f.Data != nil || f.Size == 0 {
		return f.Data, nil
	}
	b := make([]byte, f.Size)
	n, err := f.Content.ReadAt(b, 0)
	if err != nil && !(err == io.EOF && int64(n) == f.Size) {
		return nil, err
	}
	return b, nil
}

// Reader returns a reader over the whole content, starting at offset 0.
func (f *File) Reader() io.Reader { return io.NewSectionReader(f.Content, 0, f.Size) }

// Result is what an analyzer found in one file.
type Result struct {
	Packages []Package
	// OS is set by the os-release analyzer.
	OS *OS
	// Findings are problems seen in the file itself (secrets, malware, misconfigurations).
	Findings []finding.Finding
	// Distroless is set when the file is a distroless dpkg status.d entry.
	Distroless bool
	// Owners lists files installed by an OS package whose own record is elsewhere
	// (dpkg's info/NAME.list files): package key "deb:NAME" → files.
	Owners map[string][]string
	// Warnings say what of the file the analyzer could not read while still returning what it
	// could (a nested archive over a limit, a package without a version, a binary whose tables
	// are damaged). The layer walker names the analyzer and the file in front of each, and they
	// are part of the scan's result, cached with the layer like the packages.
	Warnings []string
}

// Warn adds a warning to r; format and args are as fmt.Sprintf's.
func (r *Result) Warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// ErrNoVersion is wrapped by the errors of parsers that left out packages their file names
// without a version: a package without a version cannot be matched against advisories, and is
// not reported, but the scan must say it saw one. Analyzers turn it into a warning.
var ErrNoVersion = errors.New("inventory: package without a version left out")

// maxNamed bounds how many names NoVersion lists.
const maxNamed = 10

// NoVersion returns nil when names is empty, else an error wrapping [ErrNoVersion] that lists
// the names (the first ten, and how many more).
func NoVersion(names []string) error {
	switch n := len(names); {
	case n == 0:
		return nil
	case n > maxNamed:
		return fmt.Errorf("%w: %s and %d more", ErrNoVersion, strings.Join(names[:maxNamed], ", "), n-maxNamed)
	default:
		return fmt.Errorf("%w: %s", ErrNoVersion, strings.Join(names, ", "))
	}
}

// ResultOf is the result of a parser's packages pkgs found in the file at path (set as the Path
// of those without one) and its error err: nil when there is neither, the error alone when it
// is anything but packages left out without a version ([ErrNoVersion]), which becomes a
// warning of the result instead.
func ResultOf(path string, pkgs []Package, err error) (*Result, error) {
	if err != nil && !errors.Is(err, ErrNoVersion) {
		return nil, err
	}
	if len(pkgs) == 0 && err == nil {
		return nil, nil
	}
	for i := range pkgs {
		if pkgs[i].Path == "" {
			pkgs[i].Path = path
		}
	}
	r := &Result{Packages: pkgs}
	if err != nil {
		r.Warnings = []string{err.Error()}
	}
	return r, nil
}
