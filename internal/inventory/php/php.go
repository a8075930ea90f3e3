// Package php catalogs Composer packages: those installed into a vendor directory (recorded in
// vendor/composer/installed.json, a JSON array in Composer 1 and an object with a "packages"
// array in Composer 2) and those pinned by composer.lock.
//
// # Usage
//
// [Analyzer] plugs into the layer walker like every [inventory.Analyzer]; [ParseInstalled] and
// [ParseLock] read one file on their own.
package php

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
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

// maxFileSize bounds what is read: installed.json and composer.lock of large applications reach
// a few MB; 50 MB leaves room without letting a hostile file exhaust memory.
const maxFileSize = 50 << 20

// Analyzer catalogs Composer packages. The zero value is ready to use and safe for concurrent use.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

// Name implements [inventory.Analyzer].
func (Analyzer) Name() string { return "php" }

// Version implements [inventory.Analyzer].
func (Analyzer) Version() int { return 1 }

// Required wants vendor/composer/installed.json and composer.lock files outside vendor
// directories (a library's own lock file, shipped inside vendor, was not what got installed).
func (Analyzer) Required(p string, info fs.FileInfo) bool {
	switch path.Base(p) {
	case "installed.json":
		return p == "vendor/composer/installed.json" || strings.HasSuffix(p, "/vendor/composer/installed.json")
	case "composer.lock":
		return !strings.HasPrefix(p, "vendor/") && !strings.Contains(p, "/vendor/")
	}
	return false
}

// Analyze implements [inventory.Analyzer].
func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	if f.Size > maxFileSize {
		return nil, fmt.Errorf("php: %s is %d bytes, over the %d byte limit", f.Path, f.Size, maxFileSize)
	}
	parse := ParseLock
	if path.Base(f.Path) == "installed.json" {
		parse = ParseInstalled
	}
	pkgs, err := parse(f.Reader())
	if err != nil && !errors.Is(err, inventory.ErrNoVersion) {
		return nil, fmt.Errorf("php: %s: %w", f.Path, err)
	}
	return inventory.ResultOf(f.Path, pkgs, err)
}

// composerPackage is one package entry, the same in installed.json and composer.lock.
type composerPackage struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	License json.RawMessage `json:"license"`
}

// ParseInstalled reads vendor/composer/installed.json in either Composer's 1 or 2 format.
// Composer 2 lists the packages installed for development in "dev-package-names"; those are
// marked Dev. The result is sorted by name and version. Packages without a version are left
// out, and named in an error wrapping [inventory.ErrNoVersion] that comes with the others.
func ParseInstalled(r io.Reader) ([]inventory.Package, error) {
	b, err := readAll(r)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimLeft(b, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '[' {
		var v1 []composerPackage
		if err := json.Unmarshal(b, &v1); err != nil {
			return nil, fmt.Errorf("decode installed.json: %w", err)
		}
		return packages(v1, nil, nil)
	}
	var v2 struct {
		Packages []composerPackage `json:"packages"`
		DevNames []string          `json:"dev-package-names"`
	}
	if err := json.Unmarshal(b, &v2); err != nil {
		return nil, fmt.Errorf("decode installed.json: %w", err)
	}
	return packages(v2.Packages, nil, v2.DevNames)
}

// ParseLock reads a composer.lock; "packages-dev" entries are marked Dev. The result is sorted
// by name and version. Packages without a version are left out, and named in an error wrapping
// [inventory.ErrNoVersion] that comes with the others.
func ParseLock(r io.Reader) ([]inventory.Package, error) {
	b, err := readAll(r)
	if err != nil {
		return nil, err
	}
	var lock struct {
		Packages    []composerPackage `json:"packages"`
		PackagesDev []composerPackage `json:"packages-dev"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("decode composer.lock: %w", err)
	}
	return packages(lock.Packages, lock.PackagesDev, nil)
}

// packages converts entries, marking the dev list and names in devNames as Dev, and drops
// entries without a vendor/name or a valid version, and repeated name and version pairs. Those
// with a name but no version are named in an error wrapping [inventory.ErrNoVersion].
func packages(prod, dev []composerPackage, devNames []string) ([]inventory.Package, error) {
	var out []inventory.Package
	var unversioned []string
	add := func(c composerPackage, isDev bool) {
		vendor, name, ok := strings.Cut(strings.TrimSpace(c.Name), "/")
		version := trimV(strings.TrimSpace(c.Version))
		if !ok || !validPart(vendor) || !validPart(name) || strings.ContainsAny(version, " \t\n") {
			return
		}
		if version == "" {
			unversioned = append(unversioned, vendor+"/"+name)
			return
		}
		full := vendor + "/" + name
		out = append(out, inventory.Package{
			Type:      inventory.TypeComposer,
			Name:      full,
			Version:   version,
			Ecosystem: "Packagist",
			PURL:      packageurl.NewPackageURL(packageurl.TypeComposer, vendor, name, version, nil, "").ToString(),
			Licenses:  licenses(c.License),
			Dev:       isDev || slices.Contains(devNames, full),
		})
	}
	for _, c := range prod {
		add(c, false)
	}
	for _, c := range dev {
		add(c, true)
	}
	slices.SortStableFunc(out, func(a, b inventory.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})
	out = slices.CompactFunc(out, func(a, b inventory.Package) bool {
		return a.Name == b.Name && a.Version == b.Version
	})
	slices.Sort(unversioned)
	return out, inventory.NoVersion(slices.Compact(unversioned))
}

// trimV drops the "v" that many tags carry ("v2.1.2" → "2.1.2"): Packagist advisories and OSV
// use the bare version.
func trimV(v string) string {
	if len(v) > 1 && (v[0] == 'v' || v[0] == 'V') && v[1] >= '0' && v[1] <= '9' {
		return v[1:]
	}
	return v
}

// validPart accepts a Composer vendor or package name part: lower-case letters, digits and
// the separators Composer allows.
func validPart(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// licenses reads "license", an array of SPDX identifiers or (in old packages) one string.
func licenses(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil || s == "" {
			return nil
		}
		list = []string{s}
	}
	var out []string
	for _, l := range list {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func readAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("content over %d bytes", maxFileSize)
	}
	return b, nil
}
