package npm

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rampartsec/rampart/internal/inventory"
)

// packageJSON holds the fields of an installed package's package.json that the inventory uses.
type packageJSON struct {
	Name     string          `json:"name"`
	Version  string          `json:"version"`
	License  json.RawMessage `json:"license"`
	Licenses json.RawMessage `json:"licenses"`
}

// ParsePackageJSON reads the package.json of an installed package. It returns a nil package and
// a nil error when the file lacks a name (a package.json that only sets "type", as some
// packages ship in sub-directories, for instance), and an error wrapping
// [inventory.ErrNoVersion] when it names a package without a version.
func ParsePackageJSON(r io.Reader) (*inventory.Package, error) {
	b, err := readAll(r, maxManifestSize)
	if err != nil {
		return nil, err
	}
	var pj packageJSON
	if err := json.Unmarshal(b, &pj); err != nil {
		return nil, fmt.Errorf("decode package.json: %w", err)
	}
	pj.Name, pj.Version = strings.TrimSpace(pj.Name), strings.TrimSpace(pj.Version)
	if !validName(pj.Name) {
		return nil, nil
	}
	if pj.Version == "" {
		return nil, noVersion([]string{pj.Name})
	}
	p := newPackage(pj.Name, pj.Version)
	p.Licenses = licenses(pj.License, pj.Licenses)
	return &p, nil
}

// licenses reads the "license" field (an SPDX expression, or the old {"type": …} object) and the
// deprecated "licenses" array (of strings or {"type": …} objects).
func licenses(license, list json.RawMessage) []string {
	var out []string
	add := func(raw json.RawMessage) {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
			return
		}
		var o struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &o) == nil {
			if t := strings.TrimSpace(o.Type); t != "" {
				out = append(out, t)
			}
		}
	}
	if len(license) > 0 {
		add(license)
	}
	var items []json.RawMessage
	if len(list) > 0 && json.Unmarshal(list, &items) == nil {
		for _, it := range items {
			add(it)
		}
	} else if len(list) > 0 {
		add(list)
	}
	return out
}
