package imageconfig

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/rampartsec/rampart/internal/analysis"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/misconfig/misconfigtest"
	"github.com/rampartsec/rampart/internal/secret"
)

// entry is one tar header of a test layer.
type entry struct {
	name string
	mode int64 // permission and special bits, as in tar (04755)
	dir  bool
}

func layer(t *testing.T, entries ...entry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Typeflag: tar.TypeReg, Size: 4}
		if e.dir {
			h.Typeflag, h.Size, h.Name = tar.TypeDir, 0, e.name+"/"
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if !e.dir {
			tw.Write([]byte("data"))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// scan writes img as a docker archive, opens it the way `rampart image` does, runs the analyzer
// over its layers and settles the findings with Check.
func scan(t *testing.T, img v1.Image, names ...string) ([]finding.Finding, []string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "img.tar")
	if err := tarball.WriteToFile(p, mustTag(t, "test/img:1"), img); err != nil {
		t.Fatal(err)
	}
	return scanArchive(t, p, names...)
}

// scanArchive is scan for a docker archive on disk.
func scanArchive(t *testing.T, p string, names ...string) ([]finding.Finding, []string) {
	t.Helper()
	ctx := context.Background()
	ref, err := image.ParseRef("docker-archive:"+p, "")
	if err != nil {
		t.Fatal(err)
	}
	art, err := image.Open(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer art.Close()
	res, err := analysis.New([]inventory.Analyzer{Analyzer{}}, analysis.Config{Logger: slog.New(slog.DiscardHandler)}).Analyze(ctx, art)
	if err != nil {
		t.Fatal(err)
	}
	in := Image{Config: art.Config, Names: names, Distroless: res.Inventory.OS.Distroless}
	for _, l := range art.Layers {
		in.Layers = append(in.Layers, l.DiffID)
	}
	s, err := secret.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := Check(in, res.Findings, s)
	misconfigtest.CheckControls(t, misconfig.Controls(Profile, Checks(), fs, ""), fs, Checks())
	return fs, in.Layers
}

func mustTag(t *testing.T, s string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(s)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// summary is "ID where [layer N]" per finding, sorted.
func summary(fs []finding.Finding, layers []string) []string {
	var out []string
	for _, f := range fs {
		where := f.Location.Field
		if f.Location.Path != "" {
			where = f.Location.Path
		}
		s := f.ID + " " + where
		if i := slices.Index(layers, f.Location.Layer); i >= 0 {
			s += fmt.Sprintf(" layer %d", i)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func baseImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image,
		layer(t,
			entry{name: "usr/bin/passwd", mode: 04755},
			entry{name: "usr/bin/bash", mode: 0o755},
			entry{name: "usr/bin/dpkg", mode: 0o755},
			entry{name: "tmp", mode: 01777, dir: true},
			entry{name: "srv", mode: 0o755, dir: true},
		),
		layer(t,
			entry{name: "usr/local/bin/evil", mode: 04755},
			entry{name: "usr/bin/passwd", mode: 04755}, // rewritten, already setuid below: inherited
			entry{name: "opt/gid", mode: 02755},
			entry{name: "srv", mode: 0o777, dir: true},
			entry{name: "var/drop", mode: 0o777, dir: true},
		),
		layer(t,
			entry{name: "opt/.wh.gid", mode: 0o644}, // deletes opt/gid again
			entry{name: "usr/local/bin/both", mode: 06755},
		),
	)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func withConfig(t *testing.T, img v1.Image, c v1.Config) v1.Image {
	t.Helper()
	out, err := mutate.Config(img, c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCheckImages(t *testing.T) {
	tests := []struct {
		name  string
		cfg   v1.Config
		names []string
		want  []string
	}{
		{
			name: "root, ssh, no healthcheck, secret env",
			cfg: v1.Config{
				ExposedPorts: map[string]struct{}{"22/tcp": {}, "80/tcp": {}},
				Env:          []string{"PATH=/usr/bin", "DB_PASSWORD=hunter2hunter2", "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D"},
			},
			want: []string{
				"IC001 config.User", "IC002 config.ExposedPorts", "IC003 config.Healthcheck", "IC004 env:DB_PASSWORD",
				"IC005 usr/local/bin/both layer 2", "IC005 usr/local/bin/evil layer 1",
				"IC006 srv layer 1", "IC006 var/drop layer 1",
			},
		},
		{
			name: "hardened config",
			cfg: v1.Config{
				User:        "10001:10001",
				Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "true"}},
				Env:         []string{"PATH=/usr/bin", "DB_PASSWORD_FILE=/run/secrets/db"},
			},
			want: []string{
				"IC005 usr/local/bin/both layer 2", "IC005 usr/local/bin/evil layer 1",
				"IC006 srv layer 1", "IC006 var/drop layer 1",
			},
		},
		{
			name: "root by uid, healthcheck NONE, minimal by label",
			cfg: v1.Config{
				User:        "0",
				Healthcheck: &v1.HealthConfig{Test: []string{"NONE"}},
				Labels:      map[string]string{"org.opencontainers.image.description": "Distroless base for Go apps"},
			},
			want: []string{
				"IC001 config.User", "IC003 config.Healthcheck",
				"IC005 usr/local/bin/both layer 2", "IC005 usr/local/bin/evil layer 1",
				"IC006 srv layer 1", "IC006 var/drop layer 1",
				"IC007 usr/bin/bash layer 0", "IC007 usr/bin/dpkg layer 0",
			},
		},
		{
			name:  "minimal by name",
			cfg:   v1.Config{User: "nonroot", Healthcheck: &v1.HealthConfig{Test: []string{"CMD-SHELL", "true"}}},
			names: []string{"registry.local/app-minimal:1"},
			want: []string{
				"IC005 usr/local/bin/both layer 2", "IC005 usr/local/bin/evil layer 1",
				"IC006 srv layer 1", "IC006 var/drop layer 1",
				"IC007 usr/bin/bash layer 0", "IC007 usr/bin/dpkg layer 0",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, layers := scan(t, withConfig(t, baseImage(t), tt.cfg), tt.names...)
			if diff := cmp.Diff(tt.want, summary(fs, layers)); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s", diff)
			}
			for _, f := range fs {
				if f.Kind != finding.KindMisconfig || f.Evidence == "" || f.Remediation == "" {
					t.Errorf("incomplete finding %+v", f)
				}
				if strings.Contains(f.Evidence, "hunter2hunter2") {
					t.Errorf("evidence leaks the secret: %q", f.Evidence)
				}
			}
		})
	}
}

func TestCheckKeepsOtherFindings(t *testing.T) {
	other := finding.Finding{Kind: finding.KindSecret, ID: "aws-access-key-id", Location: finding.Location{Path: "a"}}
	got := Check(Image{}, []finding.Finding{other}, nil)
	if diff := cmp.Diff([]finding.Finding{other}, got); diff != "" {
		t.Errorf("Check() changed unrelated findings (-want +got):\n%s", diff)
	}
}

func TestBaseLayers(t *testing.T) {
	bk := v1.History{Comment: buildkitMarker}
	plain := v1.History{CreatedBy: "/bin/sh -c #(nop) ADD file:abc in /"}
	empty := v1.History{EmptyLayer: true, Comment: buildkitMarker}
	tests := []struct {
		name    string
		history []v1.History
		layers  int
		want    int
	}{
		{"no history", nil, 3, 1},
		{"classic builder", []v1.History{plain, plain, plain}, 3, 1},
		{"buildkit on an imported base", []v1.History{plain, empty, bk, empty, bk}, 3, 1},
		{"buildkit on a two-layer base", []v1.History{plain, plain, bk, bk}, 4, 2},
		{"everything buildkit", []v1.History{bk, bk, bk}, 3, 1},
		{"history does not line up", []v1.History{plain, bk}, 3, 1},
		{"no layers", nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := Image{Config: &v1.ConfigFile{History: tt.history}, Layers: make([]string, tt.layers)}
			if got := baseLayers(img); got != tt.want {
				t.Errorf("baseLayers() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCheckDefinitions(t *testing.T) {
	for i, c := range Checks() {
		if want := fmt.Sprintf("IC%03d", i+1); c.ID != want {
			t.Errorf("check %d has ID %s, want %s", i, c.ID, want)
		}
		if c.Title == "" || c.Rationale == "" || c.Remediation == "" || c.Severity.Rank() == 0 {
			t.Errorf("%s: incomplete definition", c.ID)
		}
	}
}

// TestSecretEnvNotReportedTwice: a variable the secret scanner already reported gets no IC004;
// one it did not report still does.
func TestSecretEnvNotReportedTwice(t *testing.T) {
	s, err := secret.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	reported := finding.Finding{Kind: finding.KindSecret, ID: "github-token", Location: finding.Location{Field: "env:GH_TOKEN"}}
	cfg := &v1.ConfigFile{Config: v1.Config{User: "app", Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "true"}},
		Env: []string{"GH_TOKEN=ghp_" + strings.Repeat("aB3", 12), "DB_PASSWORD=Zx9!qWm2#Lp7$Rt4"}}}
	var got []string
	for _, f := range Check(Image{Config: cfg}, []finding.Finding{reported}, s) {
		got = append(got, f.ID+"@"+f.Location.Field)
	}
	want := []string{"github-token@env:GH_TOKEN", SecretEnv.ID + "@env:DB_PASSWORD"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
