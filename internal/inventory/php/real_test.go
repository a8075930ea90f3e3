package php

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/testenv"
)

// realProject is installed by the real Composer from local path repositories (Packagist is not
// reachable here): a dependency with its own dependency, and a dev-only package tagged "v…".
var realProject = map[string]string{
	"composer.json": `{"name": "rampart/fixture",
 "repositories": [{"type": "path", "url": "pkgs/*", "options": {"symlink": false}}, {"packagist.org": false}],
 "require": {"acme/http": "^2.0"}, "require-dev": {"acme/timer": "^2.1"}}`,
	"pkgs/logger/composer.json": `{"name": "acme/logger", "version": "1.25.0", "license": "MIT"}`,
	"pkgs/http/composer.json":   `{"name": "acme/http", "version": "2.3.0", "license": ["MIT", "Apache-2.0"], "require": {"acme/logger": "^1.0"}}`,
	"pkgs/timer/composer.json":  `{"name": "acme/timer", "version": "v2.1.2", "license": "BSD-3-Clause"}`,
}

// composerFixture runs `composer install` on realProject and saves `composer show` output (all
// packages, and without dev ones). It is cached under the user cache directory.
func composerFixture(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs composer")
	}
	composer, err := exec.LookPath("composer")
	if err != nil {
		testenv.Missing(t, "composer not installed (Debian package composer)")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(realProject))
	for name := range realProject {
		names = append(names, name)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		h.Write([]byte(name + "\x00" + realProject[name] + "\x00"))
	}
	dir := filepath.Join(cache, "rampart-test", "composer-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "tmp-composer-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for _, name := range names {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(realProject[name]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(out string, args ...string) {
		cmd := exec.Command(composer, append(args, "--no-interaction", "--no-plugins")...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "COMPOSER_HOME="+filepath.Join(tmp, ".composer-home"),
			"COMPOSER_ALLOW_SUPERUSER=1", "COMPOSER_DISABLE_NETWORK=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("composer %v: %v\n%s", args, err, stderr.String())
		}
		if out != "" {
			if err := os.WriteFile(filepath.Join(tmp, out), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	run("", "install", "--no-progress", "--no-scripts")
	run("show-all.json", "show", "--format=json")
	run("show-prod.json", "show", "--format=json", "--no-dev")
	if err := os.WriteFile(filepath.Join(tmp, "complete"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// composerShow reads `composer show --format=json` output as sorted "name@version", with the
// "v" prefix dropped as the analyzer does.
func composerShow(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var show struct {
		Installed []struct{ Name, Version string } `json:"installed"`
	}
	if err := json.Unmarshal(b, &show); err != nil {
		t.Fatalf("decode %s: %v", file, err)
	}
	var out []string
	for _, p := range show.Installed {
		out = append(out, p.Name+"@"+strings.TrimPrefix(p.Version, "v"))
	}
	slices.Sort(out)
	return out
}

func nameVersions(pkgs []inventory.Package, path string, dev bool) []string {
	var out []string
	for _, p := range pkgs {
		if p.Path == path && (!dev || p.Dev) {
			out = append(out, p.Name+"@"+p.Version)
		}
	}
	slices.Sort(out)
	return out
}

// TestRealComposer compares installed.json and composer.lock, as the real Composer wrote them,
// with what `composer show` reports: every package, and the dev-only ones.
func TestRealComposer(t *testing.T) {
	dir := composerFixture(t)
	all := composerShow(t, filepath.Join(dir, "show-all.json"))
	prod := composerShow(t, filepath.Join(dir, "show-prod.json"))
	var dev []string
	for _, p := range all {
		if !slices.Contains(prod, p) {
			dev = append(dev, p)
		}
	}
	if len(all) < 3 || len(dev) == 0 {
		t.Fatalf("fixture broken: all %v, dev %v", all, dev)
	}
	pkgs := analyzeTree(t, dir)
	for _, file := range []string{"vendor/composer/installed.json", "composer.lock"} {
		if diff := cmp.Diff(all, nameVersions(pkgs, file, false)); diff != "" {
			t.Errorf("%s: packages mismatch with composer show (-want +got):\n%s", file, diff)
		}
		if diff := cmp.Diff(dev, nameVersions(pkgs, file, true)); diff != "" {
			t.Errorf("%s: dev packages mismatch with composer show --no-dev (-want +got):\n%s", file, diff)
		}
	}
}
