package java

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/rampartsec/rampart/internal/inventory"
)

// Limits on nested reading; see the package doc.
const (
	// MaxDepth is how many archives deep nested archives are read (a jar in a war in an ear is 2).
	MaxDepth = 3
	// MaxNestedBytes bounds the nested archives held in memory while reading one outer file.
	MaxNestedBytes = 256 << 20
	// MaxNested bounds how many nested archives are read per outer file: a zip whose entries
	// share data can hold many archives in few bytes.
	MaxNested = 10000
	// maxMetaSize bounds one pom.properties or MANIFEST.MF.
	maxMetaSize = 1 << 20
)

// ErrTooLarge is returned for an entry over a size limit or longer than its header declares.
var ErrTooLarge = errors.New("java: archive entry too large")

// Analyzer catalogs Maven artifacts in Java archives. The zero value is ready to use and safe
// for concurrent use.
type Analyzer struct{}

var _ inventory.Analyzer = Analyzer{}

// Name returns "java-archive".
func (Analyzer) Name() string { return "java-archive" }

// Version returns the analyzer's output version.
func (Analyzer) Version() int { return 2 } // 2: packages in nested archives carry InnerPath

// Required wants regular files with a Java archive extension, in any case.
func (Analyzer) Required(p string, info fs.FileInfo) bool {
	return isArchive(p) && info.Mode().IsRegular()
}

func isArchive(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".jar", ".war", ".ear", ".par", ".jpi", ".hpi":
		return true
	}
	return false
}

// Analyze reads one archive and its nested archives. Problems in nested archives are warnings
// of the result, next to the packages that could be read; a problem with the file itself is
// returned.
func (Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	pkgs, problems, err := parse(ctx, f.Content, f.Size, f.Path)
	if err != nil {
		return nil, err
	}
	if len(pkgs)+len(problems) == 0 {
		return nil, nil
	}
	res := &inventory.Result{Packages: pkgs}
	for _, p := range problems {
		res.Warn("archive partly read: %v", p)
	}
	return res, nil
}

// Parse returns the packages of the archive r of the given size, named name (a slash path;
// its base name is the last fallback for the archive's identity), with Path set to name.
// Packages come sorted by name, version and path, without duplicates.
//
// It returns the packages it could read together with an error joining the problems with
// nested archives and the packages named without a version, or no packages and an error when r
// itself is not a readable zip file. Oversized entries give errors wrapping [ErrTooLarge];
// pom.properties without a version, [inventory.ErrNoVersion].
func Parse(ctx context.Context, r io.ReaderAt, size int64, name string) ([]inventory.Package, error) {
	pkgs, problems, err := parse(ctx, r, size, name)
	if err != nil {
		return nil, err
	}
	return pkgs, errors.Join(problems...)
}

// parse is Parse with the problems that leave the archive partly read apart from the error
// that leaves it unread.
func parse(ctx context.Context, r io.ReaderAt, size int64, name string) (pkgs []inventory.Package, problems []error, err error) {
	p := &parser{ctx: ctx, budget: MaxNestedBytes, count: MaxNested}
	pkgs, err = p.archive(r, size, path.Base(name), "", 0)
	if err != nil {
		return nil, nil, err
	}
	for i := range pkgs {
		pkgs[i].Path = name
	}
	slices.SortFunc(pkgs, func(a, b inventory.Package) int {
		// The outer file's own identity first, then the shallowest, then by name: which copy of a
		// package found twice is kept does not depend on the order of the zip's entries.
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version),
			cmp.Compare(nestingDepth(a.InnerPath), nestingDepth(b.InnerPath)), cmp.Compare(a.InnerPath, b.InnerPath))
	})
	pkgs = slices.CompactFunc(pkgs, func(a, b inventory.Package) bool { return a.Name == b.Name && a.Version == b.Version })
	return pkgs, p.errs, nil
}

// parser holds the state of one outer file's reading.
type parser struct {
	ctx    context.Context
	budget int64 // bytes of nested archives still allowed in memory
	count  int   // nested archives still allowed
	errs   []error
}

