// Package ruby catalogs installed Ruby gems from the specification files RubyGems writes for
// each of them (specifications/NAME-VERSION.gemspec, and specifications/default/ for the gems
// bundled with Ruby itself).
//
// The gemspec is Ruby source. It is never run: [Parse] reads the plain assignments RubyGems
// generates (`s.name = "rack".freeze`), and the "# stub:" comment line as a fallback.
//
// # Usage
//
// [Analyzer] plugs into the layer walker like every [inventory.Analyzer]; [Parse] reads one
// gemspec on its own.
package ruby

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/rampartsec/rampart/internal/inventory"
)

// maxSpecSize bounds the gemspec read; generated ones are a few KB.
const maxSpecSize = 2 << 20

// ErrNoSpec is returned by [Parse] for a file that names no gem and version.
var ErrNoSpec = errors.New("ruby: no gem name or version in gemspec")

// Analyzer catalogs gems. The zero value is ready to use and safe for concurrent use.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

// Name implements [inventory.Analyzer].
func (Analyzer) Name() string { return "ruby" }

// Version implements [inventory.Analyzer].
func (Analyzer) Version() int { return 1 }

// Required wants .gemspec files in a specifications directory (or its default/ sub-directory).
func (Analyzer) Required(p string, info fs.FileInfo) bool {
	if !strings.HasSuffix(p, ".gemspec") {
		return false
	}
	dir := path.Dir(p)
	return path.Base(dir) == "specifications" ||
		(path.Base(dir) == "default" && path.Base(path.Dir(dir)) == "specifications")
}

// Analyze implements [inventory.Analyzer].
func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	if f.Size > maxSpecSize {
		return nil, fmt.Errorf("ruby: %s is %d bytes, over the %d byte limit", f.Path, f.Size, maxSpecSize)
	}
	p, err := Parse(f.Reader())
	switch {
	case errors.Is(err, inventory.ErrNoVersion):
		return inventory.ResultOf(f.Path, nil, inventory.NoVersion([]string{p.Name}))
	case errors.Is(err, ErrNoSpec):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("ruby: %s: %w", f.Path, err)
	}
	return inventory.ResultOf(f.Path, []inventory.Package{p}, nil)
}

var (
	// assignment matches `s.name = …`, `spec.version = …`, `s.licenses = […]` at a line start.
	assignment = regexp.MustCompile(`^(\w+)\.(name|version|license|licenses)\s*=\s*(.+)$`)
	// blockVar finds the block variable of `Gem::Specification.new do |s|`.
	blockVar = regexp.MustCompile(`Gem::Specification\.new\s*(?:do\s*\|\s*(\w+)\s*\||\{\s*\|\s*(\w+)\s*\|)`)
	// validField keeps garbage out of names and versions.
	validField = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+\-]*$`)
)

// Parse reads a gemspec. It returns an error wrapping [ErrNoSpec] when no name and version are
// found, which also wraps [inventory.ErrNoVersion] when a name is (the package then has its
// Name).
func Parse(r io.Reader) (inventory.Package, error) {
	var (
		name, version, stubName, stubVersion, v string
		lics                                    []string
		licSet                                  bool
	)
	sc := bufio.NewScanner(io.LimitReader(r, maxSpecSize))
	sc.Buffer(make([]byte, 0, 64<<10), maxSpecSize)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "# stub:"); ok && stubName == "" {
			// "# stub: rack 2.2.22 ruby lib"; a second stub line lists extensions.
			if f := strings.Fields(rest); len(f) >= 2 && validField.MatchString(f[0]) && validField.MatchString(f[1]) {
				stubName, stubVersion = f[0], f[1]
			}
			continue
		}
		if m := blockVar.FindStringSubmatch(line); m != nil && v == "" {
			v = m[1] + m[2]
			continue
		}
		m := assignment.FindStringSubmatch(line)
		if m == nil || (v != "" && m[1] != v) {
			continue
		}
		strs := stringLiterals(m[3])
		switch m[2] {
		case "name":
			if name == "" && len(strs) > 0 {
				name = strs[0]
			}
		case "version":
			if version == "" && len(strs) > 0 {
				version = strs[0]
			}
		case "license", "licenses":
			if !licSet && len(strs) > 0 {
				lics, licSet = strs, true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return inventory.Package{}, fmt.Errorf("read gemspec: %w", err)
	}
	if name == "" || version == "" {
		if stubName != "" || name == "" {
			name, version = stubName, stubVersion
		} else if validField.MatchString(name) {
			// A name, but a version computed at run time ("#{VERSION}") and no stub line.
			return inventory.Package{Name: name}, fmt.Errorf("%w: %w", ErrNoSpec, inventory.NoVersion([]string{name}))
		}
	}
	if !validField.MatchString(name) || !validField.MatchString(version) {
		return inventory.Package{}, ErrNoSpec
	}
	return inventory.Package{
		Type:      inventory.TypeGem,
		Name:      name,
		Version:   version,
		Ecosystem: "RubyGems",
		PURL:      packageurl.NewPackageURL(packageurl.TypeGem, "", name, version, nil, "").ToString(),
		Licenses:  lics,
	}, nil
}

// closing pairs the bracketing delimiters of %q literals.
var closing = map[byte]byte{'(': ')', '[': ']', '{': '}', '<': '>'}

// stringLiterals returns the Ruby string literals in s, in order: "…", '…', %q<…> and %Q{…}.
// Escapes are dropped rather than interpreted; generated gemspecs hold none in names,
// versions or licences. Interpolation makes a value unknowable, so such literals are skipped.
func stringLiterals(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		var end byte
		start := i + 1
		switch c := s[i]; {
		case c == '#':
			return out // a comment
		case c == '"' || c == '\'':
			end = c
		case c == '%' && i+2 < len(s) && (s[i+1] == 'q' || s[i+1] == 'Q'):
			d := s[i+2]
			end = d
			if cl, ok := closing[d]; ok {
				end = cl
			}
			start = i + 3
		default:
			continue
		}
		j := strings.IndexByte(s[start:], end)
		if j < 0 {
			return out
		}
		lit := s[start : start+j]
		if !strings.Contains(lit, "#{") && !strings.Contains(lit, `\`) {
			out = append(out, lit)
		}
		i = start + j
	}
	return out
}
