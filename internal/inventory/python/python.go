// Package python catalogs installed Python distributions from their core metadata: the METADATA
// file of a *.dist-info directory (wheels, pip) and the PKG-INFO of an *.egg-info directory, or an
// *.egg-info file (setuptools, distutils, most Debian python3-* packages).
//
// # Usage
//
// [Analyzer] plugs into the layer walker like every [inventory.Analyzer]; [Parse] reads one
// metadata file on its own.
package python

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/rampartsec/rampart/internal/inventory"
)

// maxHeaderSize bounds the header block read from a metadata file. The long description that
// follows it can be large and is never read.
const maxHeaderSize = 1 << 20

// ErrNoMetadata is returned by [Parse] for a file without a Name or Version header.
var ErrNoMetadata = errors.New("python: no name or version in metadata")

// noVersion is Parse's error for metadata naming a distribution without a version: it wraps
// both [ErrNoMetadata] and [inventory.ErrNoVersion].
func noVersion(name string) error {
	return fmt.Errorf("%w: %w", ErrNoMetadata, inventory.NoVersion([]string{name}))
}

// Analyzer catalogs Python distributions. The zero value is ready to use and safe for
// concurrent use.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

// Name implements [inventory.Analyzer].
func (Analyzer) Name() string { return "python" }

// Version implements [inventory.Analyzer].
func (Analyzer) Version() int { return 1 }

// Required wants NAME.dist-info/METADATA, NAME.egg-info/PKG-INFO and NAME.egg-info files.
func (Analyzer) Required(p string, info fs.FileInfo) bool {
	dir, base := path.Split(p)
	switch base {
	case "METADATA":
		return strings.HasSuffix(dir, ".dist-info/")
	case "PKG-INFO":
		return strings.HasSuffix(dir, ".egg-info/")
	}
	return strings.HasSuffix(base, ".egg-info") && (info == nil || info.Mode().IsRegular())
}

// Analyze implements [inventory.Analyzer].
func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	p, err := Parse(f.Reader())
	switch {
	case errors.Is(err, inventory.ErrNoVersion):
		return inventory.ResultOf(f.Path, nil, inventory.NoVersion([]string{p.Name}))
	case errors.Is(err, ErrNoMetadata):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("python: %s: %w", f.Path, err)
	}
	return inventory.ResultOf(f.Path, []inventory.Package{p}, nil)
}

// Parse reads the RFC 822-style header block of a core metadata file (METADATA or PKG-INFO).
// It returns an error wrapping [ErrNoMetadata] when Name or Version is missing, which also
// wraps [inventory.ErrNoVersion] when only Version is (the package then has its Name).
func Parse(r io.Reader) (inventory.Package, error) {
	h, err := readHeaders(r)
	if err != nil {
		return inventory.Package{}, err
	}
	name, version := first(h["name"]), first(h["version"])
	if name != "" && version == "" && !strings.ContainsAny(name, " \t/") {
		return inventory.Package{Name: name}, noVersion(name)
	}
	if name == "" || version == "" || strings.ContainsAny(name+version, " \t/") {
		return inventory.Package{}, ErrNoMetadata
	}
	return inventory.Package{
		Type:      inventory.TypePython,
		Name:      name,
		Version:   version,
		Ecosystem: "PyPI",
		PURL:      packageurl.NewPackageURL(packageurl.TypePyPi, "", Normalize(name), version, nil, "").ToString(),
		Licenses:  licenses(h),
	}, nil
}

// readHeaders reads "Key: value" lines up to the first empty line. Continuation lines (starting
// with white space) extend the previous value. Keys are lower-cased; repeated keys keep every value.
func readHeaders(r io.Reader) (map[string][]string, error) {
	br := bufio.NewReader(io.LimitReader(r, maxHeaderSize))
	h := map[string][]string{}
	var last string
	for {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("read metadata: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" && err == nil {
			break // end of headers; the description follows
		}
		if line != "" {
			if line[0] == ' ' || line[0] == '\t' {
				if vs := h[last]; last != "" && len(vs) > 0 {
					vs[len(vs)-1] += "\n" + strings.TrimSpace(line)
				}
			} else if k, v, ok := strings.Cut(line, ":"); ok {
				last = strings.ToLower(strings.TrimSpace(k))
				h[last] = append(h[last], strings.TrimSpace(v))
			}
		}
		if err == io.EOF {
			break
		}
	}
	return h, nil
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return strings.TrimSpace(vs[0])
}

// licenses prefers License-Expression (PEP 639), then a one-line License field, then the
// "License ::" trove classifiers. Many packages put the whole licence text into License; that
// is no licence name and is left out.
func licenses(h map[string][]string) []string {
	if e := first(h["license-expression"]); e != "" {
		return []string{e}
	}
	if l := first(h["license"]); l != "" && !strings.Contains(l, "\n") && len(l) <= 100 &&
		!strings.EqualFold(l, "UNKNOWN") {
		return []string{l}
	}
	var out []string
	for _, c := range h["classifier"] {
		if rest, ok := strings.CutPrefix(c, "License ::"); ok {
			parts := strings.Split(rest, "::")
			if l := strings.TrimSpace(parts[len(parts)-1]); l != "" && l != "OSI Approved" {
				out = append(out, l)
			}
		}
	}
	return out
}

var separators = regexp.MustCompile(`[-_.]+`)

// Normalize returns the PEP 503 normalised form of a distribution name, as PyPI and OSV compare
// names: lower case, with each run of '-', '_' and '.' replaced by one '-'.
func Normalize(name string) string {
	return separators.ReplaceAllString(strings.ToLower(name), "-")
}
