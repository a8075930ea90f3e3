package dotnet

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/rampartsec/rampart/internal/inventory"
)

// maxSize bounds a deps.json read into memory; large applications stay under a few MiB.
const maxSize = 32 << 20

// Analyzer catalogs NuGet packages. The zero value is ready to use and safe for concurrent use.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

// Name returns "dotnet-deps".
func (Analyzer) Name() string { return "dotnet-deps" }

// Version returns the analyzer's output version.
func (Analyzer) Version() int { return 2 }

// Required wants regular files whose name ends in ".deps.json".
func (Analyzer) Required(p string, info fs.FileInfo) bool {
	return strings.HasSuffix(p, ".deps.json") && info.Mode().IsRegular()
}

// Analyze parses a deps.json file. It returns nil when the file lists no NuGet package.
func (Analyzer) Analyze(_ context.Context, f *inventory.File) (*inventory.Result, error) {
	if f.Size > maxSize {
		return nil, fmt.Errorf("deps.json is %d bytes, over the %d-byte limit", f.Size, maxSize)
	}
	pkgs, err := Parse(f.Reader())
	return inventory.ResultOf(f.Path, pkgs, err)
}

// depsFile is the part of the deps.json format read here.
type depsFile struct {
	Targets   map[string]map[string]targetLibrary `json:"targets"`
	Libraries map[string]library                  `json:"libraries"`
}

type targetLibrary struct {
	Dependencies map[string]string `json:"dependencies"`
}

type library struct {
	Type string `json:"type"`
}

// Parse reads a deps.json document and returns its NuGet packages sorted by name and version,
// without Path. A library key that is not "NAME/VERSION" is an error; one without a version
// ("NAME/") is left out, and named in an error wrapping [inventory.ErrNoVersion] that comes
// with the packages.
func Parse(r io.Reader) ([]inventory.Package, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read deps.json: %w", err)
	}
	if len(b) > maxSize {
		return nil, fmt.Errorf("deps.json is over the %d-byte limit", maxSize)
	}
	var doc depsFile
	if err := json.Unmarshal(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), &doc); err != nil {
		return nil, fmt.Errorf("parse deps.json: %w", err)
	}
	// Direct dependencies are those the application's own projects list, in any target.
	direct := map[string]bool{}
	for _, libs := range doc.Targets {
		for key, lib := range libs {
			if doc.Libraries[key].Type != "project" {
				continue
			}
			for name := range lib.Dependencies {
				direct[strings.ToLower(strings.TrimPrefix(name, "runtimepack."))] = true
			}
		}
	}
	var pkgs []inventory.Package
	var unversioned []string
	for key, lib := range doc.Libraries {
		if lib.Type != "package" && lib.Type != "runtimepack" {
			continue
		}
		name, version, ok := strings.Cut(key, "/")
		if lib.Type == "runtimepack" {
			name = strings.TrimPrefix(name, "runtimepack.")
		}
		if !ok || name == "" {
			return nil, fmt.Errorf("parse deps.json: library %q is not NAME/VERSION", key)
		}
		if version == "" {
			unversioned = append(unversioned, name)
			continue
		}
		pkgs = append(pkgs, inventory.Package{
			Type:      inventory.TypeNuGet,
			Name:      name,
			Version:   version,
			Ecosystem: "NuGet",
			PURL:      packageurl.NewPackageURL(packageurl.TypeNuget, "", name, version, nil, "").ToString(),
			// NuGet ids are case-insensitive; deps.json keys and dependency lists may differ in case.
			Indirect: len(direct) > 0 && !direct[strings.ToLower(name)],
		})
	}
	slices.SortFunc(pkgs, func(a, b inventory.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})
	slices.Sort(unversioned)
	return pkgs, inventory.NoVersion(unversioned)
}
