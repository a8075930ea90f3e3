package osrelease_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/rampartsec/rampart/internal/analysis"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/inventory/apk"
	"github.com/rampartsec/rampart/internal/inventory/dpkg"
	"github.com/rampartsec/rampart/internal/inventory/osrelease"
	"github.com/rampartsec/rampart/internal/inventory/rpm"
)

// writeTree lays out a txtar archive as a directory, skipping the files named in skip.
func writeTree(t *testing.T, archive string, skip ...string) string {
	t.Helper()
	ar, err := txtar.ParseFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, f := range ar.Files {
		if !slices.Contains(skip, f.Name) {
			copyFile(t, root, f.Name, f.Data)
		}
	}
	return root
}

func scan(t *testing.T, root string) inventory.Inventory {
	t.Helper()
	a := analysis.New([]inventory.Analyzer{osrelease.Analyzer{}, dpkg.Analyzer{}, apk.Analyzer{}, rpm.Analyzer{}}, analysis.Config{})
	res, err := a.Analyze(context.Background(), &image.Artifact{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	return res.Inventory
}

// TestDistrolessEndToEnd scans a distroless-style root (Debian's os-release, status.d entries
// from real .deb control files) through the real layer merge.
func TestDistrolessEndToEnd(t *testing.T) {
	archive := filepath.Join("..", "dpkg", "testdata", "distroless.txtar")
	inv := scan(t, writeTree(t, archive))
	if inv.OS.Family != "debian" || inv.OS.Version != "12" || !inv.OS.Distroless {
		t.Errorf("OS = %+v, want distroless debian 12", inv.OS)
	}
	if len(inv.Packages) != 4 {
		t.Fatalf("%d packages, want 4", len(inv.Packages))
	}
	for _, p := range inv.Packages {
		if p.Ecosystem != "Debian:12" || !strings.HasPrefix(p.PURL, "pkg:deb/debian/"+p.Name+"@") || !strings.Contains(p.PURL, "distro=debian-12") {
			t.Errorf("%s: ecosystem %q, purl %q", p.Name, p.Ecosystem, p.PURL)
		}
	}

	// Without os-release nothing says which OS this is.
	inv = scan(t, writeTree(t, archive, "etc/os-release"))
	if inv.OS != inventory.Unknown {
		t.Errorf("OS without os-release = %+v, want unknown", inv.OS)
	}
	if len(inv.Packages) != 4 {
		t.Errorf("%d packages without os-release, want 4", len(inv.Packages))
	}
}

// copyFile copies a file into root at the slash path p.
func copyFile(t *testing.T, root, p string, b []byte) {
	t.Helper()
	dst := filepath.Join(root, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAlpineFallbackEndToEnd: an Alpine root whose only release file is etc/alpine-release.
func TestAlpineFallbackEndToEnd(t *testing.T) {
	root := t.TempDir()
	copyFile(t, root, "etc/alpine-release", []byte("3.20.3\n"))
	ar, err := txtar.ParseFile(filepath.Join("..", "apk", "testdata", "alpine320.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ar.Files {
		if f.Name == "lib/apk/db/installed" {
			copyFile(t, root, f.Name, f.Data)
		}
	}
	inv := scan(t, root)
	if inv.OS.Family != "alpine" || inv.OS.Version != "3.20.3" {
		t.Errorf("OS = %+v, want alpine 3.20.3", inv.OS)
	}
	if len(inv.Packages) == 0 {
		t.Fatal("no apk packages")
	}
	for _, p := range inv.Packages {
		if p.Ecosystem != "Alpine:v3.20" || !strings.HasPrefix(p.PURL, "pkg:apk/alpine/"+p.Name+"@"+p.Version+"?") ||
			!strings.Contains(p.PURL, "distro=3.20.3") {
			t.Errorf("%s: ecosystem %q, purl %q", p.Name, p.Ecosystem, p.PURL)
		}
	}
}

// TestRockyEndToEnd: Rocky's os-release and an rpm database built by rpm (see the rpm package).
func TestRockyEndToEnd(t *testing.T) {
	root := t.TempDir()
	copyFile(t, root, "etc/os-release", readFile(t, filepath.Join("testdata", "rocky93")))
	copyFile(t, root, "var/lib/rpm/rpmdb.sqlite", readFile(t, filepath.Join("..", "rpm", "testdata", "rpmdb.sqlite")))
	inv := scan(t, root)
	got := map[string]string{}
	for _, p := range inv.Packages {
		if p.Ecosystem != "Rocky Linux:9" {
			t.Errorf("%s: ecosystem %q", p.Name, p.Ecosystem)
		}
		got[p.Name] = p.PURL
	}
	want := map[string]string{
		"rampart-hello": "pkg:rpm/rocky/rampart-hello@1.2.3-4.el9?arch=x86_64&distro=rocky-9.3&epoch=2",
		"rampart-libs":  "pkg:rpm/rocky/rampart-libs@0.9-1?arch=noarch&distro=rocky-9.3&upstream=rampart-tools",
		"rampart-tools": "pkg:rpm/rocky/rampart-tools@0.9-1?arch=noarch&distro=rocky-9.3",
	}
	for name, purl := range want {
		if got[name] != purl {
			t.Errorf("%s: purl %q, want %q", name, got[name], purl)
		}
	}
}
