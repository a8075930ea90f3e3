package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The hostile inputs of these tests are built at test time from a small random image: OCI
// layouts, OCI archives and docker-save archives, then edited the way an attacker (or a broken
// tool) would.

func smallImage(t testing.TB) v1.Image {
	t.Helper()
	img, err := random.Image(256, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// writeLayout writes img as an OCI layout in a new directory and returns it.
func writeLayout(t testing.TB, img v1.Image) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

func blobFile(dir string, h v1.Hash) string {
	return filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
}

// layoutManifest returns the manifest of the one image of the layout at dir.
func layoutManifest(t testing.TB, dir string) (v1.Descriptor, *v1.Manifest) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(b))
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("index.json: %v, %d manifests", err, len(im.Manifests))
	}
	d := im.Manifests[0]
	b, err = os.ReadFile(blobFile(dir, d.Digest))
	if err != nil {
		t.Fatal(err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return d, m
}

// testEntry is one entry of a tar the tests write.
type testEntry struct {
	name string
	body []byte
}

// dirEntries lists the regular files below dir as tar entries, in a fixed order.
func dirEntries(t testing.TB, dir string) []testEntry {
	t.Helper()
	var out []testEntry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, testEntry{filepath.ToSlash(rel), b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tarEntries reads the regular files of the tar at p.
func tarEntries(t testing.TB, p string) []testEntry {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []testEntry
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, testEntry{h.Name, b})
	}
}

// tarBytes writes entries as a tar, with raw (whole 512-byte blocks) before the end marker.
func tarBytes(t testing.TB, entries []testEntry, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.body)
	}
	tw.Flush()
	buf.Write(raw)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeTar(t testing.TB, p string, entries []testEntry, raw []byte) string {
	t.Helper()
	if err := os.WriteFile(p, tarBytes(t, entries, raw), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// dockerArchive writes img as a docker-save archive (go-containerregistry's flavour: config
// "sha256:HEX", layers "HEX.tar.gz").
func dockerArchive(t testing.TB, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "docker.tar")
	tag, _ := name.NewTag("test/app:1")
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// dockerSaveEntries lays img out as `docker save` (Docker 25 and later) does: config and
// uncompressed layers under blobs/sha256/, named by their digests, listed by manifest.json.
func dockerSaveEntries(t testing.TB, img v1.Image) []testEntry {
	t.Helper()
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfgName, _ := img.ConfigName()
	entries := []testEntry{{"blobs/sha256/" + cfgName.Hex, cfg}}
	ls, _ := img.Layers()
	var layers []string
	for _, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		d, _ := l.DiffID()
		entries = append(entries, testEntry{"blobs/sha256/" + d.Hex, b})
		layers = append(layers, "blobs/sha256/"+d.Hex)
	}
	m, _ := json.Marshal([]map[string]any{{"Config": "blobs/sha256/" + cfgName.Hex, "RepoTags": []string{"test/app:1"}, "Layers": layers}})
	return append(entries, testEntry{"manifest.json", m})
}

// openAndRead opens ref and reads every layer to its end, as a scan does.
func openAndRead(t testing.TB, ctx context.Context, ref Ref, opts ...Option) (*Artifact, error) {
	t.Helper()
	art, err := Open(ctx, ref, opts...)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { art.Close() })
	for _, l := range art.Layers {
		rc, err := l.Open()
		if err != nil {
			return art, err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return art, err
		}
	}
	return art, nil
}

// within runs f and fails the test if it has not returned after d: the bugs these tests pin
// down are hangs.
func within[T any](t *testing.T, d time.Duration, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(d):
		t.Fatalf("still blocked after %s", d)
	}
	var zero T
	return zero
}

