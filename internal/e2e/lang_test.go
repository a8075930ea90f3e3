package e2e

import (
	"archive/zip"
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/testenv"
)

// TestDebianOwnedLanguagePackages checks the Python, Ruby and Java packages that Debian packages
// install (python3-yaml, python3-requests, ruby-rack, libcommons-lang3-java and their
// dependencies): each is found with the name and version its own metadata file gives, and is
// marked as owned by the Debian package that dpkg-query says installed that file.
func TestDebianOwnedLanguagePackages(t *testing.T) {
	env := testenv.Load(t)
	rootfs := env.Fixtures.Rootfs
	rep := scan(t, nil, "dir:"+rootfs)

	owners := dpkgSearch(t, rootfs, "*.dist-info/METADATA", "*.egg-info/PKG-INFO", "*.egg-info", "*/specifications/*.gemspec", "*.jar")
	want := map[inventory.Type][]string{}
	add := func(typ inventory.Type, name, version, p, deb string) {
		want[typ] = append(want[typ], strings.Join([]string{name, version, p, "deb:" + deb}, " "))
	}
	for p, deb := range owners {
		file := filepath.Join(rootfs, p)
		st, err := os.Lstat(file)
		if err != nil || !st.Mode().IsRegular() {
			continue // directories (an egg-info directory) and symbolic links prove nothing
		}
		switch {
		case strings.HasSuffix(p, "/METADATA"), strings.HasSuffix(p, ".egg-info/PKG-INFO"), strings.HasSuffix(p, ".egg-info"):
			h := metadataHeaders(t, file)
			add(inventory.TypePython, h["Name"], h["Version"], p, deb)
		case strings.HasSuffix(p, ".gemspec"):
			// Rubygems names spec files NAME-VERSION.gemspec.
			base := strings.TrimSuffix(path.Base(p), ".gemspec")
			i := strings.LastIndex(base, "-")
			add(inventory.TypeGem, base[:i], base[i+1:], p, deb)
		case strings.HasSuffix(p, ".jar"):
			for _, pp := range jarPomProperties(t, file) {
				add(inventory.TypeJava, pp["groupId"]+":"+pp["artifactId"], pp["version"], p, deb)
			}
		}
	}
	for _, name := range []string{"PyYAML", "requests"} {
		if !slices.ContainsFunc(want[inventory.TypePython], func(l string) bool { return strings.HasPrefix(l, name+" ") }) {
			t.Errorf("the fixture has no Python package %s", name)
		}
	}

	for _, typ := range []inventory.Type{inventory.TypePython, inventory.TypeGem, inventory.TypeJava} {
		t.Run(string(typ), func(t *testing.T) {
			var got []string
			for _, p := range ofType(rep.Packages, typ, nil) {
				got = append(got, strings.Join([]string{p.Name, p.Version, p.Path, p.OwnedBy}, " "))
			}
			slices.Sort(got)
			slices.Sort(want[typ])
			if len(want[typ]) == 0 {
				t.Fatal("the fixture holds no such package: nothing to compare")
			}
			if diff := cmp.Diff(want[typ], got); diff != "" {
				t.Errorf("packages differ from their metadata files and dpkg-query -S (-want +got):\n%s", diff)
			}
		})
	}
}

// dpkgSearch runs dpkg-query -S on the root filesystem and maps each matching path (no leading
// slash) to the package that installed it.
func dpkgSearch(t *testing.T, rootfs string, patterns ...string) map[string]string {
	t.Helper()
	args := append([]string{"--admindir=" + filepath.Join(rootfs, "var/lib/dpkg"), "-S"}, patterns...)
	// dpkg-query exits 1 when one pattern matches nothing; the others are still printed.
	out, _ := exec.Command("dpkg-query", args...).Output()
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		pkgs, p, ok := strings.Cut(sc.Text(), ": ")
		if !ok || strings.Contains(pkgs, ",") || strings.HasPrefix(pkgs, "diversion ") {
			continue // a path shared by several packages has no single owner
		}
		pkg, _, _ := strings.Cut(pkgs, ":") // drop ":amd64"
		m[strings.TrimPrefix(p, "/")] = pkg
	}
	if len(m) == 0 {
		t.Fatalf("dpkg-query -S %v found nothing", patterns)
	}
	return m
}

// metadataHeaders reads the RFC 822 header block of a Python METADATA or PKG-INFO file.
func metadataHeaders(t *testing.T, file string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, " ") {
			if _, dup := h[k]; !dup {
				h[k] = strings.TrimSpace(v)
			}
		}
	}
	if h["Name"] == "" || h["Version"] == "" {
		t.Fatalf("%s has no Name or Version header", file)
	}
	return h
}

// jarPomProperties returns the pom.properties files that Maven put into a jar.
func jarPomProperties(t *testing.T, file string) []map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatalf("open jar %s: %v", file, err)
	}
	defer zr.Close()
	var out []map[string]string
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "META-INF/maven/") || path.Base(f.Name) != "pom.properties" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		props := map[string]string{}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
				props[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		out = append(out, props)
	}
	return out
}