// archive reads one zip file; base is its file name, inner the entry names leading to it from
// the outer file ("" for the outer file itself), depth how deep it is nested.
func (p *parser) archive(r io.ReaderAt, size int64, base, inner string, depth int) ([]inventory.Package, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("open zip: %w", err)
	}
	var pkgs []inventory.Package
	var noVersion []string // artifacts of pom.properties without a version
	var manifest *zip.File
	var nested []*zip.File
	for _, zf := range zr.File {
		switch {
		case isPomProperties(zf.Name):
			b, err := readEntry(zf, maxMetaSize)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", zf.Name, err)
			}
			pkg, ok, unversioned := fromPomProperties(b)
			if ok {
				pkgs = append(pkgs, pkg)
			} else if unversioned != "" {
				noVersion = append(noVersion, unversioned)
			}
		case strings.EqualFold(zf.Name, "META-INF/MANIFEST.MF"):
			manifest = zf
		case isArchive(zf.Name) && !zf.FileInfo().IsDir():
			nested = append(nested, zf)
		}
	}
	if len(pkgs) == 0 && manifest != nil {
		b, err := readEntry(manifest, maxMetaSize)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", manifest.Name, err)
		}
		if pkg, ok := fromManifest(b, base); ok {
			pkgs = append(pkgs, pkg)
		}
	}
	if len(pkgs) == 0 {
		if pkg, ok := fromFileName(base); ok {
			pkgs = append(pkgs, pkg)
		}
	}
	// An artifact the manifest or the file name identified after all is not missing.
	noVersion = slices.DeleteFunc(noVersion, func(n string) bool {
		artifact := n[strings.LastIndex(n, ":")+1:]
		return slices.ContainsFunc(pkgs, func(p inventory.Package) bool {
			return p.Name == n || strings.HasSuffix(p.Name, ":"+artifact) || p.Name == artifact
		})
	})
	if err := inventory.NoVersion(noVersion); err != nil {
		p.errs = append(p.errs, fmt.Errorf("%s: %w", base, err))
	}
	for i := range pkgs {
		pkgs[i].InnerPath = inner
	}
	if depth >= MaxDepth {
		if len(nested) > 0 {
			p.errs = append(p.errs, fmt.Errorf("%s: %d archives nested deeper than %d levels not read", base, len(nested), MaxDepth))
		}
		return pkgs, nil
	}
	for _, zf := range nested {
		if err := p.ctx.Err(); err != nil {
			return nil, err
		}
		found, err := p.nested(zf, joinInner(inner, zf.Name), depth+1)
		if err != nil {
			p.errs = append(p.errs, fmt.Errorf("%s!/%s: %w", base, zf.Name, err))
			continue
		}
		pkgs = append(pkgs, found...)
	}
	return pkgs, nil
}

// nestingDepth is how many archives deep an inner path is: 0 for the outer file.
func nestingDepth(inner string) int {
	if inner == "" {
		return 0
	}
	return 1 + strings.Count(inner, "!")
}

func joinInner(inner, entry string) string {
	if inner == "" {
		return entry
	}
	return inner + "!" + entry
}

// nested reads an archive stored in another, within the byte budget; inner names it.
func (p *parser) nested(zf *zip.File, inner string, depth int) ([]inventory.Package, error) {
	if p.count <= 0 {
		return nil, fmt.Errorf("%w: over %d nested archives", ErrTooLarge, MaxNested)
	}
	p.count--
	if zf.UncompressedSize64 > uint64(p.budget) {
		return nil, fmt.Errorf("%w: %d bytes, %d left of the nested-archive budget", ErrTooLarge, zf.UncompressedSize64, p.budget)
	}
	b, err := readEntry(zf, p.budget)
	if err != nil {
		return nil, err
	}
	p.budget -= int64(len(b))
	return p.archive(bytes.NewReader(b), int64(len(b)), path.Base(zf.Name), inner, depth)
}

// readEntry returns an entry's content, refusing entries over limit bytes. Data that runs
// past the size the header declares fails with zip.ErrFormat from the zip reader, or with
// ErrTooLarge here should a reader not check.
func readEntry(zf *zip.File, limit int64) ([]byte, error) {
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, zf.UncompressedSize64, limit)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(zf.UncompressedSize64)+1))
	if err != nil {
		return nil, err
	}
	if uint64(len(b)) > zf.UncompressedSize64 {
		return nil, fmt.Errorf("%w: data longer than the %d bytes declared", ErrTooLarge, zf.UncompressedSize64)
	}
	return b, nil
}

