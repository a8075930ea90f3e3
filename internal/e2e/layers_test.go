package e2e

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/testenv"
)

// The app image's layers, in the order scripts/fixtures.sh's Dockerfile.app writes them.
const (
	layerBase   = 0 // the imported rootfs
	layerDebs   = 1 // COPY debs/
	layerDpkg   = 2 // RUN dpkg -i
	layerNpm    = 3 // COPY app/ /srv/app/
	layerGoBins = 4 // COPY bin/ /usr/local/bin/
)

// TestLayerAttribution checks that each package carries the diffID of the layer that added it.
func TestLayerAttribution(t *testing.T) {
	env := testenv.Load(t)
	fx := env.Fixtures
	if len(fx.App.DiffIDs) != 5 {
		t.Fatalf("the app image has %d layers, want 5: scripts/fixtures.sh's Dockerfile.app changed", len(fx.App.DiffIDs))
	}
	rep := scan(t, nil, "docker-archive:"+fx.App.DockerArchive)
	layerOf := func(p inventory.Package) int {
		i := slices.Index(fx.App.DiffIDs, p.Layer)
		if i != p.LayerIndex {
			t.Errorf("%s %s: layer_index %d but layer %s is at %d", p.Type, p.Name, p.LayerIndex, p.Layer, i)
		}
		return i
	}

	t.Run("deb", func(t *testing.T) {
		base := dpkgQueryImage(t, fx.Base.Tag)
		debs := ofType(rep.Packages, inventory.TypeDpkg, nil)
		if len(debs) == 0 {
			t.Fatal("no Debian package reported")
		}
		var added []string
		for _, p := range debs {
			want := layerBase
			if slices.Contains(fx.AppDebs, p.Name) {
				want = layerDpkg
				added = append(added, p.Name)
			} else if !slices.Contains(base, p.Name+" "+p.Version+" "+p.Arch) {
				t.Errorf("deb %s %s is neither in the base image nor installed by the build", p.Name, p.Version)
			}
			if got := layerOf(p); got != want {
				t.Errorf("deb %s: layer %d, want %d", p.Name, got, want)
			}
		}
		slices.Sort(added)
		if diff := cmp.Diff(fx.AppDebs, added); diff != "" {
			t.Errorf("packages installed by the RUN dpkg layer (-want +got):\n%s", diff)
		}
	})

	t.Run("npm", func(t *testing.T) {
		truth := npmInstalled(t, filepath.Join(fx.Context, fx.NPMContext), fx.NPMDir)
		var got, lock []string
		for _, p := range ofType(rep.Packages, inventory.TypeNpm, nil) {
			if !strings.HasPrefix(p.Path, fx.NPMDir+"/") {
				// Debian packages ship npm lock files too (ruby-typeprof's vscode/): base layer.
				if l := layerOf(p); l != layerBase {
					t.Errorf("npm %s at %s: layer %d, want the base layer", p.Name, p.Path, l)
				}
				continue
			}
			if l := layerOf(p); l != layerNpm {
				t.Errorf("npm %s at %s: layer %d, want %d", p.Name, p.Path, l, layerNpm)
			}
			switch {
			case strings.HasPrefix(p.Path, fx.NPMDir+"/node_modules/"):
				got = append(got, p.Path+" "+p.Name+"@"+p.Version)
			case p.Path == fx.NPMDir+"/package-lock.json":
				lock = append(lock, p.Name+"@"+p.Version)
			default:
				t.Errorf("npm %s from unexpected %s", p.Name, p.Path)
			}
		}
		slices.Sort(got)
		if diff := cmp.Diff(truth, got); diff != "" {
			t.Errorf("installed npm packages differ from their package.json files (-files +rampart):\n%s", diff)
		}
		// npm writes the lock file from the tree it installed: the same name@version multiset.
		var truthNames []string
		for _, l := range truth {
			truthNames = append(truthNames, l[strings.LastIndex(l, " ")+1:])
		}
		slices.Sort(truthNames)
		slices.Sort(lock)
		if diff := cmp.Diff(truthNames, lock); diff != "" {
			t.Errorf("package-lock.json packages differ from the installed tree (-installed +lock):\n%s", diff)
		}
		for _, want := range fx.NPMPackages {
			if !slices.Contains(truthNames, want) {
				t.Errorf("the fixture lacks %s: npm installed something else", want)
			}
		}
	})

	t.Run("go", func(t *testing.T) {
		for imagePath, ctxPath := range fx.GoBinaries {
			goVersion, deps := goModules(t, filepath.Join(fx.Context, ctxPath))
			var got []string
			sawStdlib := false
			for _, p := range ofType(rep.Packages, inventory.TypeGo, func(p inventory.Package) bool { return p.Path == imagePath }) {
				if l := layerOf(p); l != layerGoBins {
					t.Errorf("go %s in %s: layer %d, want %d", p.Name, imagePath, l, layerGoBins)
				}
				if p.GoVersion != goVersion {
					t.Errorf("go %s in %s: go_version %q, want %q", p.Name, imagePath, p.GoVersion, goVersion)
				}
				switch {
				case p.Main:
				case p.Name == "stdlib":
					sawStdlib = true
					if "go"+p.Version != goVersion {
						t.Errorf("stdlib in %s: version %q, want the toolchain's %q", imagePath, p.Version, goVersion)
					}
				default:
					got = append(got, p.Name+" "+p.Version)
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(deps, got); diff != "" {
				t.Errorf("%s: modules differ from go version -m (-go +rampart):\n%s", imagePath, diff)
			}
			if !sawStdlib {
				t.Errorf("%s: no stdlib package", imagePath)
			}
			if strings.HasSuffix(imagePath, "-go1.20") && goVersion != fx.OldGo {
				t.Errorf("%s was built by %s, want %s", imagePath, goVersion, fx.OldGo)
			}
		}
	})
}

// TestWhiteout scans the image whose last layer purges the .deb and deletes a Go binary.
func TestWhiteout(t *testing.T) {
	env := testenv.Load(t)
	fx := env.Fixtures

	// First make sure the fixture holds what the test is about: whiteout entries for the files.
	whiteouts := layerWhiteouts(t, fx.Whiteout.DockerArchive, len(fx.Whiteout.DiffIDs)-1)
	for _, p := range fx.WhiteoutDeleted {
		wh := path.Join(path.Dir(p), ".wh."+path.Base(p))
		if !slices.Contains(whiteouts, wh) {
			t.Fatalf("the whiteout image's last layer has no %s (it has %v)", wh, whiteouts)
		}
	}

	app := scan(t, nil, "docker-archive:"+fx.App.DockerArchive)
	got := scan(t, nil, "docker-archive:"+fx.Whiteout.DockerArchive)
	for _, p := range got.Packages {
		if slices.Contains(fx.WhiteoutDeleted, p.Path) {
			t.Errorf("%s %s %s is reported, but its file %s was deleted", p.Type, p.Name, p.Version, p.Path)
		}
		if p.Type == inventory.TypeDpkg && slices.Contains(fx.AppDebs, p.Name) {
			t.Errorf("deb %s is reported, but the last layer purged it", p.Name)
		}
	}
	// Everything else is as in the app image, attributed to the same layers.
	var want []string
	for _, p := range app.Packages {
		if !slices.Contains(fx.WhiteoutDeleted, p.Path) && !(p.Type == inventory.TypeDpkg && slices.Contains(fx.AppDebs, p.Name)) {
			want = append(want, pkgLine(p, true))
		}
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, pkgLines(got.Packages, true)); diff != "" {
		t.Errorf("packages differ from the app image's minus the deleted ones (-want +got):\n%s", diff)
	}
	for _, p := range fx.WhiteoutDeleted {
		if len(ofType(app.Packages, inventory.TypeGo, func(q inventory.Package) bool { return q.Path == p })) == 0 {
			t.Errorf("the app image reports no Go package in %s, so its absence proves nothing", p)
		}
	}
}

// layerWhiteouts lists the whiteout entries of layer i of a Docker archive, read with ggcr's
// tarball package and archive/tar rather than Rampart's own walker.
func layerWhiteouts(t *testing.T, archive string, i int) []string {
	t.Helper()
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || i >= len(layers) {
		t.Fatalf("layers of %s: %v (%d layers)", archive, err, len(layers))
	}
	rc, err := layers[i].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read layer %d of %s: %v", i, archive, err)
		}
		if strings.HasPrefix(path.Base(h.Name), ".wh.") {
			out = append(out, strings.TrimPrefix(path.Clean(h.Name), "/"))
		}
	}
	return out
}

