package npm

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rampartsec/rampart/internal/inventory"
)

// packageLock is package-lock.json / npm-shrinkwrap.json. Version 1 has only the nested
// "dependencies" tree; version 2 has both; version 3 has only the flat "packages" map.
type packageLock struct {
	LockfileVersion int                    `json:"lockfileVersion"`
	Packages        map[string]lockPackage `json:"packages"`
	Dependencies    map[string]lockDep     `json:"dependencies"`
}

// lockPackage is an entry of the "packages" map, keyed by install path
// ("node_modules/a/node_modules/@s/b"); "" is the project itself.
type lockPackage struct {
	Name        string          `json:"name"`
	Version     string          `json:"version"`
	Dev         bool            `json:"dev"`
	DevOptional bool            `json:"devOptional"`
	Link        bool            `json:"link"`
	License     json.RawMessage `json:"license"`
}

// lockDep is an entry of the version 1 "dependencies" tree, keyed by package name.
type lockDep struct {
	Version      string             `json:"version"`
	Dev          bool               `json:"dev"`
	Dependencies map[string]lockDep `json:"dependencies"`
}

// maxDepDepth bounds the recursion into a version 1 tree; real trees are far shallower.
const maxDepDepth = 256

// ParsePackageLock reads a package-lock.json or npm-shrinkwrap.json of any lockfileVersion. The
// project itself, workspace members and linked packages are left out; identical (name, version)
// pairs are reported once. The result is sorted by name and version. Entries without a version
// are left out too, and named in an error wrapping [inventory.ErrNoVersion] that comes with
// the packages.
func ParsePackageLock(r io.Reader) ([]inventory.Package, error) {
	b, err := readAll(r, maxLockSize)
	if err != nil {
		return nil, err
	}
	var lock packageLock
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("decode package lock: %w", err)
	}
	var pkgs []inventory.Package
	var unversioned []string
	add := func(name, version string, dev bool, license json.RawMessage) {
		p, ok := lockEntry(name, version)
		if !ok {
			if strings.TrimSpace(version) == "" && validName(name) {
				unversioned = append(unversioned, name)
			}
			return
		}
		p.Dev = dev
		p.Licenses = licenses(license, nil)
		pkgs = append(pkgs, p)
	}
	if len(lock.Packages) > 0 {
		for key, e := range lock.Packages {
			i := strings.LastIndex(key, "node_modules/")
			if key == "" || e.Link || i < 0 {
				// The root, a symlink to a workspace, or a workspace member: the project's own code.
				continue
			}
			name := key[i+len("node_modules/"):]
			if e.Name != "" {
				name = e.Name // an alias: "node_modules/foo" installed from "npm:bar@1.0.0"
			}
			// devOptional packages ship when optional dependencies do, so they are not dev-only.
			add(name, e.Version, e.Dev, e.License)
		}
		return dedupe(pkgs), noVersion(unversioned)
	}
	var walk func(deps map[string]lockDep, depth int)
	walk = func(deps map[string]lockDep, depth int) {
		if depth > maxDepDepth {
			return
		}
		for name, d := range deps {
			add(name, d.Version, d.Dev, nil)
			walk(d.Dependencies, depth+1)
		}
	}
	walk(lock.Dependencies, 0)
	return dedupe(pkgs), noVersion(unversioned)
}

// lockEntry turns a lock entry's name and version into a package. Aliases written as
// "npm:real-name@1.2.3" name the real package; local directories and links are skipped.
func lockEntry(name, version string) (inventory.Package, bool) {
	version = strings.TrimSpace(version)
	if rest, ok := strings.CutPrefix(version, "npm:"); ok {
		n, v, ok := splitNameVersion(rest)
		if !ok {
			return inventory.Package{}, false
		}
		name, version = n, v
	}
	if version == "" || strings.HasPrefix(version, "file:") || strings.HasPrefix(version, "link:") ||
		!validName(name) {
		return inventory.Package{}, false
	}
	return newPackage(name, version), true
}