// wantInvalid checks that err wraps ErrInvalid, is one line and mentions each of words.
func wantInvalid(t *testing.T, err error, words ...string) {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q is not one line", err)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

func mkfifo(t *testing.T, p string) string {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// A reader still blocked (before the fix) is released when a writer comes and goes.
	t.Cleanup(func() {
		if f, err := os.OpenFile(p, os.O_RDWR, 0); err == nil {
			f.Close()
		}
	})
	return p
}

func TestNonRegularFilesRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := mkfifo(t, filepath.Join(dir, "f.tar"))

	// A layout whose index.json is a named pipe, and one whose config blob is.
	pipeIndex := writeLayout(t, smallImage(t))
	os.Remove(filepath.Join(pipeIndex, "index.json"))
	mkfifo(t, filepath.Join(pipeIndex, "index.json"))
	pipeBlob := writeLayout(t, smallImage(t))
	_, m := layoutManifest(t, pipeBlob)
	os.Remove(blobFile(pipeBlob, m.Config.Digest))
	mkfifo(t, blobFile(pipeBlob, m.Config.Digest))

	for _, tt := range []struct {
		ref   Ref
		words []string
	}{
		{Ref{Source: SourceDockerArchive, Name: fifo}, []string{fifo, "named pipe", "docker-archive:-"}},
		{Ref{Source: SourceOCIArchive, Name: fifo}, []string{fifo, "named pipe"}},
		{Ref{Source: SourceDockerArchive, Name: "/dev/null"}, []string{"/dev/null", "device"}},
		{Ref{Source: SourceOCILayout, Name: pipeIndex}, []string{"index.json", "named pipe"}},
		{Ref{Source: SourceOCILayout, Name: pipeBlob}, []string{m.Config.Digest.Hex, "named pipe"}},
	} {
		t.Run(tt.ref.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := within(t, 10*time.Second, func() error { _, err := openAndRead(t, ctx, tt.ref); return err })
			wantInvalid(t, err, tt.words...)
		})
	}

	// A plain path: ParseRef must not block peeking into it, and Open refuses it.
	ref := within(t, 10*time.Second, func() Ref { r, _ := ParseRef(fifo, ""); return r })
	if _, err := Open(context.Background(), ref); !errors.Is(err, ErrInvalid) {
		t.Errorf("plain FIFO path: err = %v, want ErrInvalid", err)
	}
	// Nor may --ca-cert.
	err := within(t, 10*time.Second, func() error { _, err := RootPool(fifo); return err })
	if err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("RootPool(FIFO) err = %v, want a refusal naming the pipe", err)
	}
}

func TestLayerReadsHonourContext(t *testing.T) {
	img := smallImage(t)
	for _, ref := range []Ref{
		{Source: SourceDockerArchive, Name: dockerArchive(t, img)},
		{Source: SourceOCILayout, Name: writeLayout(t, img)},
	} {
		t.Run(string(ref.Source), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			art, err := Open(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			defer art.Close()
			cancel()
			rc, err := art.Layers[0].Open()
			if err == nil {
				_, err = io.Copy(io.Discard, rc)
				rc.Close()
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("read after cancel: err = %v, want context.Canceled", err)
			}
		})
	}
}

// TestOCIArchiveReadInPlace: nothing is extracted to the temporary directory.
func TestOCIArchiveReadInPlace(t *testing.T) {
	img := smallImage(t)
	archive := writeTar(t, filepath.Join(t.TempDir(), "oci.tar"), dirEntries(t, writeLayout(t, img)), nil)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	art, err := openAndRead(t, context.Background(), Ref{Source: SourceOCIArchive, Name: archive})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if art.Digest != want.String() || len(art.Layers) != 2 {
		t.Errorf("digest %s, %d layers; want %s, 2", art.Digest, len(art.Layers), want)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("the archive was extracted: %s holds %v", tmp, ents)
	}
}

// paxBlock is a PAX extended header ('x') block followed by its records, padded.
func paxBlock(records [][2]string) []byte {
	var body strings.Builder
	for _, r := range records {
		s := " " + r[0] + "=" + r[1] + "\n"
		n := len(s) + 1 // a record's length counts its own digits
		for len(strconv.Itoa(n))+len(s) != n {
			n++
		}
		body.WriteString(strconv.Itoa(n) + s)
	}
	return append(ustarBlock("PaxHeaders/x", 'x', int64(body.Len())), pad([]byte(body.String()))...)
}

