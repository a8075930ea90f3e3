package npm

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rampartsec/rampart/internal/inventory"
)

// ParseYarnLock reads a yarn.lock, in the classic (v1) format or the YAML format of Yarn 2 and
// later (recognised by its __metadata entry). It reports each resolved name@version once,
// sorted; workspace, link and portal entries (the project's own code) are left out. Entries
// without a version are left out too, and named in an error wrapping [inventory.ErrNoVersion]
// that comes with the packages.
func ParseYarnLock(r io.Reader) ([]inventory.Package, error) {
	b, err := readAll(r, maxLockSize)
	if err != nil {
		return nil, err
	}
	if isBerry(b) {
		return parseBerry(b)
	}
	return parseYarnClassic(b)
}

// isBerry looks for the __metadata key that only Yarn 2+ writes, at the start of a line.
func isBerry(b []byte) bool {
	return bytes.HasPrefix(b, []byte("__metadata:")) || bytes.Contains(b, []byte("\n__metadata:"))
}

// parseYarnClassic reads the v1 format: unindented entry headers listing the specifiers that
// resolved to the entry ("lodash@^4.17.0, lodash@^4.17.15:"), then indented fields
// (`  version "4.17.15"`).
func parseYarnClassic(b []byte) ([]inventory.Package, error) {
	var (
		pkgs        []inventory.Package
		unversioned []string
		name        string
		version     string
		lineNo      int
	)
	flush := func() {
		switch {
		case name == "" || !validName(name):
		case version == "":
			unversioned = append(unversioned, name)
		default:
			pkgs = append(pkgs, newPackage(name, version))
		}
		name, version = "", ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if len(trimmed) == len(line) { // no indent: a new entry
			flush()
			header, ok := strings.CutSuffix(line, ":")
			if !ok {
				return nil, fmt.Errorf("line %d: entry header without colon", lineNo)
			}
			first, _, _ := strings.Cut(header, ",")
			name = specName(unquote(strings.TrimSpace(first)))
			continue
		}
		if name == "" || len(line)-len(trimmed) != 2 {
			continue // deeper fields: dependencies and the like
		}
		if v, ok := strings.CutPrefix(trimmed, "version "); ok {
			version = unquote(strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	flush()
	return dedupe(pkgs), noVersion(unversioned)
}

// specName returns the package a classic specifier resolves: "lodash" for "lodash@^4.17.15",
// "@babel/core" for "@babel/core@7.0.0", and "bar" for the alias "foo@npm:bar@^1.0.0".
func specName(spec string) string {
	i := strings.Index(spec[min(1, len(spec)):], "@") + 1
	if i <= 0 {
		return spec
	}
	name, rng := spec[:i], spec[i+1:]
	if alias, ok := strings.CutPrefix(rng, "npm:"); ok {
		if j := strings.Index(alias[min(1, len(alias)):], "@") + 1; j > 0 {
			return alias[:j]
		}
		return alias
	}
	return name
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// berryEntry is one entry of a Yarn 2+ lock file.
type berryEntry struct {
	Version    string `yaml:"version"`
	Resolution string `yaml:"resolution"`
}

// parseBerry reads the Yarn 2+ format, where each entry's resolution ("lodash@npm:4.17.15")
// names the package and the protocol it came from.
func parseBerry(b []byte) ([]inventory.Package, error) {
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("decode yarn lock: %w", err)
	}
	var pkgs []inventory.Package
	var unversioned []string
	for key, node := range doc {
		if key == "__metadata" {
			continue
		}
		var e berryEntry
		if err := node.Decode(&e); err != nil {
			continue // not an entry
		}
		i := strings.Index(e.Resolution[min(1, len(e.Resolution)):], "@") + 1
		if i <= 0 {
			continue
		}
		name, ref := e.Resolution[:i], e.Resolution[i+1:]
		protocol, _, _ := strings.Cut(ref, ":")
		switch {
		case protocol == "workspace" || protocol == "link" || protocol == "portal" || !validName(name):
		case e.Version == "":
			unversioned = append(unversioned, name)
		default:
			pkgs = append(pkgs, newPackage(name, e.Version))
		}
	}
	return dedupe(pkgs), noVersion(unversioned)
}
