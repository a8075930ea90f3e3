package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/testenv"
)

// TestSourcesAgree scans the app image through every source Rampart reads and checks that each
// reports the same packages, each attributed to the same layer, and the layers the engine lists.
func TestSourcesAgree(t *testing.T) {
	env := testenv.Load(t)
	fx, reg := env.Fixtures, env.Registry
	app := reg.AppRepository + ":" + reg.AppTag
	tlsCreds := dockerConfig(t, reg.TLS, reg.Username, reg.Password)
	caFlag := []string{"--ca-cert", reg.CACert}

	// skopeo rewrote the config in OCI form when it wrote the layout and the archive, so the OCI
	// sources have another image ID: the one the layout's manifest names.
	ociID := layoutConfigDigest(t, fx.App.OCILayout)

	// The Docker archive is the reference: `docker save` wrote it from the engine's own image.
	want := scan(t, nil, "docker-archive:"+fx.App.DockerArchive)
	wantPkgs := pkgLines(want.Packages, true)
	if len(ofType(want.Packages, inventory.TypeDpkg, nil)) == 0 {
		t.Errorf("the app image's Docker archive reports no Debian package: nothing to compare")
	}

	tests := []struct {
		name       string
		ref        string
		flags      []string
		env        []string
		wantDigest string // manifest digest the report must name, when the source has one
		oci        bool   // the image ID is ociID, not the engine's
		wantSource string // artifact.source, when the test is about it
	}{
		// A plain name is looked up in the local engine first (it holds this tag: the fixtures
		// pushed from it), then in the registry.
		{name: "plain name held by the engine", ref: reg.Plain + "/" + app, wantSource: "daemon"},
		{name: "plain name of a local image", ref: fx.App.Tag, wantSource: "daemon"},
		{name: "registry", ref: reg.Plain + "/" + app, flags: []string{"--source", "registry"}, wantDigest: reg.AppDigestPlain, wantSource: "registry"},
		{name: "registry by digest", ref: reg.Plain + "/" + reg.AppRepository + "@" + reg.AppDigestPlain, wantDigest: reg.AppDigestPlain},
		{name: "registry TLS and auth", ref: "registry://" + reg.TLS + "/" + app, flags: caFlag, env: []string{tlsCreds}, wantDigest: reg.AppDigestTLS},
		{name: "registry TLS by digest", ref: reg.TLS + "/" + reg.AppRepository + "@" + reg.AppDigestTLS, flags: caFlag, env: []string{tlsCreds}, wantDigest: reg.AppDigestTLS},
		{name: "registry:// prefix", ref: "registry://" + reg.Plain + "/" + app, wantDigest: reg.AppDigestPlain, wantSource: "registry"},
		{name: "daemon flag", ref: fx.App.Tag, flags: []string{"--source", "daemon"}},
		{name: "docker://", ref: "docker://" + fx.App.Tag},
		{name: "oci layout", ref: "oci:" + fx.App.OCILayout, oci: true},
		{name: "oci layout tag", ref: "oci:" + fx.App.OCILayout + ":" + fx.App.OCITag, oci: true},
		{name: "oci archive", ref: "oci-archive:" + fx.App.OCIArchive, oci: true},
		{name: "oci archive tag", ref: "oci-archive:" + fx.App.OCIArchive + ":" + fx.App.OCITag, oci: true},
		{name: "plain archive path", ref: fx.App.DockerArchive},
		{name: "plain layout path", ref: fx.App.OCILayout, oci: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := scan(t, tt.env, tt.ref, tt.flags...)
			if diff := cmp.Diff(wantPkgs, pkgLines(rep.Packages, true)); diff != "" {
				t.Errorf("packages differ from the Docker archive's (-archive +%s):\n%s", tt.name, diff)
			}
			var diffIDs []string
			for _, l := range rep.Artifact.Layers {
				diffIDs = append(diffIDs, l.DiffID)
			}
			if diff := cmp.Diff(fx.App.DiffIDs, diffIDs); diff != "" {
				t.Errorf("layers differ from docker image inspect's (-engine +rampart):\n%s", diff)
			}
			wantID := fx.App.ID
			if tt.oci {
				wantID = ociID
			}
			if rep.Artifact.ID != wantID {
				t.Errorf("image ID = %q, want %q", rep.Artifact.ID, wantID)
			}
			if tt.wantDigest != "" && rep.Artifact.Digest != tt.wantDigest {
				t.Errorf("digest = %q, want the registry's %q", rep.Artifact.Digest, tt.wantDigest)
			}
			if tt.wantSource != "" && rep.Artifact.Source != tt.wantSource {
				t.Errorf("source = %q, want %q", rep.Artifact.Source, tt.wantSource)
			}
			if want.Artifact.OS != rep.Artifact.OS {
				t.Errorf("OS = %+v, want %+v", rep.Artifact.OS, want.Artifact.OS)
			}
		})
	}
}

