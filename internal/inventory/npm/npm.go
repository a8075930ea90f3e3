// Package npm catalogs JavaScript packages: those installed under node_modules (each package's
// own package.json) and those pinned by lock files (package-lock.json and npm-shrinkwrap.json,
// yarn.lock in the classic and Berry formats, pnpm-lock.yaml).
//
// # Usage
//
// [Analyzer] plugs into the layer walker like every [inventory.Analyzer]. The parsers
// [ParsePackageJSON], [ParsePackageLock], [ParseYarnLock] and [ParsePnpmLock] can also be used on
// their own.
package npm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/rampartsec/rampart/internal/inventory"
)

// Size limits: an installed package.json is small; lock files of large monorepos reach tens of MB.
const (
	maxManifestSize = 4 << 20
	maxLockSize     = 50 << 20
)

// Analyzer catalogs npm packages. The zero value is ready to use and safe for concurrent use.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

// Name implements [inventory.Analyzer].
func (Analyzer) Name() string { return "npm" }

// Version implements [inventory.Analyzer].
func (Analyzer) Version() int { return 1 }

// Required wants package.json files directly inside a node_modules package directory and lock
// files outside node_modules. node_modules/.package-lock.json only repeats what the installed
// package.json files say, so it is not read.
func (Analyzer) Required(p string, info fs.FileInfo) bool {
	dir, base := path.Split(p)
	switch base {
	case "package.json":
		return installedPackageDir(strings.TrimSuffix(dir, "/"))
	case "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml":
		return !inNodeModules(p)
	}
	return false
}

// installedPackageDir reports whether dir is node_modules/NAME or node_modules/@SCOPE/NAME.
func installedPackageDir(dir string) bool {
	parent, name := path.Split(dir)
	if name == "" || strings.HasPrefix(name, ".") {
		return false
	}
	scope := strings.HasPrefix(name, "@")
	parent = strings.TrimSuffix(parent, "/")
	gp, pbase := path.Split(parent)
	if pbase == "node_modules" {
		return !scope // node_modules/@scope itself is no package
	}
	if !scope && strings.HasPrefix(pbase, "@") && len(pbase) > 1 {
		_, gbase := path.Split(strings.TrimSuffix(gp, "/"))
		return gbase == "node_modules"
	}
	return false
}

func inNodeModules(p string) bool {
	return strings.HasPrefix(p, "node_modules/") || strings.Contains(p, "/node_modules/")
}

// Analyze implements [inventory.Analyzer].
func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	base := path.Base(f.Path)
	limit := int64(maxLockSize)
	if base == "package.json" {
		limit = maxManifestSize
	}
	if f.Size > limit {
		return nil, fmt.Errorf("npm: %s is %d bytes, over the %d byte limit", base, f.Size, limit)
	}
	var (
		pkgs []inventory.Package
		err  error
	)
	r := f.Reader()
	switch base {
	case "package.json":
		var p *inventory.Package
		p, err = ParsePackageJSON(r)
		if p != nil {
			pkgs = []inventory.Package{*p}
		}
	case "package-lock.json", "npm-shrinkwrap.json":
		pkgs, err = ParsePackageLock(r)
	case "yarn.lock":
		pkgs, err = ParseYarnLock(r)
	case "pnpm-lock.yaml":
		pkgs, err = ParsePnpmLock(r)
	default:
		return nil, nil
	}
	if err != nil && !errors.Is(err, inventory.ErrNoVersion) {
		return nil, fmt.Errorf("npm: %s: %w", f.Path, err)
	}
	return inventory.ResultOf(f.Path, pkgs, err)
}

// newPackage fills the fields every npm package shares.
func newPackage(name, version string) inventory.Package {
	return inventory.Package{
		Type:      inventory.TypeNpm,
		Name:      name,
		Version:   version,
		Ecosystem: "npm",
		PURL:      purl(name, version),
	}
}

// purl returns pkg:npm/%40scope/name@version or pkg:npm/name@version.
func purl(name, version string) string {
	ns, n := "", name
	if strings.HasPrefix(name, "@") {
		if s, rest, ok := strings.Cut(name, "/"); ok {
			ns, n = s, rest
		}
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, n, version, nil, "").ToString()
}

// splitNameVersion splits "name@version" and "@scope/name@version" at the version's '@'.
func splitNameVersion(s string) (name, version string, ok bool) {
	i := strings.LastIndex(s, "@")
	if i <= 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// noVersion is the error for the packages a file names without a version, nil for none: each
// named once, sorted.
func noVersion(names []string) error {
	slices.Sort(names)
	return inventory.NoVersion(slices.Compact(names))
}

// dedupe sorts pkgs and merges identical (name, version) pairs. A merged package is Dev only when
// every occurrence is: one production path is enough to ship it.
func dedupe(pkgs []inventory.Package) []inventory.Package {
	slices.SortStableFunc(pkgs, func(a, b inventory.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})
	out := pkgs[:0]
	for _, p := range pkgs {
		if n := len(out); n > 0 && out[n-1].Name == p.Name && out[n-1].Version == p.Version {
			out[n-1].Dev = out[n-1].Dev && p.Dev
			if len(out[n-1].Licenses) == 0 {
				out[n-1].Licenses = p.Licenses
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

// validName rejects names that cannot be npm packages, so that a garbled lock entry does not
// become a package.
func validName(name string) bool {
	if name == "" || len(name) > 214 || strings.ContainsAny(name, " \t\r\n\"'") {
		return false
	}
	if strings.HasPrefix(name, "@") {
		s, n, ok := strings.Cut(name, "/")
		return ok && len(s) > 1 && n != "" && !strings.Contains(n, "/")
	}
	return !strings.Contains(name, "/")
}

// readAll reads at most limit bytes of r; more is an error rather than a silent truncation.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("content over %d bytes", limit)
	}
	return b, nil
}
