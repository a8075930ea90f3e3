package java

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/inventory/inventorytest"
	"github.com/rampartsec/rampart/internal/testenv"
)

// unzipTruth is the independent truth for a jar: the coordinates of each pom.properties,
// listed with `unzip -Z1` and read with `unzip -p`, as "group:artifact@version".
func unzipTruth(t *testing.T, jar string) []string {
	t.Helper()
	out, err := exec.Command("unzip", "-Z1", jar).Output()
	if err != nil {
		t.Fatalf("unzip -Z1 %s: %v", jar, err)
	}
	pom := regexp.MustCompile(`^META-INF/maven/[^/]+/[^/]+/pom\.properties$`)
	var coords []string
	for _, entry := range strings.Split(string(out), "\n") {
		if !pom.MatchString(entry) {
			continue
		}
		b, err := exec.Command("unzip", "-p", jar, entry).Output()
		if err != nil {
			t.Fatalf("unzip -p %s %s: %v", jar, entry, err)
		}
		kv := map[string]string{}
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok && !strings.HasPrefix(k, "#") {
				kv[k] = v
			}
		}
		coords = append(coords, kv["groupId"]+":"+kv["artifactId"]+"@"+kv["version"])
	}
	slices.Sort(coords)
	return slices.Compact(coords)
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, fmt.Sprintf("%s not installed", tool))
		}
	}
}

// debianJar returns a jar installed by libcommons-lang3-java or libjackson2-core-java.
func debianJar(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("/usr/share/java", name)
	if _, err := os.Stat(p); err != nil {
		testenv.Missing(t, fmt.Sprintf("%s not installed (apt-get install libcommons-lang3-java libjackson2-core-java)", p))
	}
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return resolved
}

func parseFile(t *testing.T, p, rel string) ([]inventory.Package, error) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return Parse(context.Background(), f, info.Size(), rel)
}

func coords(pkgs []inventory.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name+"@"+p.Version)
	}
	slices.Sort(out)
	return out
}

// TestDebianJars compares every Debian jar that carries pom.properties with unzip's reading.
func TestDebianJars(t *testing.T) {
	needTools(t, "unzip")
	debianJar(t, "commons-lang3.jar")
	debianJar(t, "jackson-core.jar")
	jars, err := filepath.Glob("/usr/share/java/*.jar")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, jar := range jars {
		if info, err := os.Lstat(jar); err != nil || !info.Mode().IsRegular() {
			continue
		}
		want := unzipTruth(t, jar)
		if len(want) == 0 {
			continue
		}
		checked++
		rel := strings.TrimPrefix(jar, "/")
		got, err := parseFile(t, jar, rel)
		if err != nil {
			t.Errorf("Parse(%s): %v", jar, err)
			continue
		}
		if diff := cmp.Diff(want, coords(got)); diff != "" {
			t.Errorf("%s (-unzip +got):\n%s", jar, diff)
		}
		for _, p := range got {
			group, artifact, _ := strings.Cut(p.Name, ":")
			if p.Path != rel || p.Type != inventory.TypeJava || p.Ecosystem != "Maven" ||
				p.PURL != "pkg:maven/"+group+"/"+artifact+"@"+p.Version {
				t.Errorf("%s: %+v", jar, p)
			}
		}
	}
	t.Logf("checked %d jars against unzip", checked)
	if checked < 2 {
		t.Errorf("checked %d jars, want at least commons-lang3 and jackson-core", checked)
	}
}