// TestDirMatchesImage scans the debootstrap root filesystem as a directory and the image
// imported from it: the same files must give the same packages.
func TestDirMatchesImage(t *testing.T) {
	env := testenv.Load(t)
	dir := scan(t, nil, "dir:"+env.Fixtures.Rootfs)
	img := scan(t, nil, "docker-archive:"+env.Fixtures.Base.DockerArchive)
	if diff := cmp.Diff(pkgLines(img.Packages, false), pkgLines(dir.Packages, false)); diff != "" {
		t.Errorf("dir: and the imported image differ (-image +dir):\n%s", diff)
	}
	if dir.Artifact.OS != img.Artifact.OS || dir.Artifact.OS.Family != "debian" || dir.Artifact.OS.Version != "12" {
		t.Errorf("OS: dir %+v, image %+v, want debian 12 for both", dir.Artifact.OS, img.Artifact.OS)
	}
	for _, p := range img.Packages {
		if p.Layer != env.Fixtures.Base.DiffIDs[0] || p.LayerIndex != 0 {
			t.Errorf("%s %s: layer %d %s, want the only layer %s", p.Type, p.Name, p.LayerIndex, p.Layer, env.Fixtures.Base.DiffIDs[0])
		}
	}
}

// TestDpkgTruth compares the Debian packages Rampart reports with what dpkg-query says is
// installed: in the root filesystem, and inside each image (dpkg-query run in a container).
func TestDpkgTruth(t *testing.T) {
	env := testenv.Load(t)
	fx := env.Fixtures
	t.Run("rootfs", func(t *testing.T) {
		truth := dpkgQueryRootfs(t, fx.Rootfs)
		rep := scan(t, nil, "dir:"+fx.Rootfs)
		if diff := cmp.Diff(truth, dpkgLines(rep.Packages)); diff != "" {
			t.Errorf("dir: packages differ from dpkg-query (-dpkg-query +rampart):\n%s", diff)
		}
		for _, name := range []string{"python3-yaml", "python3-requests", "libcommons-lang3-java", "ruby-rack", "ca-certificates"} {
			if !slices.ContainsFunc(truth, func(l string) bool { return len(l) > len(name) && l[:len(name)+1] == name+" " }) {
				t.Errorf("the fixture lacks %s: the recipe in scripts/fixtures.sh did not install it", name)
			}
		}
	})
	for _, img := range []testenv.Image{fx.Base, fx.App, fx.Whiteout} {
		t.Run(img.Tag, func(t *testing.T) {
			truth := dpkgQueryImage(t, img.Tag)
			rep := scan(t, nil, "docker-archive:"+img.DockerArchive)
			if diff := cmp.Diff(truth, dpkgLines(rep.Packages)); diff != "" {
				t.Errorf("packages differ from dpkg-query in the image (-dpkg-query +rampart):\n%s", diff)
			}
		})
	}
}

// layoutConfigDigest reads the config digest of the only image in an OCI layout with plain JSON
// decoding: index.json names the manifest, the manifest names the config.
func layoutConfigDigest(t *testing.T, layout string) string {
	t.Helper()
	var index struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	var manifest struct {
		Config struct{ Digest string } `json:"config"`
	}
	readJSON(t, filepath.Join(layout, "index.json"), &index)
	if len(index.Manifests) != 1 {
		t.Fatalf("%s/index.json lists %d manifests, want 1", layout, len(index.Manifests))
	}
	alg, hex, _ := strings.Cut(index.Manifests[0].Digest, ":")
	readJSON(t, filepath.Join(layout, "blobs", alg, hex), &manifest)
	if manifest.Config.Digest == "" {
		t.Fatalf("the manifest in %s names no config", layout)
	}
	return manifest.Config.Digest
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}
