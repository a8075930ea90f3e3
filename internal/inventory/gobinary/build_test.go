package gobinary

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The probe program: a module with a real dependency from the proxy (x/text, of which only
// language is imported), a module replaced by another version (x/sync v0.1.0 => v0.2.0) and a
// module replaced by a local directory.
var probeFiles = map[string]string{
	"go.mod": `module example.com/rampartprobe

go 1.20

require (
	example.com/localdep v0.0.0
	golang.org/x/sync v0.1.0
	golang.org/x/text v0.3.5
)

replace golang.org/x/sync v0.1.0 => golang.org/x/sync v0.2.0

replace example.com/localdep => ./localdep
`,
	"go.sum": `golang.org/x/sync v0.2.0 h1:PUR+T4wwASmuSTYdKjYHI5TD22Wy5ogLU5qZCOLxBrI=
golang.org/x/sync v0.2.0/go.mod h1:RxMgew5VJxzue5/jJTE5uejpjVlOe/izrB70Jof72aM=
golang.org/x/text v0.3.5 h1:i6eZZ+zk0SOf0xgBpEpPD18qWcJda6q1sxt3S0kzyUQ=
golang.org/x/text v0.3.5/go.mod h1:5Zoc/QRtKVWzQhOtBMvqHzDpF6irO9z98xDceosuGiQ=
golang.org/x/tools v0.0.0-20180917221912-90fa682c2a6e/go.mod h1:n7NCudcB/nEzxVGmLbDWY5pfWTLqBcC2KZ6jyYvM4mQ=
`,
	"main.go": `package main

import (
	"fmt"
	"os"

	"example.com/localdep"
	"golang.org/x/sync/errgroup"
	"golang.org/x/text/language"
)

func main() {
	var g errgroup.Group
	g.Go(func() error {
		t, err := language.Parse(os.Args[len(os.Args)-1])
		fmt.Println(t, err, localdep.Greeting())
		return err
	})
	_ = g.Wait()
}
`,
	"localdep/go.mod": "module example.com/localdep\n\ngo 1.20\n",
	"localdep/localdep.go": `package localdep

// Greeting is called from the probe's main package.
//
//go:noinline
func Greeting() string { return "hello" }
`,
}

// variant is one way of building the probe.
type variant struct {
	name      string
	toolchain string // GOTOOLCHAIN; "local" is the go running the test
	goos      string
	goarch    string
	strip     bool
	// oldTable is set for toolchains before Go 1.16, whose pclntab has no function name
	// table: inlined functions cannot be listed.
	oldTable bool
}

var variants = []variant{
	{name: "current", toolchain: "local"},
	{name: "current-stripped", toolchain: "local", strip: true},
	{name: "go1.20.14", toolchain: "go1.20.14"},
	{name: "go1.15.15", toolchain: "go1.15.15", oldTable: true},
	{name: "windows-stripped", toolchain: "local", goos: "windows", goarch: "amd64", strip: true},
	{name: "darwin-stripped", toolchain: "local", goos: "darwin", goarch: "arm64", strip: true},
}

var buildMu sync.Mutex

// probe returns the path of the probe built as v, building it on first use. Binaries are kept
// under $RAMPART_TEST_CACHE (or the user cache directory's rampart-test), keyed by the source,
// the variant and the local toolchain, so that reruns skip the build and the go1.20.14 download.
func probe(t *testing.T, v variant) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds Go binaries with modules from the proxy")
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	h := sha256.New()
	names := make([]string, 0, len(probeFiles))
	for n := range probeFiles {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		h.Write([]byte(n + "\x00" + probeFiles[n] + "\x00"))
	}
	h.Write([]byte(runtime.Version()))
	key := hex.EncodeToString(h.Sum(nil))[:16]
	// The suite's cache directory when make sets one, else the user's.
	cache := os.Getenv("RAMPART_TEST_CACHE")
	if cache == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			c = os.TempDir()
		}
		cache = filepath.Join(c, "rampart-test")
	}
	dir := filepath.Join(cache, "gobinary", key)
	out := filepath.Join(dir, v.name)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	src := t.TempDir()
	for n, c := range probeFiles {
		p := filepath.Join(src, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, v.name+".tmp")
	args := []string{"build", "-trimpath", "-o", tmp}
	if v.strip {
		args = append(args, "-ldflags=-s -w")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+v.toolchain, "GOWORK=off", "CGO_ENABLED=0", "GOFLAGS=-mod=mod") // the source sits outside any VCS checkout
	if v.goos != "" {
		cmd.Env = append(cmd.Env, "GOOS="+v.goos, "GOARCH="+v.goarch)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	return out
}