// jarTool runs the JDK's jar tool in dir.
func jarTool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("jar", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("jar %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// builtArchives builds, with the JDK's jar tool, archives that nest real Debian jars.
// It returns the directory holding them.
func builtArchives(t *testing.T) string {
	t.Helper()
	needTools(t, "jar", "unzip")
	lang3 := debianJar(t, "commons-lang3.jar")
	jackson := debianJar(t, "jackson-core.jar")
	work, out := t.TempDir(), t.TempDir()

	// A jar known only by its manifest.
	writeFiles(t, work, map[string]string{
		"mylib/manifest.txt":                "Implementation-Title: mylib\nImplementation-Version: 2.4.1\nImplementation-Vendor-Id: com.example\n",
		"mylib/classes/com/example/Lib.txt": "not a class, but content",
	})
	jarTool(t, filepath.Join(work, "mylib"), "--create", "--file", filepath.Join(out, "mylib.jar"), "--manifest", "manifest.txt", "-C", "classes", ".")

	// A jar known only by its file name.
	writeFiles(t, work, map[string]string{"plain/data/readme.txt": "plain"})
	jarTool(t, filepath.Join(work, "plain"), "--create", "--no-manifest", "--file", filepath.Join(out, "plain-lib-0.9.1.jar"), "-C", "data", ".")

	// A war with real jars and the manifest-only one in WEB-INF/lib.
	war := filepath.Join(work, "war")
	writeFiles(t, war, map[string]string{"WEB-INF/web.xml": "<web-app/>\n", "index.html": "<p>hi</p>\n"})
	copyFile(t, lang3, filepath.Join(war, "WEB-INF/lib/commons-lang3.jar"))
	copyFile(t, jackson, filepath.Join(war, "WEB-INF/lib/jackson-core.jar"))
	copyFile(t, filepath.Join(out, "mylib.jar"), filepath.Join(war, "WEB-INF/lib/mylib.jar"))
	jarTool(t, war, "--create", "--file", filepath.Join(out, "app.war"), ".")

	// An ear holding the war and a library: the war's jars are two levels deep.
	ear := filepath.Join(work, "ear")
	copyFile(t, filepath.Join(out, "app.war"), filepath.Join(ear, "app.war"))
	copyFile(t, filepath.Join(out, "plain-lib-0.9.1.jar"), filepath.Join(ear, "lib/plain-lib-0.9.1.jar"))
	writeFiles(t, ear, map[string]string{"META-INF/application.xml": "<application/>\n"})
	jarTool(t, ear, "--create", "--file", filepath.Join(out, "shop.ear"), ".")

	// A Spring Boot style fat jar with its own pom.properties.
	boot := filepath.Join(work, "boot")
	writeFiles(t, boot, map[string]string{
		"META-INF/maven/com.example/bootapp/pom.properties": "#Generated by Maven\nartifactId=bootapp\ngroupId=com.example\nversion=1.0.0-SNAPSHOT\n",
	})
	copyFile(t, lang3, filepath.Join(boot, "BOOT-INF/lib/commons-lang3-3.12.0.jar"))
	jarTool(t, boot, "--create", "--file", filepath.Join(out, "bootapp.jar"), ".")

	// Nesting deeper than MaxDepth: deep.jar holds level1.jar holds … level4.jar.
	prev := filepath.Join(out, "mylib.jar")
	for i := 4; i >= 1; i-- {
		d := filepath.Join(work, "deep", strings.Repeat("x", i))
		copyFile(t, prev, filepath.Join(d, "inner", filepath.Base(prev)))
		name := filepath.Join(work, "level"+string(rune('0'+i))+"-1.0.jar")
		jarTool(t, d, "--create", "--no-manifest", "--file", name, ".")
		prev = name
	}
	copyFile(t, prev, filepath.Join(out, "deep.jar"))
	return out
}

func TestBuiltArchives(t *testing.T) {
	dir := builtArchives(t)
	lang3 := unzipTruth(t, debianJar(t, "commons-lang3.jar"))
	jackson := unzipTruth(t, debianJar(t, "jackson-core.jar"))
	sorted := func(s ...[]string) []string { out := slices.Concat(s...); slices.Sort(out); return out }
	tests := []struct {
		file    string
		want    []string
		wantErr bool // a nested archive could not be read
	}{
		{file: "mylib.jar", want: []string{"com.example:mylib@2.4.1"}},
		{file: "plain-lib-0.9.1.jar", want: []string{"plain-lib@0.9.1"}},
		{file: "app.war", want: sorted(lang3, jackson, []string{"com.example:mylib@2.4.1"})},
		{file: "shop.ear", want: sorted(lang3, jackson, []string{"com.example:mylib@2.4.1", "plain-lib@0.9.1"})},
		{file: "bootapp.jar", want: sorted(lang3, []string{"com.example:bootapp@1.0.0-SNAPSHOT"})},
		// deep.jar is level1's content: level2..level4 sit at depths 1..3, mylib at 4 is not read.
		{file: "deep.jar", want: []string{"level2@1.0", "level3@1.0", "level4@1.0"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rel := "opt/app/" + tt.file
			got, err := parseFile(t, filepath.Join(dir, tt.file), rel)
			if (err != nil) != tt.wantErr {
				t.Errorf("Parse error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, coords(got)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			for _, p := range got {
				if p.Path != rel {
					t.Errorf("%s: Path = %q, want %q", p.Name, p.Path, rel)
				}
			}
		})
	}
	// Packages in nested archives name the entries that lead to them, as the jar tool laid
	// them out; the outer file's own package has none.
	for file, want := range map[string]map[string]string{
		"shop.ear": {
			"com.example:mylib": "app.war!WEB-INF/lib/mylib.jar",
			"plain-lib":         "lib/plain-lib-0.9.1.jar",
		},
		"bootapp.jar": {"com.example:bootapp": ""},
	} {
		got, _ := parseFile(t, filepath.Join(dir, file), "opt/app/"+file)
		inner := map[string]string{}
		for _, p := range got {
			if _, ok := want[p.Name]; ok {
				inner[p.Name] = p.InnerPath
			}
			if p.Location() != strings.TrimSuffix("opt/app/"+file+"!"+p.InnerPath, "!") {
				t.Errorf("%s: Location() = %q", p.Name, p.Location())
			}
		}
		if diff := cmp.Diff(want, inner); diff != "" {
			t.Errorf("%s: inner paths (-want +got):\n%s", file, diff)
		}
	}

	// The analyzer interface over the same war.
	f, err := os.Open(filepath.Join(dir, "app.war"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Stat()
	a := Analyzer{}
	if !a.Required("srv/app.war", info) || a.Required("srv/app.war.txt", info) {
		t.Fatal("Required does not select .war files only")
	}
	res, err := a.Analyze(context.Background(), &inventory.File{Path: "srv/app.war", Info: info, Content: f, Size: info.Size()})
	if err != nil || res == nil || len(res.Packages) < 3 {
		t.Fatalf("Analyze = %+v, %v", res, err)
	}
}

// zipOf builds a zip in memory with the given entries, in order.
func zipOf(t *testing.T, entries ...[2]string) []byte { return inventorytest.Zip(t, entries...) }

// lyingZip stores content deflated under a header that declares only declared bytes.
func lyingZip(t *testing.T, name string, content []byte, declared uint64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, UncompressedSize64: declared, CompressedSize64: uint64(comp.Len())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(comp.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBadArchives(t *testing.T) {
	pom := "groupId=g\nartifactId=a\nversion=1\n"
	good := zipOf(t, [2]string{"META-INF/maven/g/a/pom.properties", pom})
	bomb := zipOf(t, [2]string{"META-INF/maven/g/a/pom.properties", pom + strings.Repeat("#", 2<<20)})
	tests := []struct {
		name    string
		data    []byte
		wantErr error // nil: any error
		want    []string
	}{
		{name: "not a zip", data: []byte("PK\x03\x04 this is not really a zip file")},
		{name: "truncated", data: good[:len(good)/2]},
		{name: "empty", data: nil},
		{name: "metadata bomb", data: bomb, wantErr: ErrTooLarge},
		{name: "entry longer than declared", data: lyingZip(t, "META-INF/maven/g/a/pom.properties", []byte(pom+strings.Repeat("#", 4096)), 16), wantErr: zip.ErrFormat},
		// A corrupt nested jar loses its own packages only.
		{name: "corrupt nested", data: zipOf(t,
			[2]string{"META-INF/maven/g/a/pom.properties", pom},
			[2]string{"WEB-INF/lib/broken.jar", "PK\x03\x04garbage"}), want: []string{"g:a@1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(context.Background(), bytes.NewReader(tt.data), int64(len(tt.data)), "x.jar")
			if err == nil {
				t.Fatalf("Parse = %v, want an error", got)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Parse error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, coords(got)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAnalyzePartial checks that the analyzer keeps what it read when a nested archive is
// broken, and fails when the file itself is.
func TestAnalyzePartial(t *testing.T) {
	partial := zipOf(t,
		[2]string{"META-INF/maven/g/a/pom.properties", "groupId=g\nartifactId=a\nversion=1\n"},
		[2]string{"WEB-INF/lib/broken.jar", "PK\x03\x04garbage"})
	res, err := Analyzer{}.Analyze(context.Background(), &inventory.File{Path: "srv/app.war", Content: bytes.NewReader(partial), Size: int64(len(partial))})
	if err != nil || res == nil {
		t.Fatalf("Analyze(partly broken) = %v, %v; want packages", res, err)
	}
	if diff := cmp.Diff([]string{"g:a@1"}, coords(res.Packages)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	broken := []byte("PK\x03\x04garbage")
	if res, err := (Analyzer{}).Analyze(context.Background(), &inventory.File{Path: "srv/x.jar", Content: bytes.NewReader(broken), Size: int64(len(broken))}); err == nil {
		t.Errorf("Analyze(broken) = %v, want an error", res)
	}
}

func TestNestedBudget(t *testing.T) {
	inner := zipOf(t, [2]string{"META-INF/maven/g/inner/pom.properties", "groupId=g\nartifactId=inner\nversion=2\n"})
	outer := zipOf(t,
		[2]string{"META-INF/maven/g/outer/pom.properties", "groupId=g\nartifactId=outer\nversion=1\n"},
		[2]string{"lib/a.jar", string(inner)},
		[2]string{"lib/b.jar", string(inner)})
	p := &parser{ctx: context.Background(), budget: int64(len(inner)) + 10, count: MaxNested}
	got, err := p.archive(bytes.NewReader(outer), int64(len(outer)), "outer.jar", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"g:inner@2", "g:outer@1"}, coords(got)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if len(p.errs) != 1 || !errors.Is(p.errs[0], ErrTooLarge) {
		t.Errorf("errors = %v, want one ErrTooLarge for the second jar", p.errs)
	}
}

func TestManifest(t *testing.T) {
	tests := []struct {
		name, manifest, base string
		want                 []string
	}{
		{"title and vendor id", "Manifest-Version: 1.0\r\nImplementation-Title: foo\r\nImplementation-Version: 1.2\r\nImplementation-Vendor-Id: org.foo\r\n\r\nName: x\r\nImplementation-Version: 9\r\n", "foo.jar", []string{"org.foo:foo@1.2"}},
		{"bundle", "Bundle-SymbolicName: org.foo.bar;singleton:=true\nBundle-Version: 3.0.1\n", "x.jar", []string{"org.foo.bar@3.0.1"}},
		{"title with spaces uses bundle", "Implementation-Title: Apache Foo\nImplementation-Version: 1.0\nBundle-SymbolicName: org.apache.foo\nBundle-Version: 1.0.0\n", "x.jar", []string{"org.apache.foo@1.0.0"}},
		{"title with spaces uses file name", "Implementation-Title: Apache Foo\nImplementation-Version: 1.0\n", "foo-core-1.0.jar", []string{"foo-core@1.0"}},
		{"continuation", "Implementation-Title: very-long-artifact-na\n me\nImplementation-Version: 4\n", "x.jar", []string{"very-long-artifact-name@4"}},
		{"no version falls back to file name", "Implementation-Title: foo\n", "foo-7.1.jar", []string{"foo@7.1"}},
		{"nothing", "Manifest-Version: 1.0\n", "tool.jar", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := zipOf(t, [2]string{"META-INF/MANIFEST.MF", tt.manifest})
			got, err := Parse(context.Background(), bytes.NewReader(data), int64(len(data)), "lib/"+tt.base)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, coords(got)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	for base, want := range map[string][2]string{
		"commons-lang3-3.12.0.jar":       {"commons-lang3", "3.12.0"},
		"guava-31.1-jre.jar":             {"guava", "31.1-jre"},
		"spring-core-5.3.20.RELEASE.jar": {"spring-core", "5.3.20.RELEASE"},
		"log4j-1.2-api-2.17.1.jar":       {"log4j-1.2-api", "2.17.1"},
		"jackson-core-2.14.0-rc1.jar":    {"jackson-core", "2.14.0-rc1"},
		"tool.jar":                       {"", ""},
	} {
		n, v, _ := splitFileName(base)
		if n != want[0] || v != want[1] {
			t.Errorf("splitFileName(%q) = %q, %q; want %q, %q", base, n, v, want[0], want[1])
		}
	}
}

// FuzzParse checks that no archive panics the parser. Seeds are small jars in testdata.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.[jew]ar")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, _ := Parse(context.Background(), bytes.NewReader(b), int64(len(b)), "fuzz.jar")
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("package without name or version: %+v", p)
			}
		}
	})
}
