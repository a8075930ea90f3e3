package analysis

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
)

// TestHardLinkedPackageFiles builds a layer with GNU tar from a directory whose package files
// are hard links, the way pnpm links node_modules into its store: the store sorts first, so
// the tar carries the content under the store's path and the package file as a link. The
// package must be found under the link's path; a link whose target the analyzers already read
// under a wanted path is not read twice.
func TestHardLinkedPackageFiles(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("needs GNU tar")
	}
	root := t.TempDir()
	write := func(p, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Link(filepath.Join(root, target), filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	write(".store/v3/files/ab/cdef01", "linked-a 1.0\n")
	link(".store/v3/files/ab/cdef01", "app/node_modules/a/a.pkg")
	link(".store/v3/files/ab/cdef01", "app/other/again.pkg") // two links to one target
	write("app/b.pkg", "plain-b 2.0\n")
	link("app/b.pkg", "app/z/b-copy.pkg") // the target was read under a wanted path

	layer := filepath.Join(t.TempDir(), "layer.tar")
	out, err := exec.Command("tar", "--sort=name", "--format=gnu", "--numeric-owner", "-C", root, "-cf", layer, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	// The test means something only if tar wrote links where expected.
	links := tarLinks(t, layer)
	if diff := cmp.Diff(map[string]string{
		"./app/node_modules/a/a.pkg": "./.store/v3/files/ab/cdef01",
		"./app/other/again.pkg":      "./.store/v3/files/ab/cdef01",
		"./app/z/b-copy.pkg":         "./app/b.pkg",
	}, links); diff != "" {
		t.Fatalf("tar's hard links (-want +got):\n%s", diff)
	}

	b, err := os.ReadFile(layer)
	if err != nil {
		t.Fatal(err)
	}
	art := artifactOf(t, b)
	res, err := New([]inventory.Analyzer{lineAnalyzer{}}, Config{}).Analyze(context.Background(), art)
	if err != nil {
		t.Fatal(err)
	}
	want := []pkgAt{
		{"linked-a", "1.0", "app/node_modules/a/a.pkg", 0},
		{"linked-a", "1.0", "app/other/again.pkg", 0},
		{"plain-b", "2.0", "app/b.pkg", 0},
	}
	if diff := cmp.Diff(want, pkgs(res.Inventory)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}

	// A second read that does not hash to the diffID is refused like the first.
	lr, found, err := New([]inventory.Analyzer{lineAnalyzer{}}, Config{}).walk(context.Background(), mustOpen(t, layer), "", nil)
	if err != nil || len(found) != 2 {
		t.Fatalf("walk: %d links, %v", len(found), err)
	}
	err = New([]inventory.Analyzer{lineAnalyzer{}}, Config{}).walkLinks(context.Background(), mustOpen(t, layer), "sha256:"+string(bytes.Repeat([]byte("0"), 64)), found, lr)
	if !errors.Is(err, ErrCorruptLayer) {
		t.Errorf("second read with a wrong diffID: %v, want ErrCorruptLayer", err)
	}
}

func tarLinks(t *testing.T, p string) map[string]string {
	t.Helper()
	tr := tar.NewReader(mustOpen(t, p))
	links := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return links
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeLink {
			links[h.Name] = h.Linkname
		}
	}
}

func mustOpen(t *testing.T, p string) io.Reader {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
