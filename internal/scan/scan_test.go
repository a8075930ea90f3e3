package scan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/rampartsec/rampart/internal/exitcode"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/misconfig/imageconfig"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/scan"
	"github.com/rampartsec/rampart/internal/testenv"
	"github.com/rampartsec/rampart/internal/version"
	"github.com/rampartsec/rampart/internal/vulndb"
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range cleanups {
		f()
	}
	testenv.Cleanup()
	os.Exit(code)
}

// bundledDB imports the repository's data/vulndb into a database the package's tests share
// (they only read it).
func bundledDB(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("imports the bundled vulnerability data")
	}
	dir, err := importBundled()
	if err != nil {
		t.Fatalf("import bundled data: %v", err)
	}
	return dir
}

var importBundled = sync.OnceValues(func() (string, error) {
	paths, _ := filepath.Glob("../../data/vulndb/*")
	paths = slices.DeleteFunc(paths, func(p string) bool { return strings.HasSuffix(p, ".md") })
	dir, err := os.MkdirTemp("", "rampart-scan-test-db-")
	if err != nil {
		return "", err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	_, err = vulndb.Import(context.Background(), dir, paths, vulndb.ImportOptions{Logger: slog.New(slog.DiscardHandler)})
	return dir, err
})

var cleanups []func()

const osRelease = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"

// dpkgStatus is a status file listing libexpat1 at expatVersion and perl-base at a vulnerable version.
func dpkgStatus(expatVersion string) string {
	return `Package: libexpat1
Status: install ok installed
Architecture: amd64
Source: expat
Version: ` + expatVersion + `
Description: XML parsing C library - runtime library

Package: perl-base
Status: install ok installed
Architecture: amd64
Source: perl
Version: 5.36.0-7+deb12u1
Description: minimal Perl system

`
}

// appImage writes a docker-save archive of example.com/team/app:TAG with expat at expatVersion:
// a Debian 12 base, two copies of a vulnerable lodash, and a leaked token.
func appImage(t *testing.T, tag, expatVersion string) string {
	t.Helper()
	base := testenv.FileLayer(t, map[string]string{
		"etc/os-release":      osRelease,
		"var/lib/dpkg/status": dpkgStatus("2.5.0-1"),
	})
	app := testenv.FileLayer(t, map[string]string{
		"app/node_modules/lodash/package.json":        `{"name": "lodash", "version": "4.17.15", "license": "MIT"}`,
		"app/vendor/node_modules/lodash/package.json": `{"name": "lodash", "version": "4.17.15", "license": "MIT"}`,
		"app/.env":                               "GITHUB_TOKEN=ghp_R4mp4rtT3stT0k3nN0tR34l1234567890ab\n",
		"app/node_modules/left-pad/package.json": `{"name": "left-pad", "version": "1.3.0", "license": "WTFPL"}`,
	})
	img := testenv.LinuxImage(t, "amd64", base, app)
	if expatVersion != "2.5.0-1" {
		// The upgrade, as dpkg records it: a new layer rewrites the status file.
		img = testenv.LinuxImage(t, "amd64", base, app, testenv.FileLayer(t, map[string]string{"var/lib/dpkg/status": dpkgStatus(expatVersion)}))
	}
	path := filepath.Join(t.TempDir(), "app-"+tag+".tar")
	testenv.WriteArchive(t, path, "example.com/team/app:"+tag, img)
	return path
}

func newPipeline(t *testing.T, db, cache string) *scan.Pipeline {
	t.Helper()
	p, err := scan.New(context.Background(), scan.Options{
		Scanners: scan.Default, RequireDB: true, DBDir: db, CacheDir: cache,
		Tool: result.Tool{Name: "rampart", Version: "test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func fingerprints(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Fingerprint)
	}
	slices.Sort(out)
	return out
}

// TestPipelineAgreesWithTheCLI drives the pipeline from Go, as the server will, and compares
// its report with `rampart image --format json` on the same image.
func TestPipelineAgreesWithTheCLI(t *testing.T) {
	db := bundledDB(t)
	archive := appImage(t, "1", "2.5.0-1")
	got, err := newPipeline(t, db, t.TempDir()).Scan(context.Background(), "docker-archive:"+archive, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := testenv.Run(t, nil, "image", "-q", "-f", "json", "--db-dir", db, "--cache-dir", t.TempDir(), "docker-archive:"+archive)
	if res.Code != 0 {
		t.Fatalf("%v", res)
	}
	var want result.Report
	if err := json.Unmarshal(res.Stdout, &want); err != nil {
		t.Fatal(err)
	}
	got.Normalize()
	if diff := cmp.Diff(&want, got, cmpopts.IgnoreFields(result.Report{}, "CreatedAt", "Tool"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("pipeline and CLI disagree (-cli +pipeline):\n%s", diff)
	}
	kinds := map[finding.Kind]int{}
	for _, f := range got.Findings {
		kinds[f.Kind]++
		if len(f.Fingerprint) != 32 {
			t.Errorf("%s %s: fingerprint %q", f.Kind, f.ID, f.Fingerprint)
		}
	}
	if kinds[finding.KindVulnerability] == 0 || kinds[finding.KindSecret] == 0 {
		t.Fatalf("the image should have vulnerabilities and a secret; found %v", kinds)
	}
}

// TestFingerprintsStable scans one image cold, warm (layer cache) and with no cache: the
// fingerprints are the same, and distinct for distinct findings (the two lodash copies too).
func TestFingerprintsStable(t *testing.T) {
	db := bundledDB(t)
	archive := "docker-archive:" + appImage(t, "1", "2.5.0-1")
	cache := t.TempDir()
	var runs [][]string
	for _, cacheDir := range []string{cache, cache, ""} {
		rep, err := newPipeline(t, db, cacheDir).Scan(context.Background(), archive, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, fingerprints(rep.Findings))
		if n := len(slices.Compact(slices.Clone(runs[len(runs)-1]))); n != len(rep.Findings) {
			t.Errorf("%d findings share %d fingerprints", len(rep.Findings), n)
		}
	}
	for i, name := range []string{"warm cache", "no cache"} {
		if diff := cmp.Diff(runs[0], runs[i+1]); diff != "" {
			t.Errorf("%s: fingerprints differ from the cold scan (-cold +%s):\n%s", name, name, diff)
		}
	}
}

// TestFingerprintsAcrossUpgrade scans v1 of an image and v2, where libexpat1 was upgraded to the
// last version the database names as a fix: every other finding keeps its fingerprint, and the
// fixed ones, exactly, are gone.
func TestFingerprintsAcrossUpgrade(t *testing.T) {
	db := bundledDB(t)
	p := newPipeline(t, db, t.TempDir())
	v1, err := p.Scan(context.Background(), "docker-archive:"+appImage(t, "1", "2.5.0-1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	fixedIn := ""
	for _, f := range v1.Findings {
		if f.Package != nil && f.Package.Name == "libexpat1" && f.FixedVersion != nil {
			if c, err := version.Compare("Debian", *f.FixedVersion, fixedIn); fixedIn == "" || (err == nil && c > 0) {
				fixedIn = *f.FixedVersion
			}
		}
	}
	if fixedIn == "" {
		t.Fatal("no fixed expat vulnerability in v1: the test needs one")
	}
	var want []string
	gone := 0
	for _, f := range v1.Findings {
		if f.Package != nil && f.Package.Name == "libexpat1" && f.FixedVersion != nil {
			if c, err := version.Compare("Debian", *f.FixedVersion, fixedIn); err == nil && c <= 0 {
				gone++
				continue
			}
		}
		want = append(want, f.Fingerprint)
	}
	slices.Sort(want)
	v2, err := p.Scan(context.Background(), "docker-archive:"+appImage(t, "2", fixedIn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, fingerprints(v2.Findings)); diff != "" {
		t.Errorf("v2's fingerprints are not v1's less the %d fixed (-want +got):\n%s", gone, diff)
	}
	if gone == 0 || len(want) == 0 {
		t.Errorf("%d findings fixed, %d kept: the test proves nothing", gone, len(want))
	}
}

// TestSubject checks the names fingerprints are computed under.
func TestSubject(t *testing.T) {
	tests := []struct {
		a    result.Artifact
		want string
	}{
		{result.Artifact{Name: "app:1", Source: "registry"}, "index.docker.io/library/app"},
		{result.Artifact{Name: "127.0.0.1:5000/team/app@sha256:" + strings.Repeat("a", 64), Source: "registry"}, "127.0.0.1:5000/team/app"},
		{result.Artifact{Name: "docker://app:2", Source: "daemon"}, "index.docker.io/library/app"},
		{result.Artifact{Name: "docker-archive:/tmp/app-v2.tar", Source: "docker-archive", RepoTags: []string{"example.com/app:2"}}, "example.com/app"},
		{result.Artifact{Name: "oci:/tmp/layout", Source: "oci"}, "oci:/tmp/layout"},
		{result.Artifact{Name: "dir:./src", Source: "dir"}, "dir:./src"},
		{result.Artifact{Name: "./deploy", Source: "config"}, "config:./deploy"},
	}
	for _, tt := range tests {
		if got := scan.Subject(tt.a); got != tt.want {
			t.Errorf("Subject(%+v) = %q, want %q", tt.a, got, tt.want)
		}
	}
}

// TestPathLikeReferences: a reference that looks like a path and names nothing is "not found"
// (exit 4) naming it, not a registry host to dial.
func TestPathLikeReferences(t *testing.T) {
	p, err := scan.New(context.Background(), scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, ref := range []string{"./nosuch.tar", "../nosuch", "/no/such/dir", "nosuch.tar.gz", "app.tgz"} {
		_, err := p.Inventory(context.Background(), ref, nil)
		if code := exitcode.Of(err); code != exitcode.NotFound || !strings.Contains(fmt.Sprint(err), ref) {
			t.Errorf("%s: exit %d, error %v; want %d naming the path", ref, code, err, exitcode.NotFound)
		}
	}
}

// TestPlainNameWithoutEngine: with no Docker engine to ask, a plain name is read from its
// registry, and the report says so.
func TestPlainNameWithoutEngine(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryConfig{})
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-engine.sock"))
	img := testenv.LinuxImage(t, "amd64", testenv.FileLayer(t, map[string]string{"etc/os-release": osRelease, "var/lib/dpkg/status": dpkgStatus("2.5.0-1")}))
	tag, err := name.NewTag(reg.Host + "/team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	p, err := scan.New(context.Background(), scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rep, err := p.Inventory(context.Background(), tag.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Artifact.Source != "registry" || len(rep.Packages) != 2 {
		t.Errorf("source %q, %d packages; want registry, 2", rep.Artifact.Source, len(rep.Packages))
	}
}

// TestImageConfigControls: with the misconfig scanner, every image-config check has a verdict:
// fail exactly where it has findings, pass elsewhere on an image, not assessed on a directory
// (no image configuration to check).
func TestImageConfigControls(t *testing.T) {
	p, err := scan.New(context.Background(), scan.Options{Scanners: []string{scan.Misconfig}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rep, err := p.Scan(context.Background(), "docker-archive:"+appImage(t, "1", "2.5.0-1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]bool{}
	for _, f := range rep.Findings {
		fired[f.ID] = true
	}
	if len(rep.Controls) != len(imageconfig.Checks()) {
		t.Fatalf("%d controls, want one per image check (%d)", len(rep.Controls), len(imageconfig.Checks()))
	}
	for _, c := range rep.Controls {
		want := result.StatusPass
		if fired[c.Control] {
			want = result.StatusFail
		}
		if c.Status != want {
			t.Errorf("%s: %s, want %s", c.Control, c.Status, want)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "os-release"), []byte(osRelease), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err = p.Scan(context.Background(), "dir:"+dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Controls {
		if c.Status != result.StatusNotAssessed || c.Reason == "" {
			t.Errorf("directory: %s is %s (%q), want not_assessed with a reason", c.Control, c.Status, c.Reason)
		}
	}
}