var cacheHit = regexp.MustCompile(`msg="layer cache hit".*layer=(sha256:[0-9a-f]{64})`)

// TestLayerCache scans the app image, then the second image that shares its base layer, with
// one cache directory: the second scan must take the base layer from the cache and read only
// its own layer.
func TestLayerCache(t *testing.T) {
	env := testenv.Load(t)
	fx := env.Fixtures
	if fx.Second.DiffIDs[0] != fx.App.DiffIDs[0] || len(fx.Second.DiffIDs) != 2 || slices.Contains(fx.App.DiffIDs, fx.Second.DiffIDs[1]) {
		t.Fatalf("the fixtures do not share exactly the base layer: app %v, second %v", fx.App.DiffIDs, fx.Second.DiffIDs)
	}
	cache := t.TempDir()
	run := func(archive string) ([]string, []string) {
		res := testenv.Run(t, nil, "image", "-v", "-f", "json", "--scanners", "pkg", "--cache-dir", cache, "docker-archive:"+archive)
		if res.Code != 0 {
			t.Fatalf("%v", res)
		}
		var hits []string
		for _, m := range cacheHit.FindAllStringSubmatch(string(res.Stderr), -1) {
			hits = append(hits, m[1])
		}
		slices.Sort(hits)
		return hits, cacheFiles(t, cache)
	}

	hits, files := run(fx.App.DockerArchive)
	if len(hits) != 0 || len(files) != len(fx.App.DiffIDs) {
		t.Errorf("first scan: cache hits %v and %d cache files, want none and one per layer (%d)", hits, len(files), len(fx.App.DiffIDs))
	}
	hits, files2 := run(fx.Second.DockerArchive)
	if diff := cmp.Diff([]string{fx.Second.DiffIDs[0]}, hits); diff != "" {
		t.Errorf("second image: cache hits (-want +got):\n%s", diff)
	}
	if len(files2) != len(files)+1 {
		t.Errorf("second image: %d cache files, want %d (one new layer)", len(files2), len(files)+1)
	}
	hits, files3 := run(fx.Second.DockerArchive)
	want := slices.Clone(fx.Second.DiffIDs)
	slices.Sort(want)
	if diff := cmp.Diff(want, hits); diff != "" || len(files3) != len(files2) {
		t.Errorf("second image again: cache hits (-want +got):\n%s\n%d cache files, want %d", diff, len(files3), len(files2))
	}

	// A cached result is the same as a fresh one.
	cached := scan(t, nil, "docker-archive:"+fx.Second.DockerArchive, "--cache-dir", cache)
	fresh := scan(t, nil, "docker-archive:"+fx.Second.DockerArchive, "--no-cache")
	if diff := cmp.Diff(pkgLines(fresh.Packages, true), pkgLines(cached.Packages, true)); diff != "" {
		t.Errorf("cached scan differs from a fresh one (-fresh +cached):\n%s", diff)
	}
}

// cacheFiles lists the regular files under dir, whatever the cache's layout.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