// isPomProperties matches META-INF/maven/GROUP/ARTIFACT/pom.properties.
func isPomProperties(name string) bool {
	parts := strings.Split(name, "/")
	return len(parts) == 5 && parts[0] == "META-INF" && parts[1] == "maven" && parts[4] == "pom.properties"
}

// fromPomProperties reads groupId, artifactId and version. When the artifact has no version
// (a property Maven filtering left unset), noVersion names it.
func fromPomProperties(b []byte) (pkg inventory.Package, ok bool, noVersion string) {
	props := parseProperties(b)
	pkg, ok = newPackage(props["groupId"], props["artifactId"], props["version"])
	if !ok && props["artifactId"] != "" && props["version"] == "" {
		noVersion = props["artifactId"]
		if g := props["groupId"]; g != "" {
			noVersion = g + ":" + noVersion
		}
	}
	return pkg, ok, noVersion
}

// parseProperties reads the key=value, key: value and key value lines of a Java properties
// file. Escapes are rare in pom.properties and are kept as written.
func parseProperties(b []byte) map[string]string {
	props := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxMetaSize)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=: \t")
		if i < 0 {
			props[line] = ""
			continue
		}
		props[line[:i]] = strings.TrimLeft(strings.TrimSpace(line[i+1:]), "=:")
	}
	return props
}

// parseManifest reads the main section of a MANIFEST.MF, joining continuation lines.
func parseManifest(b []byte) map[string]string {
	attrs := map[string]string{}
	var key string
	for line := range strings.SplitSeq(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break // the main section ends at the first blank line
		}
		if line[0] == ' ' {
			if key != "" {
				attrs[key] += line[1:]
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			key = ""
			continue
		}
		key = strings.TrimSpace(k)
		attrs[key] = strings.TrimPrefix(v, " ")
	}
	for k, v := range attrs {
		attrs[k] = strings.TrimSpace(v)
	}
	return attrs
}

// fromManifest picks an identity from manifest attributes; see the package doc.
func fromManifest(b []byte, base string) (inventory.Package, bool) {
	m := parseManifest(b)
	title, titleVersion := m["Implementation-Title"], m["Implementation-Version"]
	bsn, _, _ := strings.Cut(m["Bundle-SymbolicName"], ";")
	bsn = strings.TrimSpace(bsn)
	bundleVersion := m["Bundle-Version"]
	var artifact, version string
	switch {
	case title != "" && !strings.ContainsAny(title, " \t"):
		artifact, version = title, cmp.Or(titleVersion, bundleVersion)
	case bsn != "":
		artifact, version = bsn, cmp.Or(bundleVersion, titleVersion)
	}
	if artifact == "" {
		// A title like "Apache Commons Lang" names no artifact; the file name may.
		if n, v, ok := splitFileName(base); ok {
			artifact, version = n, cmp.Or(titleVersion, bundleVersion, v)
		}
	}
	return newPackage(m["Implementation-Vendor-Id"], artifact, version)
}

// fileNameVersion splits "name-1.2.3" at the last "-" followed by a digit, so that names with
// numbers ("log4j-1.2-api-2.17.1") keep them.
var fileNameVersion = regexp.MustCompile(`^(.+)-(\d[0-9A-Za-z._+]*(?:-[A-Za-z][0-9A-Za-z._+]*)*)$`)

func splitFileName(base string) (name, version string, ok bool) {
	m := fileNameVersion.FindStringSubmatch(strings.TrimSuffix(base, path.Ext(base)))
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// fromFileName reads "name-1.2.3.jar".
func fromFileName(base string) (inventory.Package, bool) {
	n, v, ok := splitFileName(base)
	if !ok {
		return inventory.Package{}, false
	}
	return newPackage("", n, v)
}

// newPackage builds a package from Maven coordinates; artifact and version are required.
func newPackage(group, artifact, version string) (inventory.Package, bool) {
	if artifact == "" || version == "" {
		return inventory.Package{}, false
	}
	name := artifact
	if group != "" {
		name = group + ":" + artifact
	}
	return inventory.Package{
		Type:      inventory.TypeJava,
		Name:      name,
		Version:   version,
		Ecosystem: "Maven",
		PURL:      packageurl.NewPackageURL(packageurl.TypeMaven, group, artifact, version, nil, "").ToString(),
	}, true
}
