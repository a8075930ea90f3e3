// Package apk catalogs Alpine (and Wolfi, Chainguard) packages from apk's installed database,
// lib/apk/db/installed.
//
// # Usage
//
// Register [Analyzer] with the layer walker; [Parse] reads a database on its own.
package apk

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/rampartsec/rampart/internal/inventory"
)

const dbPath = "lib/apk/db/installed"

// maxLine is the longest line accepted. Real lines are short (a description, a dependency list);
// a longer one means the file is not an apk database.
const maxLine = 1 << 20

// Analyzer reads lib/apk/db/installed. The zero value is ready to use and safe for concurrent use.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

// Name returns "apk".
func (Analyzer) Name() string { return "apk" }

// Version returns the analyzer's output version.
func (Analyzer) Version() int { return 1 }

// Required wants lib/apk/db/installed only.
func (Analyzer) Required(p string, _ fs.FileInfo) bool { return p == dbPath }

// Analyze parses the installed database.
func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	pkgs, err := Parse(ctx, f.Reader())
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", f.Path, err)
	}
	if len(pkgs) == 0 {
		return nil, nil
	}
	for i := range pkgs {
		pkgs[i].Path = f.Path
	}
	return &inventory.Result{Packages: pkgs}, nil
}

// Parse reads an apk installed database: stanzas of "X:value" lines separated by blank lines
// (apk-package(5) names the fields). It keeps P (name), V (version), A (architecture), o (origin,
// the source package), L (licence) and the file list from F (directory) and R (file in the last
// directory). Stanzas without a name are skipped. SourceName is the origin, or the package itself
// when there is none; SourceVersion is the package's version, as apk builds every subpackage of
// an origin at its version.
//
// Parse returns an error when a line is longer than 1 MiB or reading fails.
func Parse(ctx context.Context, r io.Reader) ([]inventory.Package, error) {
	var (
		pkgs []inventory.Package
		cur  inventory.Package
		dir  string
	)
	flush := func() {
		if cur.Name != "" {
			cur.Type = inventory.TypeApk
			if cur.SourceName == "" {
				cur.SourceName = cur.Name
			}
			cur.SourceVersion = cur.Version
			pkgs = append(pkgs, cur)
		}
		cur, dir = inventory.Package{}, ""
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for n := 0; sc.Scan(); n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			continue
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			cur.Name = v
		case 'V':
			cur.Version = v
		case 'A':
			cur.Arch = v
		case 'o':
			cur.SourceName = v
		case 'L':
			if v != "" {
				cur.Licenses = []string{v}
			}
		case 'F':
			dir = v
		case 'R':
			// A file before any F line lives in the root directory.
			// Joining under "/" keeps ".." from climbing out of the root.
			if f := strings.TrimPrefix(path.Join("/", dir, v), "/"); v != "" && f != "" {
				cur.Files = append(cur.Files, f)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	flush()
	return pkgs, nil
}