// ustarBlock is one ustar header block.
func ustarBlock(name string, typ byte, size int64) []byte {
	b := make([]byte, 512)
	copy(b, name)
	copy(b[100:], "0000644\x00")
	copy(b[108:], "0000000\x00")
	copy(b[116:], "0000000\x00")
	copy(b[124:], fmt.Sprintf("%011o\x00", size))
	copy(b[136:], "00000000000\x00")
	b[156] = typ
	copy(b[257:], "ustar\x0000")
	copy(b[148:], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func pad(b []byte) []byte {
	if r := len(b) % 512; r != 0 {
		b = append(b, make([]byte, 512-r)...)
	}
	return b
}

// sparseEntry is a PAX 1.0 sparse file of realSize bytes, nearly all hole: a few hundred bytes
// in the archive.
func sparseEntry(name string, realSize int64) []byte {
	data := pad([]byte("1\n0\n4\n")) // one fragment: 4 bytes at offset 0
	data = append(data, pad([]byte("data"))...)
	out := paxBlock([][2]string{{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"},
		{"GNU.sparse.name", name}, {"GNU.sparse.realsize", fmt.Sprint(realSize)}})
	out = append(out, ustarBlock("GNUSparseFile.0/x", '0', 512+4)...)
	return append(out, data...)
}

func TestSparseEntryRefused(t *testing.T) {
	// 64 MiB rather than 10 GiB, so that the test itself stays harmless where the bug is present.
	raw := sparseEntry("blobs/sha256/"+strings.Repeat("0", 64), 64<<20)
	// The sparse header itself must be what Go's tar reader expects.
	tr := tar.NewReader(bytes.NewReader(append(raw, make([]byte, 1024)...)))
	if h, err := tr.Next(); err != nil || h.Size != 64<<20 {
		t.Fatalf("sparse entry reads as %+v, %v", h, err)
	}
	for src, entries := range map[Source][]testEntry{
		SourceOCIArchive:    dirEntries(t, writeLayout(t, smallImage(t))),
		SourceDockerArchive: tarEntries(t, dockerArchive(t, smallImage(t))),
	} {
		t.Run(string(src), func(t *testing.T) {
			archive := writeTar(t, filepath.Join(t.TempDir(), "sparse.tar"), entries, raw)
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			_, err := openAndRead(t, context.Background(), Ref{Source: src, Name: archive})
			wantInvalid(t, err, archive, "sparse")
		})
	}
}

func TestDuplicateEntriesRefused(t *testing.T) {
	img := smallImage(t)
	docker := tarEntries(t, dockerArchive(t, img))
	oci := dirEntries(t, writeLayout(t, img))
	other := tarEntries(t, dockerArchive(t, smallImage(t)))
	find := func(es []testEntry, name string) testEntry {
		for _, e := range es {
			if e.name == name {
				return e
			}
		}
		t.Fatalf("no %s", name)
		return testEntry{}
	}
	_, m := layoutManifest(t, writeLayout(t, img))
	layerBlob := "blobs/sha256/" + m.Layers[0].Digest.Hex
	for _, tt := range []struct {
		name    string
		src     Source
		entries []testEntry
		word    string
	}{
		// The second manifest.json names another image whose files are in the archive too: tar -x
		// keeps that one.
		{"manifest.json twice", SourceDockerArchive, append(slices.Clone(docker), other...), "manifest.json"},
		{"./manifest.json", SourceDockerArchive, append(slices.Clone(docker), testEntry{"./manifest.json", find(other, "manifest.json").body}), "manifest.json"},
		{"index.json twice", SourceOCIArchive, append(slices.Clone(oci), testEntry{"index.json", []byte(`{"schemaVersion":2,"manifests":[]}`)}), "index.json"},
		{"oci-layout twice", SourceOCIArchive, append(slices.Clone(oci), testEntry{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)}), "oci-layout"},
		{"blob twice", SourceOCIArchive, append(slices.Clone(oci), testEntry{layerBlob, []byte("other")}), layerBlob},
		{"blob twice, spelt another way", SourceOCIArchive, append(slices.Clone(oci), testEntry{"blobs//sha256/" + m.Layers[0].Digest.Hex, find(oci, layerBlob).body}), layerBlob},
	} {
		t.Run(tt.name, func(t *testing.T) {
			archive := writeTar(t, filepath.Join(t.TempDir(), "dup.tar"), tt.entries, nil)
			_, err := openAndRead(t, context.Background(), Ref{Source: tt.src, Name: archive})
			wantInvalid(t, err, archive, tt.word, "twice")
		})
	}
}

// recompress gunzips b and gzips it again at another level: the same layer, other bytes.
func recompress(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.NoCompression)
	zw.Write(plain)
	zw.Close()
	if bytes.Equal(out.Bytes(), b) {
		t.Fatal("recompressing changed nothing")
	}
	return out.Bytes()
}

func TestBlobsMustMatchDigests(t *testing.T) {
	img := smallImage(t)
	_, m := layoutManifest(t, writeLayout(t, img))
	// Each edit rewrites one blob of a layout in place, under its original name.
	edits := []struct {
		name  string
		blob  func(d v1.Descriptor) v1.Hash
		edit  func([]byte) []byte
		words []string
	}{
		{"layer recompressed", func(v1.Descriptor) v1.Hash { return m.Layers[1].Digest }, func(b []byte) []byte { return recompress(t, b) }, []string{m.Layers[1].Digest.String()}},
		{"config with an extra byte", func(v1.Descriptor) v1.Hash { return m.Config.Digest }, func(b []byte) []byte { return append(b, '\n') }, []string{m.Config.Digest.String()}},
		{"manifest edited", func(d v1.Descriptor) v1.Hash { return d.Digest }, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"schemaVersion":2`), []byte(`"schemaVersion":2,"annotations":{"x":"y"}`), 1)
		}, nil},
		{"layer truncated", func(v1.Descriptor) v1.Hash { return m.Layers[0].Digest }, func(b []byte) []byte { return b[:len(b)-1] }, []string{m.Layers[0].Digest.String()}},
		// Same size, other content: only the digest can tell.
		{"config with a digit changed", func(v1.Descriptor) v1.Hash { return m.Config.Digest }, func(b []byte) []byte {
			b = slices.Clone(b)
			i := bytes.Index(b, []byte(`"sha256:`)) + len(`"sha256:`)
			b[i] = "10"[b[i]&1]
			return b
		}, []string{m.Config.Digest.String(), "digest"}},
	}
	for _, e := range edits {
		dir := writeLayout(t, img)
		d, _ := layoutManifest(t, dir)
		h := e.blob(d)
		b, err := os.ReadFile(blobFile(dir, h))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(blobFile(dir, h), e.edit(b), 0o644); err != nil {
			t.Fatal(err)
		}
		archive := writeTar(t, filepath.Join(t.TempDir(), "oci.tar"), dirEntries(t, dir), nil)
		for _, ref := range []Ref{{Source: SourceOCILayout, Name: dir}, {Source: SourceOCIArchive, Name: archive}} {
			t.Run(e.name+"/"+string(ref.Source), func(t *testing.T) {
				_, err := openAndRead(t, context.Background(), ref)
				wantInvalid(t, err, append([]string{ref.Name, "does not match"}, e.words...)...)
			})
		}
	}

	// Docker archives name blobs by digest too: go-containerregistry's ("sha256:HEX" config,
	// "HEX.tar.gz" layers) and Docker's own (blobs/sha256/HEX).
	cfgName, _ := img.ConfigName()
	ggcr := tarEntries(t, dockerArchive(t, img))
	save := dockerSaveEntries(t, img)
	layer0, _ := img.Layers()
	diff0, _ := layer0[0].DiffID()
	for _, tt := range []struct {
		name    string
		entries []testEntry
		entry   string
		edit    func([]byte) []byte
	}{
		{"ggcr config with an extra byte", ggcr, cfgName.String(), func(b []byte) []byte { return append(b, ' ') }},
		{"ggcr layer recompressed", ggcr, m.Layers[1].Digest.Hex + ".tar.gz", func(b []byte) []byte { return recompress(t, b) }},
		{"docker config with an extra byte", save, "blobs/sha256/" + cfgName.Hex, func(b []byte) []byte { return append(b, ' ') }},
		{"docker layer with a byte flipped", save, "blobs/sha256/" + diff0.Hex, func(b []byte) []byte { b = slices.Clone(b); b[len(b)-1] ^= 1; return b }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var es []testEntry
			for _, e := range tt.entries {
				if e.name == tt.entry {
					e.body = tt.edit(e.body)
				}
				es = append(es, e)
			}
			archive := writeTar(t, filepath.Join(t.TempDir(), "docker.tar"), es, nil)
			_, err := openAndRead(t, context.Background(), Ref{Source: SourceDockerArchive, Name: archive})
			wantInvalid(t, err, archive, tt.entry)
		})
	}
}

// TestArchivesAgree: the untampered archives and layout all read, to the same image.
func TestArchivesAgree(t *testing.T) {
	img := smallImage(t)
	id, _ := img.ConfigName()
	dir := t.TempDir()
	refs := []Ref{
		{Source: SourceDockerArchive, Name: dockerArchive(t, img)},
		{Source: SourceDockerArchive, Name: writeTar(t, filepath.Join(dir, "save.tar"), dockerSaveEntries(t, img), nil)},
		{Source: SourceOCILayout, Name: writeLayout(t, img)},
		{Source: SourceOCIArchive, Name: writeTar(t, filepath.Join(dir, "oci.tar"), dirEntries(t, writeLayout(t, img)), nil)},
	}
	for _, ref := range refs {
		art, err := openAndRead(t, context.Background(), ref)
		if err != nil {
			t.Errorf("%s: %v", ref, err)
			continue
		}
		if art.ID != id.String() || len(art.Layers) != 2 {
			t.Errorf("%s: id %s, %d layers; want %s, 2", ref, art.ID, len(art.Layers), id)
		}
	}
}

func TestStdinArchive(t *testing.T) {
	img := smallImage(t)
	id, _ := img.ConfigName()
	b, err := os.ReadFile(dockerArchive(t, img))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"-", "docker-archive:-"} {
		ref, err := ParseRef(s, "")
		if err != nil || ref != (Ref{Source: SourceDockerArchive, Name: "-"}) {
			t.Fatalf("ParseRef(%q) = %+v, %v", s, ref, err)
		}
	}
	tmp := t.TempDir()
	art, err := openAndRead(t, context.Background(), Ref{Source: SourceDockerArchive, Name: "-"}, WithStdin(bytes.NewReader(b)), WithTempDir(tmp))
	if err != nil {
		t.Fatal(err)
	}
	if art.ID != id.String() || len(art.Layers) != 2 {
		t.Errorf("id %s, %d layers; want %s, 2", art.ID, len(art.Layers), id)
	}
	art.Close()
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("the spooled copy of standard input is still there: %v", ents)
	}

	// An OCI archive on standard input.
	oci := tarBytes(t, dirEntries(t, writeLayout(t, img)), nil)
	if _, err := openAndRead(t, context.Background(), Ref{Source: SourceOCIArchive, Name: "-"}, WithStdin(bytes.NewReader(oci))); err != nil {
		t.Errorf("oci-archive:-: %v", err)
	}

	// Larger than the bound: refused, and nothing left behind.
	_, err = Open(context.Background(), Ref{Source: SourceDockerArchive, Name: "-"}, WithStdin(bytes.NewReader(b)), WithStdinLimit(1024), WithTempDir(tmp))
	wantInvalid(t, err, "standard input", "1024")
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("a refused spool is still there: %v", ents)
	}

	// Standard input that never ends: the deadline still holds.
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = within(t, 10*time.Second, func() error {
		_, err := Open(ctx, Ref{Source: SourceDockerArchive, Name: "-"}, WithStdin(pr), WithTempDir(tmp))
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stdin that never ends: err = %v, want DeadlineExceeded", err)
	}
}

// FuzzOpenArchive feeds arbitrary bytes as docker-save and OCI archives: Open and the layer
// reads must not panic or hang, and any error must be one line wrapping a sentinel.
func FuzzOpenArchive(f *testing.F) {
	img, err := random.Image(64, 1)
	if err != nil {
		f.Fatal(err)
	}
	docker := tarEntries(f, dockerArchive(f, img))
	oci := dirEntries(f, writeLayout(f, img))
	f.Add(tarBytes(f, docker, nil))
	f.Add(tarBytes(f, oci, nil))
	f.Add(tarBytes(f, dockerSaveEntries(f, img), nil))
	f.Add(tarBytes(f, append(slices.Clone(docker), docker[len(docker)-1]), nil))
	f.Add(tarBytes(f, oci, sparseEntry("blobs/sha256/x", 1<<40)))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "in.tar")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, src := range []Source{SourceDockerArchive, SourceOCIArchive} {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := openAndRead(t, ctx, Ref{Source: src, Name: p}, WithTempDir(t.TempDir()))
			cancel()
			if err == nil {
				continue
			}
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: error wraps no sentinel: %v", src, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: error is not one line: %q", src, err)
			}
		}
	})
}

// TestZstdLayer: a zstd layer of a layout reads, and is checked against its digest.
func TestZstdLayer(t *testing.T) {
	plain := tarBytes(t, []testEntry{{"etc/hello", []byte("hello\n")}}, nil)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(plain)), nil },
		tarball.WithCompression(compression.ZStd), tarball.WithMediaType(types.OCILayerZStd))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeLayout(t, img)
	art, err := openAndRead(t, context.Background(), Ref{Source: SourceOCILayout, Name: dir})
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := art.Layers[0].Open()
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("zstd layer reads as %d bytes, %v; want the %d of its tar", len(got), err, len(plain))
	}
	// One byte more after the zstd frame: the blob no longer matches its digest.
	_, m := layoutManifest(t, dir)
	f, _ := os.OpenFile(blobFile(dir, m.Layers[0].Digest), os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{0})
	f.Close()
	_, err = openAndRead(t, context.Background(), Ref{Source: SourceOCILayout, Name: dir})
	wantInvalid(t, err, m.Layers[0].Digest.String())
}
