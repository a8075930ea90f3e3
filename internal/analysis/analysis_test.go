package analysis

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
)

// lineAnalyzer treats every "*.pkg" file as a package database of "name version" lines and
// reports every "*.secret" file as a finding: enough to observe routing, merging and whiteouts.
type lineAnalyzer struct{}

func (lineAnalyzer) Name() string { return "test-lines" }
func (lineAnalyzer) Version() int { return 1 }
func (lineAnalyzer) Required(p string, _ fs.FileInfo) bool {
	return strings.HasSuffix(p, ".pkg") || strings.HasSuffix(p, ".secret")
}
func (lineAnalyzer) Analyze(_ context.Context, f *inventory.File) (*inventory.Result, error) {
	b, err := io.ReadAll(f.Reader())
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(f.Path, ".secret") {
		return &inventory.Result{Findings: []finding.Finding{{Kind: finding.KindSecret, ID: "test", Location: finding.Location{Path: f.Path}}}}, nil
	}
	if bytes.HasPrefix(b, []byte("ERR")) {
		return nil, errors.New("unreadable test database")
	}
	var res inventory.Result
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		name, ver, _ := strings.Cut(line, " ")
		res.Packages = append(res.Packages, inventory.Package{Type: inventory.TypeNpm, Name: name, Version: ver})
	}
	return &res, nil
}

type entry2 struct {
	name, body string
	typ        byte
}

