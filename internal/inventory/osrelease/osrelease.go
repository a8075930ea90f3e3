// Package osrelease detects the operating system from os-release(5) files.
package osrelease

import (
	"bufio"
	"context"
	"io/fs"
	"strings"

	"github.com/rampartsec/rampart/internal/inventory"
)

// Analyzer reads /etc/os-release, /usr/lib/os-release and /etc/alpine-release.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

func (Analyzer) Name() string { return "os-release" }
func (Analyzer) Version() int { return 1 }

func (Analyzer) Required(p string, info fs.FileInfo) bool {
	return p == "etc/os-release" || p == "usr/lib/os-release" || p == "etc/alpine-release"
}

func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	if f.Size > 64<<10 {
		return nil, nil
	}
	if f.Path == "etc/alpine-release" {
		// Only a fallback: os-release, when present, says the same with more detail.
		return nil, nil
	}
	o := Parse(f.Reader())
	if o.Family == "unknown" {
		return nil, nil
	}
	return &inventory.Result{OS: &o}, nil
}

// Parse reads os-release content. Unknown or missing IDs give Family "unknown".
func Parse(r interface{ Read([]byte) (int, error) }) inventory.OS {
	vals := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		vals[k] = unquote(v)
	}
	o := inventory.OS{Family: strings.ToLower(vals["ID"]), Version: vals["VERSION_ID"],
		Name: vals["PRETTY_NAME"], Codename: vals["VERSION_CODENAME"]}
	if o.Family == "" {
		return inventory.Unknown
	}
	switch o.Family {
	case "rhel", "redhat":
		o.Family = "rhel"
	case "debian":
		// Debian testing/sid have no VERSION_ID; leave it empty rather than guess a number.
	}
	return o
}

func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\$`, `$`, "\\`", "`").Replace(v)
}
