package rustbinary

import (
	"bytes"
	"cmp"
	"compress/zlib"
	"context"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/package-url/packageurl-go"

	"github.com/rampartsec/rampart/internal/inventory"
)

// Size limits. cargo-auditable's own reader stops at 8 MiB of JSON.
const (
	// MaxTreeSize bounds the decompressed dependency tree.
	MaxTreeSize = 8 << 20
	// maxSectionSize bounds the compressed section read into memory.
	maxSectionSize = 8 << 20
	// maxFileSize is the largest executable the analyzer asks for.
	maxFileSize = 1 << 30
)

// ErrTooLarge is returned when the section or its decompressed tree is over its limit.
var ErrTooLarge = errors.New("rustbinary: dependency tree too large")

// Analyzer reads cargo-auditable dependency trees. The zero value is ready to use and safe
// for concurrent use.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

// Name returns "rustbinary".
func (Analyzer) Name() string { return "rustbinary" }

// Version returns the analyzer's output version.
func (Analyzer) Version() int { return 1 }

// Required wants regular files with any execute bit set, up to 1 GiB.
func (Analyzer) Required(_ string, info fs.FileInfo) bool {
	m := info.Mode()
	return m.IsRegular() && m&0o111 != 0 && info.Size() >= 64 && info.Size() <= maxFileSize
}

// Analyze returns the crates of an executable with a .dep-v0 section, or nil for any other file.
// An executable whose headers cannot be read but that names the section gives a warning, as
// do packages without a version.
func (Analyzer) Analyze(_ context.Context, f *inventory.File) (*inventory.Result, error) {
	data, warning, err := section(f)
	if warning != "" {
		return &inventory.Result{Warnings: []string{warning}}, nil
	}
	if err != nil || data == nil {
		return nil, err
	}
	pkgs, err := Parse(data)
	return inventory.ResultOf(f.Path, pkgs, err)
}

// section returns the raw .dep-v0 section, or nil when the file is not an executable or has
// no such section. An executable whose headers do not parse is searched for the section's
// name: when it is there, the section most likely is too, and warning says it was not read.
func section(f *inventory.File) (data []byte, warning string, err error) {
	r := f.Content
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return nil, "", nil
	}
	var size uint64
	var open func() ([]byte, error)
	// named looks for the section's name, as the section header table or its string table
	// spells it, in a file whose headers could not be read.
	named := func(name string, headerErr error) ([]byte, string, error) {
		off, err := f.Index([]byte(name), 1)
		if err != nil || off < 0 {
			return nil, "", err
		}
		return nil, fmt.Sprintf("executable headers unreadable (%v), but it names a cargo-auditable dependency section: its crates are not reported", headerErr), nil
	}
	switch {
	case string(magic[:]) == "\x7fELF":
		ef, err := elf.NewFile(r)
		if err != nil {
			return named("\x00.dep-v0\x00", err)
		}
		s := ef.Section(".dep-v0")
		if s == nil || s.Type == elf.SHT_NOBITS {
			return nil, "", nil
		}
		size, open = s.Size, s.Data
	case magic[0] == 'M' && magic[1] == 'Z':
		pf, err := pe.NewFile(r)
		if err != nil {
			return named(".dep-v0\x00", err)
		}
		s := pf.Section(".dep-v0")
		if s == nil {
			return nil, "", nil
		}
		size, open = uint64(s.Size), s.Data
	case string(magic[:]) == "\xcf\xfa\xed\xfe" || string(magic[:]) == "\xce\xfa\xed\xfe":
		mf, err := macho.NewFile(r)
		if err != nil {
			return named("__dep_v0\x00", err)
		}
		s := mf.Section("__dep_v0")
		if s == nil {
			return nil, "", nil
		}
		size, open = s.Size, s.Data
	default:
		return nil, "", nil
	}
	if size > maxSectionSize {
		return nil, "", fmt.Errorf("%w: section is %d bytes", ErrTooLarge, size)
	}
	data, err = open()
	if err != nil {
		return nil, "", fmt.Errorf("read .dep-v0: %w", err)
	}
	return data, "", nil
}

// tree is cargo-auditable's format.
type tree struct {
	Packages []struct {
		Name         string `json:"name"`
		Version      string `json:"version"`
		Source       string `json:"source"`
		Kind         string `json:"kind"`
		Dependencies []int  `json:"dependencies"`
		Root         bool   `json:"root"`
	} `json:"packages"`
}

// Parse decodes a .dep-v0 section: zlib-compressed JSON. Packages come sorted by name and
// version, without Path. It returns an error wrapping [ErrTooLarge] when the JSON is over
// [MaxTreeSize], and an error for corrupt data or dependency indices out of range.
func Parse(section []byte) ([]inventory.Package, error) {
	zr, err := zlib.NewReader(bytes.NewReader(section))
	if err != nil {
		return nil, fmt.Errorf("decompress .dep-v0: %w", err)
	}
	defer zr.Close()
	raw, err := io.ReadAll(io.LimitReader(zr, MaxTreeSize+1))
	if err != nil {
		return nil, fmt.Errorf("decompress .dep-v0: %w", err)
	}
	if len(raw) > MaxTreeSize {
		return nil, fmt.Errorf("%w: over %d bytes decompressed", ErrTooLarge, MaxTreeSize)
	}
	return ParseJSON(raw)
}

// ParseJSON decodes the uncompressed dependency tree; see [Parse]. Packages without a version
// are left out, and named in an error wrapping [inventory.ErrNoVersion] that comes with the
// others.
func ParseJSON(raw []byte) ([]inventory.Package, error) {
	var t tree
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("parse .dep-v0: %w", err)
	}
	direct := map[int]bool{}
	hasRoot := false
	for _, p := range t.Packages {
		hasRoot = hasRoot || p.Root
		for _, d := range p.Dependencies {
			if d < 0 || d >= len(t.Packages) {
				return nil, fmt.Errorf("parse .dep-v0: package %s depends on index %d of %d", p.Name, d, len(t.Packages))
			}
			if p.Root {
				direct[d] = true
			}
		}
	}
	pkgs := make([]inventory.Package, 0, len(t.Packages))
	var noVersion []string
	for i, p := range t.Packages {
		if p.Name == "" {
			return nil, fmt.Errorf("parse .dep-v0: package %d has no name", i)
		}
		if p.Version == "" {
			noVersion = append(noVersion, p.Name)
			continue
		}
		pkg := inventory.Package{
			Type:    inventory.TypeCargo,
			Name:    p.Name,
			Version: p.Version,
			PURL:    packageurl.NewPackageURL(packageurl.TypeCargo, "", p.Name, p.Version, nil, "").ToString(),
			Main:    p.Root,
			Dev:     p.Kind == "build",
			// Without a root there is no telling what is direct.
			Indirect: hasRoot && !p.Root && !direct[i],
		}
		if p.Source == "crates.io" {
			pkg.Ecosystem = "crates.io"
		}
		pkgs = append(pkgs, pkg)
	}
	slices.SortFunc(pkgs, func(a, b inventory.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})
	return pkgs, inventory.NoVersion(noVersion)
}
