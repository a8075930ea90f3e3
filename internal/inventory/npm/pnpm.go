package npm

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rampartsec/rampart/internal/inventory"
)

// pnpmLock is the part of pnpm-lock.yaml the inventory reads. Versions 5 and 6 key "packages" by
// "/name/1.2.3" and "/name@1.2.3" with a dev flag on each; version 9 keys it by "name@1.2.3" and
// moves the dependency graph to "snapshots", so dev-only packages are found by walking it.
type pnpmLock struct {
	LockfileVersion string                  `yaml:"lockfileVersion"`
	Importers       map[string]pnpmImporter `yaml:"importers"`
	Packages        map[string]pnpmPackage  `yaml:"packages"`
	Snapshots       map[string]pnpmSnapshot `yaml:"snapshots"`
}

type pnpmImporter struct {
	Dependencies         map[string]pnpmImportedDep `yaml:"dependencies"`
	OptionalDependencies map[string]pnpmImportedDep `yaml:"optionalDependencies"`
	DevDependencies      map[string]pnpmImportedDep `yaml:"devDependencies"`
}

type pnpmImportedDep struct {
	Version string `yaml:"version"`
}

type pnpmPackage struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	Dev     *bool  `yaml:"dev"`
}

type pnpmSnapshot struct {
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

// ParsePnpmLock reads a pnpm-lock.yaml of lockfileVersion 5.x, 6.x or 9.x. Each name@version is
// reported once, sorted. Entries without a version are left out, and named in an error
// wrapping [inventory.ErrNoVersion] that comes with the packages.
func ParsePnpmLock(r io.Reader) ([]inventory.Package, error) {
	b, err := readAll(r, maxLockSize)
	if err != nil {
		return nil, err
	}
	var lock pnpmLock
	if err := yaml.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("decode pnpm lock: %w", err)
	}
	major := 0
	if m, _, _ := strings.Cut(strings.TrimSpace(lock.LockfileVersion), "."); m != "" {
		major, _ = strconv.Atoi(m)
	}
	var prod map[string]bool
	if major >= 9 && len(lock.Importers) > 0 {
		prod = lock.prodReachable()
	}
	var pkgs []inventory.Package
	var unversioned []string
	for key, e := range lock.Packages {
		name, version, ok := pnpmKey(key, major > 0 && major < 6)
		if e.Name != "" {
			name = e.Name
		}
		if e.Version != "" {
			version = e.Version
		}
		if (!ok && (e.Name == "" || e.Version == "")) || !validName(name) {
			continue // a local directory, or no package
		}
		if version == "" {
			unversioned = append(unversioned, name)
			continue
		}
		p := newPackage(name, version)
		switch {
		case prod != nil:
			p.Dev = !prod[stripPeers(strings.TrimPrefix(key, "/"))]
		case e.Dev != nil:
			p.Dev = *e.Dev
		}
		pkgs = append(pkgs, p)
	}
	return dedupe(pkgs), noVersion(unversioned)
}

// pnpmKey splits a packages key. Version 5 separates the version with a slash and appends peer
// dependencies after an underscore ("/@babel/core/7.0.0_supports-color@5.5.0"); later versions
// use '@' and parentheses ("/@babel/core@7.0.0(supports-color@5.5.0)", without the leading slash
// in version 9).
func pnpmKey(key string, v5 bool) (name, version string, ok bool) {
	key = stripPeers(strings.TrimPrefix(key, "/"))
	if !v5 {
		return splitNameVersion(key)
	}
	i := strings.LastIndex(key, "/")
	if i <= 0 {
		return "", "", false
	}
	name, version = key[:i], key[i+1:]
	if j := strings.IndexByte(version, '_'); j >= 0 {
		version = version[:j]
	}
	return name, version, version != ""
}

func stripPeers(key string) string {
	if i := strings.IndexByte(key, '('); i >= 0 {
		return key[:i]
	}
	return key
}

// prodReachable walks the version 9 snapshot graph from every importer's production and
// optional dependencies and returns the package keys ("name@1.2.3", peers stripped) it reaches.
func (l *pnpmLock) prodReachable() map[string]bool {
	seen := map[string]bool{}
	var queue []string
	push := func(name, ref string) {
		if strings.HasPrefix(ref, "link:") || strings.HasPrefix(ref, "file:") {
			return
		}
		key := name + "@" + ref
		if strings.Contains(stripPeers(ref)[min(1, len(ref)):], "@") {
			key = ref // an alias: the reference names the real package
		}
		if !seen[key] {
			seen[key] = true
			queue = append(queue, key)
		}
	}
	for _, imp := range l.Importers {
		for n, d := range imp.Dependencies {
			push(n, d.Version)
		}
		for n, d := range imp.OptionalDependencies {
			push(n, d.Version)
		}
	}
	for len(queue) > 0 {
		s := l.Snapshots[queue[0]]
		queue = queue[1:]
		for n, ref := range s.Dependencies {
			push(n, ref)
		}
		for n, ref := range s.OptionalDependencies {
			push(n, ref)
		}
	}
	prod := make(map[string]bool, len(seen))
	for k := range seen {
		prod[stripPeers(k)] = true
	}
	return prod
}
