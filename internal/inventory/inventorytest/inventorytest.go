// Package inventorytest helps catalogers' tests run an analyzer over a directory tree or a
// text, and build the archives they read.
package inventorytest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/inventory"
)

// AnalyzeTree runs a over every regular file of root it wants, as the directory walker does, and
// returns the packages it found, sorted. An Analyze error fails the test and the walk goes on.
func AnalyzeTree(t testing.TB, a inventory.Analyzer, root string) []inventory.Package {
	t.Helper()
	var pkgs []inventory.Package
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil || !a.Required(rel, info) {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		res, err := a.Analyze(context.Background(), &inventory.File{Path: rel, Info: info, Content: f, Size: info.Size()})
		if err != nil {
			t.Errorf("Analyze(%s): %v", rel, err)
		}
		if res != nil {
			pkgs = append(pkgs, res.Packages...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	inv := inventory.Inventory{Packages: pkgs}
	inv.Sort()
	return inv.Packages
}

// AnalyzeText runs a on content as the file at path, as the layer walker would, and fails the
// test unless it returns a result.
func AnalyzeText(t testing.TB, a inventory.Analyzer, path, content string) *inventory.Result {
	t.Helper()
	res, err := a.Analyze(context.Background(), &inventory.File{Path: path, Content: strings.NewReader(content), Size: int64(len(content))})
	if err != nil || res == nil {
		t.Fatalf("Analyze(%s) = %+v, %v; want a result", path, res, err)
	}
	return res
}

// WantNoVersion checks that res holds the packages kept ("name@version", in order) and one
// warning: that the packages names (", "-separated) were left out for want of a version.
func WantNoVersion(t testing.TB, res *inventory.Result, names string, kept ...string) {
	t.Helper()
	if want := "inventory: package without a version left out: " + names; len(res.Warnings) != 1 || res.Warnings[0] != want {
		t.Errorf("warnings = %q, want %q", res.Warnings, want)
	}
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.Name+"@"+p.Version)
	}
	if strings.Join(got, " ") != strings.Join(kept, " ") {
		t.Errorf("packages = %q, want %q", got, kept)
	}
}

// Zip returns a zip archive of the entries (name, content), in order.
func Zip(t testing.TB, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TarGz returns a gzip'd tar archive of the entries (name, content) as regular files, in order.
func TarGz(t testing.TB, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e[0], Mode: 0o644, Size: int64(len(e[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