func tarBytes(t testing.TB, entries ...entry2) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.typ}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
			h.Linkname = e.body
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func diffID(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func walk(t *testing.T, layer []byte) *LayerResult {
	t.Helper()
	a := New([]inventory.Analyzer{lineAnalyzer{}}, Config{})
	lr, err := a.walkLayer(context.Background(), bytes.NewReader(layer), diffID(layer), nil)
	if err != nil {
		t.Fatalf("walkLayer: %v", err)
	}
	return lr
}

type pkgAt struct {
	Name, Version, Path string
	Layer               int
}

func pkgs(inv inventory.Inventory) []pkgAt {
	var out []pkgAt
	for _, p := range inv.Packages {
		out = append(out, pkgAt{p.Name, p.Version, p.Path, p.LayerIndex})
	}
	return out
}

func TestMergeWhiteoutsAndOrigin(t *testing.T) {
	base := tarBytes(t,
		entry2{name: "app/", typ: tar.TypeDir},
		entry2{name: "app/a.pkg", body: "alpha 1\nbeta 2"},
		entry2{name: "opt/x/b.pkg", body: "gamma 1"},
		entry2{name: "opt/y/c.pkg", body: "delta 1"},
		entry2{name: "keys/id.secret", body: "k"},
	)
	// Layer 1 rewrites a.pkg (adds a package), deletes opt/x (directory whiteout) and the secret.
	upd := tarBytes(t,
		entry2{name: "app/a.pkg", body: "alpha 1\nbeta 2\nzeta 9"},
		entry2{name: "opt/.wh.x"},
		entry2{name: "keys/.wh.id.secret"},
	)
	// Layer 2 makes opt opaque and writes a new file there: opt/y disappears.
	opq := tarBytes(t,
		entry2{name: "opt/.wh..wh..opq"},
		entry2{name: "opt/z/d.pkg", body: "eps 3"},
	)
	layers := []*LayerResult{walk(t, base), walk(t, upd), walk(t, opq)}
	for i, lr := range layers {
		lr.DiffID = "layer" + string(rune('0'+i))
	}
	inv, findings := merge(layers)
	want := []pkgAt{
		{"alpha", "1", "app/a.pkg", 0},
		{"beta", "2", "app/a.pkg", 0},
		{"eps", "3", "opt/z/d.pkg", 2},
		{"zeta", "9", "app/a.pkg", 1},
	}
	if diff := cmp.Diff(want, pkgs(inv)); diff != "" {
		t.Errorf("packages mismatch (-want +got):\n%s", diff)
	}
	if len(findings) != 1 || findings[0].RemovedInLayer != "layer1" || findings[0].Location.Path != "keys/id.secret" || findings[0].Location.Layer != "layer0" {
		t.Errorf("findings = %+v, want the deleted secret marked removed in layer1", findings)
	}
}

func TestWhiteoutDoesNotHideSameLayer(t *testing.T) {
	// A whiteout applies to lower layers only; a file the same layer writes stays.
	l0 := tarBytes(t, entry2{name: "d/a.pkg", body: "old 1"})
	l1 := tarBytes(t, entry2{name: "d/.wh..wh..opq"}, entry2{name: "d/a.pkg", body: "new 2"})
	inv, _ := merge([]*LayerResult{walk(t, l0), walk(t, l1)})
	if diff := cmp.Diff([]pkgAt{{"new", "2", "d/a.pkg", 1}}, pkgs(inv)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWalkLayerBadInput(t *testing.T) {
	good := tarBytes(t, entry2{name: "a.pkg", body: "x 1"})
	tests := []struct {
		name    string
		layer   []byte
		diffID  string
		wantErr string
	}{
		{"truncated", good[:700], diffID(good), "hashes to sha256:"},
		{"truncated inside a header", good[:300], diffID(good), "corrupt layer"},
		{"not a tar", []byte(strings.Repeat("garbage!", 200)), "", "corrupt layer"},
		{"diffID mismatch", good, "sha256:" + strings.Repeat("0", 64), "hashes to sha256:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New([]inventory.Analyzer{lineAnalyzer{}}, Config{})
			_, err := a.walkLayer(context.Background(), bytes.NewReader(tt.layer), tt.diffID, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrCorruptLayer) {
				t.Fatalf("err = %v, want ErrCorruptLayer containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestWalkLayerPathTraversalIsClamped(t *testing.T) {
	lr := walk(t, tarBytes(t, entry2{name: "../../../etc/evil.pkg", body: "evil 1"}, entry2{name: "/abs/x.pkg", body: "abs 1"}))
	if _, ok := lr.Files["etc/evil.pkg"]; !ok {
		t.Errorf("traversal entry not clamped to the root: %v", lr.Files)
	}
	if _, ok := lr.Files["abs/x.pkg"]; !ok {
		t.Errorf("absolute entry not made relative: %v", lr.Files)
	}
	if len(lr.Warnings) != 1 || !strings.Contains(lr.Warnings[0], "../../../etc/evil.pkg") {
		t.Errorf("warnings = %q, want one naming the escaping entry", lr.Warnings)
	}
}

func TestAnalyzerErrorIsAWarning(t *testing.T) {
	lr := walk(t, tarBytes(t, entry2{name: "bad.pkg", body: "ERR"}, entry2{name: "ok.pkg", body: "fine 1"}))
	if len(lr.Warnings) != 1 || !strings.Contains(lr.Warnings[0], "bad.pkg") {
		t.Errorf("warnings = %q, want one naming bad.pkg", lr.Warnings)
	}
	if _, ok := lr.Files["ok.pkg"]; !ok {
		t.Error("the readable file was not analyzed")
	}
}

func TestLargeFileGoesThroughTempFile(t *testing.T) {
	body := "big 1\n" + strings.Repeat("#", 5000)
	layer := tarBytes(t, entry2{name: "big.pkg", body: body})
	a := New([]inventory.Analyzer{lineAnalyzer{}}, Config{MemFileLimit: 100, TempDir: t.TempDir()})
	lr, err := a.walkLayer(context.Background(), bytes.NewReader(layer), diffID(layer), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := lr.Files["big.pkg"]; r == nil || len(r.Packages) == 0 || r.Packages[0].Name != "big" {
		t.Fatalf("big.pkg not analyzed from its temp file: %+v", lr.Files)
	}
	left, _ := os.ReadDir(a.cfg.TempDir)
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestCacheRoundTrip(t *testing.T) {
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key := Key("sha256:abc", []inventory.Analyzer{lineAnalyzer{}})
	if _, err := c.Get(key); !errors.Is(err, ErrCacheMiss) {
		t.Fatalf("empty cache Get = %v, want ErrCacheMiss", err)
	}
	want := walk(t, tarBytes(t, entry2{name: "a.pkg", body: "x 1"}))
	if err := c.Put(key, want); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// A damaged entry is a miss, not an error or a panic.
	os.WriteFile(filepath.Join(c.dir, key+".gob.gz"), []byte("junk"), 0o644)
	if _, err := c.Get(key); !errors.Is(err, ErrCacheMiss) {
		t.Errorf("damaged entry Get = %v, want ErrCacheMiss", err)
	}
	if Key("sha256:abc", []inventory.Analyzer{lineAnalyzer{}}) == Key("sha256:abd", []inventory.Analyzer{lineAnalyzer{}}) {
		t.Error("different diffIDs share a key")
	}
}

func TestWalkDirSymlinkLoop(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "a/b"), 0o755)
	os.Symlink("..", filepath.Join(root, "a/b/loop"))
	os.Symlink("self", filepath.Join(root, "self"))
	os.WriteFile(filepath.Join(root, "a/b/p.pkg"), []byte("pkg 1"), 0o644)
	a := New([]inventory.Analyzer{lineAnalyzer{}}, Config{})
	lr, err := a.walkDir(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(lr.Files) != 1 || lr.Files["a/b/p.pkg"] == nil {
		t.Errorf("files = %v, want only a/b/p.pkg", lr.Files)
	}
}

func FuzzWalkLayer(f *testing.F) {
	f.Add(tarBytes(f, entry2{name: "a.pkg", body: "x 1"}, entry2{name: "d/.wh..wh..opq"}, entry2{name: "d/.wh.e"}))
	f.Add(tarBytes(f, entry2{name: "store/x", body: "x 1"}, entry2{name: "a.pkg", body: "store/x", typ: tar.TypeLink},
		entry2{name: "b.pkg", body: "../../store/x", typ: tar.TypeLink}))
	f.Add([]byte{})
	// A path written twice: only the last entry counts.
	f.Add(tarBytes(f, entry2{name: "db.pkg", body: "old 1\ngone 2"}, entry2{name: "db.pkg", body: "old 1"}))
	f.Add(tarBytes(f, entry2{name: "store/x", body: "one 1"}, entry2{name: "store/x", body: "two 2"},
		entry2{name: "a.pkg", body: "store/x", typ: tar.TypeLink}, entry2{name: "a.pkg", body: "x", typ: tar.TypeSymlink}))
	a := New([]inventory.Analyzer{lineAnalyzer{}}, Config{MemFileLimit: 1 << 10, TempDir: f.TempDir()})
	f.Fuzz(func(t *testing.T, b []byte) {
		lr, links, err := a.walk(context.Background(), bytes.NewReader(b), "", nil)
		if err != nil {
			return
		}
		// The second pass for hard links reads the same bytes.
		if len(links) > 0 {
			if err := a.walkLinks(context.Background(), bytes.NewReader(b), "", links, lr); err != nil {
				t.Fatalf("second read of a layer the first read accepted: %v", err)
			}
		}
		checkLastEntries(t, b, lr)
		merge([]*LayerResult{lr, lr})
	})
}

// checkLastEntries checks lr against the filesystem the layer extracts to: every package file
// is what the last entry of its path holds, read directly or through a hard link to an earlier
// entry.
func checkLastEntries(t *testing.T, layer []byte, lr *LayerResult) {
	t.Helper()
	type file struct {
		body    []byte
		regular bool
	}
	last := map[string]file{}
	tr := tar.NewReader(bytes.NewReader(layer))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		p, _ := cleanPath(h.Name)
		if p == "" || strings.HasPrefix(path.Base(p), whiteoutPrefix) {
			continue
		}
		switch {
		case h.Typeflag == tar.TypeReg && h.Size <= 1<<20:
			b, err := io.ReadAll(tr)
			if err != nil {
				return // the walk read what this reader cannot: nothing to compare
			}
			last[p] = file{body: b, regular: true}
		case h.Typeflag == tar.TypeLink:
			target, _ := cleanPath(h.Linkname)
			f, ok := last[target]
			if !ok || !f.regular || strings.HasSuffix(target, ".pkg") || strings.HasSuffix(target, ".secret") {
				// Links to content the analyzer read under its own path are not read again.
				delete(last, p)
				continue
			}
			last[p] = f
		case h.Typeflag == tar.TypeReg, h.Typeflag == tar.TypeGNUSparse, h.Typeflag == '7':
			return // too large to compare, or sparse: leave such inputs to the other checks
		default:
			delete(last, p)
		}
	}
	for p, got := range lr.Files {
		f, ok := last[p]
		if !ok {
			t.Fatalf("%s: a result, but the last entry of the path is no file the analyzer reads", p)
		}
		want, err := lineAnalyzer{}.Analyze(context.Background(), &inventory.File{Path: p, Content: bytes.NewReader(f.body), Size: int64(len(f.body))})
		if err != nil {
			t.Fatalf("%s: a result, but its last entry does not parse: %v", p, err)
		}
		if diff := cmp.Diff(want.Packages, got.Packages); diff != "" {
			t.Fatalf("%s: packages are not those of the last entry (-want +got):\n%s", p, diff)
		}
	}
	for p := range last {
		if strings.HasSuffix(p, ".pkg") && lr.Files[p] == nil && !slices.ContainsFunc(lr.Warnings, func(w string) bool { return strings.Contains(w, p) }) {
			t.Fatalf("%s: the last entry is a package file, but no result and no warning", p)
		}
	}
}

func TestOwnerOfStopsAtTheMetadataDirectory(t *testing.T) {
	owners := map[string]string{
		"usr/lib/python3/dist-packages":                      "deb:python3",
		"usr/lib/python3/dist-packages/yaml":                 "deb:python3-yaml",
		"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info": "deb:python3-yaml",
	}
	tests := map[string]string{
		"usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA":    "deb:python3-yaml",
		"usr/lib/python3/dist-packages/requests-2.31.dist-info/METADATA": "", // pip-installed next to Debian's
	}
	for p, want := range tests {
		if got := ownerOf(p, owners); got != want {
			t.Errorf("ownerOf(%s) = %q, want %q", p, got, want)
		}
	}
}

// sparseLayer returns a layer holding name as a PAX (GNU 1.0) sparse file whose logical size is
// size bytes but whose stream is one block: the shape of a 10 GB sparse file in a real layer.
func sparseLayer(t *testing.T, name string, size int64) []byte {
	t.Helper()
	rec := func(k, v string) string {
		s := " " + k + "=" + v + "\n"
		n := len(s)
		for len(fmt.Sprint(n))+len(s) != n {
			n = len(fmt.Sprint(n)) + len(s)
		}
		return fmt.Sprint(n) + s
	}
	pax := rec("GNU.sparse.major", "1") + rec("GNU.sparse.minor", "0") + rec("GNU.sparse.name", name) +
		rec("GNU.sparse.realsize", fmt.Sprint(size))
	body := make([]byte, 512)
	copy(body, fmt.Sprintf("1\n%d\n1\n", size-1))
	body = append(body, 'x')

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	// archive/tar refuses to write PAX headers by hand, so write it as a file and retype it.
	tw.WriteHeader(&tar.Header{Name: "PaxHeaders/" + name, Size: int64(len(pax)), Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR})
	tw.Write([]byte(pax))
	tw.WriteHeader(&tar.Header{Name: "GNUSparseFile.0/" + name, Size: int64(len(body)), Mode: 0o755, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR})
	tw.Write(body)
	tw.Close()
	b := buf.Bytes()
	b[156] = tar.TypeXHeader
	var sum int64
	copy(b[148:156], "        ")
	for _, c := range b[:512] {
		sum += int64(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func TestHugeSparseFileIsSkippedNotRead(t *testing.T) {
	layer := sparseLayer(t, "opt/huge.pkg", 10<<30)
	tr := tar.NewReader(bytes.NewReader(layer))
	h, err := tr.Next()
	if err != nil || h.Size != 10<<30 || h.Name != "opt/huge.pkg" {
		t.Fatalf("fixture is not a 10 GiB sparse entry: %+v, %v", h, err)
	}
	a := New([]inventory.Analyzer{lineAnalyzer{}}, Config{TempDir: t.TempDir()})
	lr, err := a.walkLayer(context.Background(), bytes.NewReader(layer), diffID(layer), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(lr.Warnings) != 1 || !strings.Contains(lr.Warnings[0], "opt/huge.pkg") || !strings.Contains(lr.Warnings[0], "not analyzed") {
		t.Errorf("warnings = %q, want one naming opt/huge.pkg as not analyzed", lr.Warnings)
	}
}
