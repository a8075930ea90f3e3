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
	"github.com/rampartsec/rampart/internal/inventory/dpkg"
	"github.com/rampartsec/rampart/internal/inventory/osrelease"
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
		if slices.Contains(skip, f.Name) {
			continue
		}
		p := filepath.Join(root, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func scan(t *testing.T, root string) inventory.Inventory {
	t.Helper()
	a := analysis.New([]inventory.Analyzer{osrelease.Analyzer{}, dpkg.Analyzer{}}, analysis.Config{})
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

// TestAlpineFallbackEndToEnd: an Alpine root whose only release file is etc/alpine-release.
func TestAlpineFallbackEndToEnd(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "alpine-release"), []byte("3.20.3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := scan(t, root)
	if inv.OS.Family != "alpine" || inv.OS.Version != "3.20.3" {
		t.Errorf("OS = %+v, want alpine 3.20.3", inv.OS)
	}
}
