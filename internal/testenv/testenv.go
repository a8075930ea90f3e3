// Package testenv gives tests the machine's integration-test environment: the Docker engine, the
// two loopback registries and the real fixture images that scripts/test-setup.sh and
// scripts/fixtures.sh prepare, described by the JSON file named by $RAMPART_TEST_ENV.
//
// It is for tests only.
//
// # Usage
//
//	env := testenv.Load(t) // skips, or fails under RAMPART_REQUIRE_FIXTURES=1, when absent
//	res := testenv.Run(t, nil, "image", "-f", "json", "docker-archive:"+env.Fixtures.App.DockerArchive)
//
// `make test` sets both variables, so there a missing environment is a failure; a plain
// `go test ./...` elsewhere skips these tests with a message, and `go test -short` skips them
// (and everything that runs the binary) always.
package testenv

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
)

// Environment variables read by [Load].
const (
	// EnvFile names the JSON file scripts/fixtures.sh writes.
	EnvFile = "RAMPART_TEST_ENV"
	// Require, when "1", turns a missing environment into a test failure instead of a skip.
	Require = "RAMPART_REQUIRE_FIXTURES"
)

// Env is the content of the environment file.
type Env struct {
	Registry Registry `json:"registry"`
	// Logs is the directory holding the dockerd and registry logs.
	Logs     string   `json:"logs"`
	Fixtures Fixtures `json:"fixtures"`
}

// Registry describes the two Distribution registries and the app image pushed to both.
type Registry struct {
	Plain    string `json:"plain"`   // host:port of the plain HTTP registry, no auth
	TLS      string `json:"tls"`     // host:port of the TLS registry with basic auth
	CACert   string `json:"ca_cert"` // PEM file of the CA that signed the TLS registry's certificate
	Username string `json:"username"`
	Password string `json:"password"`
	// AppRepository and AppTag name the app image in both registries ("rampart-test/app", "1").
	AppRepository string `json:"app_repository"`
	AppTag        string `json:"app_tag"`
	// AppDigestPlain and AppDigestTLS are the manifest digests each registry serves for it.
	AppDigestPlain string `json:"app_digest_plain"`
	AppDigestTLS   string `json:"app_digest_tls"`
}

// Fixtures describes the fixture images and the files they were built from.
type Fixtures struct {
	Dir string `json:"dir"`
	// Rootfs is the debootstrap root filesystem the base image was imported from.
	Rootfs string `json:"rootfs"`
	// Context is the docker build context of the app image.
	Context string `json:"context"`
	// Base is the imported rootfs (one layer); App adds layers on it; Second shares Base's layer;
	// Whiteout is App plus a layer deleting WhiteoutDeleted and purging AppDebs.
	Base     Image `json:"base"`
	App      Image `json:"app"`
	Second   Image `json:"second"`
	Whiteout Image `json:"whiteout"`
	// AppDebs are the Debian packages the app image installs with dpkg in its third layer.
	AppDebs []string `json:"app_debs"`
	// NPMPackages are what `npm install` was asked for ("express@4.17.1").
	NPMPackages []string `json:"npm_packages"`
	// NPMDir is where the npm project sits in the app image; NPMContext where it is in Context.
	NPMDir     string `json:"npm_dir"`
	NPMContext string `json:"npm_context"`
	// GoBinaries maps a Go binary's path in the app image to its path in Context.
	GoBinaries map[string]string `json:"go_binaries"`
	// OldGo is the older toolchain goapp-go1.20 was built with ("go1.20.14").
	OldGo string `json:"old_go"`
	// WhiteoutDeleted are the paths the whiteout image deletes (image paths, no leading slash).
	WhiteoutDeleted []string `json:"whiteout_deleted"`
}

// Image is one fixture image.
type Image struct {
	Tag string `json:"tag"` // in the Docker engine, e.g. "rampart-test/app:1"
	ID  string `json:"id"`  // config digest
	// DiffIDs are the layers' diffIDs, base first, as the engine reports them.
	DiffIDs []string `json:"diff_ids"`
	// DockerArchive is the `docker save` of the image.
	DockerArchive string `json:"docker_archive"`
	// OCILayout, OCITag and OCIArchive are set for the app image only.
	OCILayout  string `json:"oci_layout,omitempty"`
	OCITag     string `json:"oci_tag,omitempty"`
	OCIArchive string `json:"oci_archive,omitempty"`
}

var loaded struct {
	once sync.Once
	env  *Env
	why  string // why there is no environment
	err  error  // the file exists but is unusable
}

// Load returns the test environment. When there is none it skips the test, or fails it when
// $RAMPART_REQUIRE_FIXTURES is "1". A file that exists but cannot be parsed always fails the
// test. Under -short it always skips: integration tests are slow. The file is read once per
// process; the returned Env is shared and must not be modified.
func Load(t testing.TB) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	loaded.once.Do(func() { loaded.env, loaded.why, loaded.err = read() })
	if loaded.err != nil {
		t.Fatalf("test environment: %v", loaded.err)
	}
	if loaded.env == nil {
		Missing(t, loaded.why)
	}
	return loaded.env
}

// Missing ends a test that lacks something the test environment should provide: a failure under
// RAMPART_REQUIRE_FIXTURES=1, a skip otherwise.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(Require) == "1" {
		t.Fatalf("test environment required (%s=1) but %s", Require, why)
	}
	t.Skipf("no test environment: %s (run `make test`, or scripts/test-setup.sh && scripts/fixtures.sh with %s set)", why, EnvFile)
}

func read() (*Env, string, error) {
	p := os.Getenv(EnvFile)
	if p == "" {
		return nil, EnvFile + " is not set", nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Sprintf("%s: %v", EnvFile, err), nil
	}
	var env Env
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, "", fmt.Errorf("parse %s: %w", p, err)
	}
	// The cache may have been wiped since the file was written.
	for _, f := range []string{env.Fixtures.Rootfs, env.Fixtures.App.DockerArchive, env.Registry.CACert} {
		if f == "" {
			return nil, "", fmt.Errorf("%s lacks a fixture path: rerun scripts/fixtures.sh", p)
		}
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Sprintf("%s names a missing file: %v", p, err), nil
		}
	}
	return &env, "", nil
}
