package analysis

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/inventory"
)

// artifactOf writes the layers (uncompressed tars, base first) as a docker-save archive and
// opens it the way the CLI does.
func artifactOf(t *testing.T, layers ...[]byte) *image.Artifact {
	t.Helper()
	var ls []v1.Layer
	for _, b := range layers {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "img.tar")
	if err := tarball.WriteToFile(p, name.MustParseReference("example.invalid/test:1"), img); err != nil {
		t.Fatal(err)
	}
	ref, err := image.ParseRef("docker-archive:"+p, "")
	if err != nil {
		t.Fatal(err)
	}
	art, err := image.Open(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { art.Close() })
	return art
}

// partialAnalyzer reads "*.part" files as lineAnalyzer reads "*.pkg" ones, and says it read
// them only in part, as the Java analyzer does of an archive nested too deep.
type partialAnalyzer struct{}

func (partialAnalyzer) Name() string { return "test-partial" }
func (partialAnalyzer) Version() int { return 1 }
func (partialAnalyzer) Required(p string, _ fs.FileInfo) bool {
	return strings.HasSuffix(p, ".part")
}
func (partialAnalyzer) Analyze(ctx context.Context, f *inventory.File) (*inventory.Result, error) {
	res, err := lineAnalyzer{}.Analyze(ctx, &inventory.File{Path: "x.pkg", Content: f.Content, Size: f.Size})
	if err != nil {
		return nil, err
	}
	res.Warn("nested archive not read")
	return res, nil
}

// TestWarningsAreCachedWithTheLayer: what the analyzers say they could not read is part of
// the result, the same from the cache as from the layer.
func TestWarningsAreCachedWithTheLayer(t *testing.T) {
	art := artifactOf(t,
		tarBytes(t, entry2{name: "b/bad.pkg", body: "ERR"}, entry2{name: "a/app.part", body: "inner 1"}),
		tarBytes(t, entry2{name: "c/ok.pkg", body: "fine 1"}, entry2{name: "../../up.pkg", body: "up 1"}),
	)
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"test-partial: a/app.part: nested archive not read",
		"test-lines: b/bad.pkg: unreadable test database",
		`entry "../../up.pkg" points outside the root; read as /up.pkg`,
	}
	for _, run := range []string{"cold", "warm", "warm again"} {
		res, err := New([]inventory.Analyzer{lineAnalyzer{}, partialAnalyzer{}}, Config{Cache: c}).Analyze(context.Background(), art)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, res.Warnings); diff != "" {
			t.Errorf("%s: warnings (-want +got):\n%s", run, diff)
		}
		if diff := cmp.Diff([]pkgAt{{"fine", "1", "c/ok.pkg", 1}, {"inner", "1", "a/app.part", 0}, {"up", "1", "up.pkg", 1}}, pkgs(res.Inventory)); diff != "" {
			t.Errorf("%s: packages (-want +got):\n%s", run, diff)
		}
	}
}
