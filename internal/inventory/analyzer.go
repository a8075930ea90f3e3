package inventory

import (
	"context"
	"io"
	"io/fs"

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
}
