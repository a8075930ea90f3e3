// Package osrelease detects the operating system from os-release(5) files.
package osrelease

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"io/fs"
	"strings"

	"github.com/rampartsec/rampart/internal/inventory"
)

// maxSize bounds the files read: a real os-release is well under 1 KiB.
const maxSize = 64 << 10

// Analyzer reads /etc/os-release, /usr/lib/os-release and /etc/alpine-release. The zero value is
// ready to use and safe for concurrent use.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

// Name returns "os-release".
func (Analyzer) Name() string { return "os-release" }

// Version returns the analyzer's output version.
func (Analyzer) Version() int { return 2 }

// Required wants the two os-release(5) locations and Alpine's release file.
func (Analyzer) Required(p string, info fs.FileInfo) bool {
	return p == "etc/os-release" || p == "usr/lib/os-release" || p == "etc/alpine-release"
}

// Analyze returns the OS a file names, or nil when it names none. Files over 64 KiB are ignored.
func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	if f.Size > maxSize {
		return nil, nil
	}
	var o inventory.OS
	if f.Path == "etc/alpine-release" {
		b, err := io.ReadAll(f.Reader())
		if err != nil {
			return nil, err
		}
		var ok bool
		if o, ok = ParseAlpineRelease(b); !ok {
			return nil, nil
		}
	} else {
		o = Parse(f.Reader())
	}
	if o.Family == inventory.Unknown.Family {
		return nil, nil
	}
	return &inventory.Result{OS: &o}, nil
}

// ParseAlpineRelease reads /etc/alpine-release, which holds the release alone ("3.20.3"). It is
// the fallback for Alpine images without os-release: the OS it returns is the one Alpine's
// os-release gives (ID alpine, VERSION_ID, PRETTY_NAME "Alpine Linux v3.20"), so that either file
// winning the merge gives the same answer. ok is false when the content is not a release.
func ParseAlpineRelease(b []byte) (o inventory.OS, ok bool) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	v := string(bytes.TrimSpace(line))
	if v == "" || len(v) > 64 || v[0] < '0' || v[0] > '9' || strings.Trim(v, "0123456789abcdefghijklmnopqrstuvwxyz._-") != "" {
		return inventory.OS{}, false
	}
	name := "Alpine Linux"
	if parts := strings.SplitN(v, ".", 3); len(parts) >= 2 && isDigits(parts[0]) && isDigits(parts[1]) {
		name += " v" + parts[0] + "." + parts[1]
	}
	return inventory.OS{Family: "alpine", Version: v, Name: name}, true
}

func isDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// Parse reads os-release content. Unknown or missing IDs give Family "unknown".
func Parse(r io.Reader) inventory.OS {
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
	o := inventory.OS{Family: asciiLower(vals["ID"]), Version: vals["VERSION_ID"],
		Name: vals["PRETTY_NAME"], Codename: vals["VERSION_CODENAME"]}
	// os-release(5) allows only 0-9, a-z, ".", "_" and "-" in an ID: anything else is not one,
	// and would leak into ecosystems and purls.
	if o.Family == "" || strings.Trim(o.Family, "0123456789abcdefghijklmnopqrstuvwxyz._-") != "" {
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

// asciiLower lower-cases ASCII letters only, leaving other bytes as they are.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\$`, `$`, "\\`", "`").Replace(v)
}
