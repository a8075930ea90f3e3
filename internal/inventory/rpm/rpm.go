// Package rpm catalogs packages from an RPM database, in any of its three backends: SQLite
// (rpmdb.sqlite, rpm 4.16 and later), Berkeley DB (Packages, older releases) and ndb
// (Packages.db, SUSE).
//
// # Usage
//
// Register [Analyzer] with the layer walker. It reads headers with github.com/knqyf263/go-rpmdb,
// which wants a file on disk: the database is copied to a temporary file first. The containers
// of the Berkeley DB and ndb backends are checked by this package before that library reads
// them (see validate.go), because its readers trust the file's offsets.
package rpm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	rpmdb "github.com/knqyf263/go-rpmdb/pkg"
	_ "modernc.org/sqlite" // the pure-Go "sqlite" database/sql driver go-rpmdb opens

	"github.com/rampartsec/rampart/internal/inventory"
)

// dbPaths are the database files read, by backend.
var dbPaths = map[string]bool{
	"var/lib/rpm/rpmdb.sqlite":          true,
	"usr/lib/sysimage/rpm/rpmdb.sqlite": true,
	"var/lib/rpm/Packages":              true,
	"var/lib/rpm/Packages.db":           true,
	"usr/lib/sysimage/rpm/Packages.db":  true,
}

// Analyzer reads RPM databases. The zero value is ready to use and safe for concurrent use.
//
// TempDir is where database copies are written; empty means os.TempDir().
type Analyzer struct {
	TempDir string
}

var _ inventory.Analyzer = Analyzer{}

// Name returns "rpm".
func (Analyzer) Name() string { return "rpm" }

// Version returns the analyzer's output version.
func (Analyzer) Version() int { return 1 }

// Required wants the SQLite, Berkeley DB and ndb database files at their standard paths.
func (Analyzer) Required(p string, _ fs.FileInfo) bool { return dbPaths[p] }

// Analyze reads the packages of one database file. It returns an error wrapping
// [ErrInvalidDatabase] when the file's structure is broken.
func (a Analyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(a.TempDir, "rampart-rpmdb-")
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", f.Path, err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, path.Base(f.Path))
	if err := copyTo(tmp, f); err != nil {
		return nil, fmt.Errorf("copy %s: %w", f.Path, err)
	}
	pkgs, err := readDB(ctx, tmp)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	if len(pkgs) == 0 {
		return nil, nil
	}
	for i := range pkgs {
		pkgs[i].Path = f.Path
	}
	return &inventory.Result{Packages: pkgs}, nil
}

func copyTo(name string, f *inventory.File) error {
	out, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, f.Reader()); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// readDB lists the packages of the database at name, whatever its backend.
func readDB(ctx context.Context, name string) (pkgs []inventory.Package, err error) {
	if err := validate(name); err != nil {
		return nil, err
	}
	// go-rpmdb parses header blobs from the file; a panic there must not take the scan down.
	defer func() {
		if r := recover(); r != nil {
			pkgs, err = nil, fmt.Errorf("%w: header parser: %v", ErrInvalidDatabase, r)
		}
	}()
	db, err := rpmdb.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDatabase, err)
	}
	defer db.Close()
	infos, err := db.ListPackages()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDatabase, err)
	}
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// gpg-pubkey entries record imported signing keys, not software.
		if info.Name == "" || info.Name == "gpg-pubkey" {
			continue
		}
		pkgs = append(pkgs, convert(info))
	}
	return pkgs, nil
}

// convert maps a header to a Package. Version is "[epoch:]version-release" (epoch 0 or unset is
// left out); the source version carries the binary's epoch too, since a source RPM's file name
// never records it and every package built from a source shares its epoch.
func convert(info *rpmdb.PackageInfo) inventory.Package {
	epoch := ""
	if info.Epoch != nil && *info.Epoch != 0 {
		epoch = strconv.Itoa(*info.Epoch) + ":"
	}
	p := inventory.Package{
		Type:    inventory.TypeRPM,
		Name:    info.Name,
		Version: epoch + info.Version + "-" + info.Release,
		Arch:    info.Arch,
	}
	if info.License != "" {
		p.Licenses = []string{info.License}
	}
	if name, vr, ok := ParseSourceRPM(info.SourceRpm); ok {
		p.SourceName, p.SourceVersion = name, epoch+vr
	} else {
		p.SourceName, p.SourceVersion = p.Name, p.Version
	}
	// The error only reports inconsistent file tags; the names it could build are still kept.
	files, _ := info.InstalledFileNames()
	for _, f := range files {
		if f = strings.TrimLeft(f, "/"); f != "" {
			p.Files = append(p.Files, f)
		}
	}
	return p
}

// ParseSourceRPM splits a source RPM file name, "bash-5.1.8-6.el9.src.rpm", into the source
// package's name ("bash") and its "version-release" ("5.1.8-6.el9"). ok is false when the name
// does not have that shape (empty, "(none)", no version or release).
func ParseSourceRPM(s string) (name, versionRelease string, ok bool) {
	base, found := strings.CutSuffix(s, ".src.rpm")
	if !found {
		if base, found = strings.CutSuffix(s, ".nosrc.rpm"); !found {
			return "", "", false
		}
	}
	rel := strings.LastIndexByte(base, '-')
	if rel <= 0 {
		return "", "", false
	}
	ver := strings.LastIndexByte(base[:rel], '-')
	if ver <= 0 || rel == len(base)-1 || ver == rel-1 {
		return "", "", false
	}
	return base[:ver], base[ver+1:], true
}

// ErrInvalidDatabase is wrapped by Analyze errors about a database file whose structure is
// broken or not one of the three backends.
var ErrInvalidDatabase = errors.New("rpm: invalid database")
