package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/testenv"
)

// The hostile inputs of these tests are built here, from a small random image: they need the
// binary only, no fixtures.

// hostileRunLimit is how long a run may take: every input here is refused, or read, at once;
// a run that takes longer is the hang under test.
const hostileRunLimit = 60 * time.Second

// runWith runs `rampart image -q ARGS` with stdin (through a pipe) when it is not nil, and fails the test if it has not ended
// after hostileRunLimit. When signal is set, it is sent after delay.
func runWith(t *testing.T, stdin io.Reader, signal os.Signal, delay time.Duration, args ...string) (testenv.Result, time.Duration) {
	t.Helper()
	bin := testenv.Rampart(t) // built before the clock starts
	args = append([]string{"image", "-q", "--scanners", "pkg", "--cache-dir", t.TempDir()}, args...)
	res := runBounded(t, bin, hostileRunLimit, stdin, signal, delay, args...)
	return res.Result, res.took
}

// endless is standard input that sends nothing and never ends, until the test does.
func endless(t *testing.T) io.Reader {
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	return pr
}

// hostileMaxRSS bounds the memory of a run on hostile input: refusing or reading these small
// inputs needs a small fraction of it; a run above it is the unbounded allocation under test.
const hostileMaxRSS = 256 << 20

// wantRefused checks a run exited with code, on one error line holding each of words, within
// bounded memory.
func wantRefused(t *testing.T, res testenv.Result, code int, words ...string) {
	t.Helper()
	if res.Code != code {
		t.Errorf("%v\nwant exit %d", res, code)
	}
	if res.MaxRSS > hostileMaxRSS {
		t.Errorf("rampart %s: peak RSS %d MiB, above the %d MiB bound", strings.Join(res.Args, " "), res.MaxRSS>>20, hostileMaxRSS>>20)
	}
	line := errorLine(t, res)
	for _, w := range words {
		if !strings.Contains(line, w) {
			t.Errorf("error line %q does not mention %q", line, w)
		}
	}
}

// hostileDockerArchive writes a random image as a docker-save archive and returns its path and
// its image ID.
func hostileDockerArchive(t *testing.T) (string, string) {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "img.tar")
	tag, _ := name.NewTag("hostile/app:1")
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	id, _ := img.ConfigName()
	return p, id.String()
}

// appendEntry copies the tar at src to a new file with one more entry at its end.
func appendEntry(t *testing.T, src, entry string, body []byte) string {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tr := tar.NewReader(in)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
	tw.WriteHeader(&tar.Header{Name: entry, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	tw.Write(body)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "appended.tar")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHostileNamedPipe: a named pipe given as an archive (or a layout's index.json) is refused
// at once, whatever --timeout says; before, the open blocked forever, deaf to SIGTERM.
func TestHostileNamedPipe(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "f.tar")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	lay := filepath.Join(dir, "layout")
	if _, err := layout.Write(lay, empty.Index); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(lay, "index.json"))
	if err := syscall.Mkfifo(filepath.Join(lay, "index.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		ref   string
		words []string
	}{
		{"docker-archive:" + fifo, []string{fifo, "named pipe", "docker-archive:-"}},
		{"oci-archive:" + fifo, []string{fifo, "named pipe", "oci-archive:-"}},
		{fifo, []string{fifo, "named pipe"}},
		{"oci:" + lay, []string{lay, "index.json", "named pipe"}},
	} {
		t.Run(tt.ref, func(t *testing.T) {
			res, took := runWith(t, nil, nil, 0, "--timeout", "30s", tt.ref)
			wantRefused(t, res, cli.ExitInvalid, tt.words...)
			if took > 20*time.Second {
				t.Errorf("took %s to refuse a named pipe", took)
			}
		})
	}
}

// TestHostileStdin: an archive piped to `rampart image -` is scanned; /dev/stdin as a path is
// a pipe, refused with a pointer to "-"; standard input that never ends still obeys --timeout
// and SIGTERM.
func TestHostileStdin(t *testing.T) {
	archive, id := hostileDockerArchive(t)
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"-", "docker-archive:-"} {
		t.Run(ref, func(t *testing.T) {
			// A pipe, not the file: a reader of standard input cannot seek it.
			res, _ := runWith(t, bytes.NewReader(data), nil, 0, "-f", "json", ref)
			if res.Code != 0 {
				t.Fatalf("%v", res)
			}
			var rep struct {
				Artifact struct {
					ID     string
					Layers []json.RawMessage
				}
			}
			if err := json.Unmarshal(res.Stdout, &rep); err != nil {
				t.Fatalf("not a JSON report: %v", err)
			}
			if rep.Artifact.ID != id || len(rep.Artifact.Layers) != 2 {
				t.Errorf("image ID %s with %d layers; want %s with 2", rep.Artifact.ID, len(rep.Artifact.Layers), id)
			}
		})
	}
	t.Run("/dev/stdin", func(t *testing.T) {
		res, _ := runWith(t, bytes.NewReader(data), nil, 0, "docker-archive:/dev/stdin")
		wantRefused(t, res, cli.ExitInvalid, "/dev/stdin", "docker-archive:-")
	})
	t.Run("endless, --timeout", func(t *testing.T) {
		res, took := runWith(t, endless(t), nil, 0, "--timeout", "2s", "-")
		wantRefused(t, res, cli.ExitUnreachable, "standard input")
		if took > 20*time.Second {
			t.Errorf("took %s with --timeout 2s", took)
		}
	})
	t.Run("endless, SIGTERM", func(t *testing.T) {
		res, took := runWith(t, endless(t), syscall.SIGTERM, time.Second, "-")
		if res.Code == 0 {
			t.Errorf("%v\nwant a failure", res)
		}
		errorLine(t, res)
		if took > 20*time.Second {
			t.Errorf("took %s to end after SIGTERM", took)
		}
	})
}

// TestHostileArchiveContent: archives and layouts that mean two things, or whose blobs are not
// what their digests say, exit 7.
func TestHostileArchiveContent(t *testing.T) {
	archive, _ := hostileDockerArchive(t)
	other, _ := hostileDockerArchive(t)
	otherManifest := readTarEntry(t, other, "manifest.json")

	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	// An OCI layout whose manifest was edited after index.json was written.
	edited := filepath.Join(t.TempDir(), "layout")
	lp, err := layout.Write(edited, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	mf := filepath.Join(edited, "blobs", d.Algorithm, d.Hex)
	b, err := os.ReadFile(mf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mf, bytes.Replace(b, []byte(`"schemaVersion":2`), []byte(`"schemaVersion":2,"annotations":{"a":"b"}`), 1), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name  string
		ref   string
		words []string
	}{
		{"two manifest.json", "docker-archive:" + appendEntry(t, archive, "manifest.json", otherManifest), []string{"manifest.json", "twice"}},
		{"manifest edited", "oci:" + edited, []string{edited, d.String(), "does not match"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := runWith(t, nil, nil, 0, tt.ref)
			wantRefused(t, res, cli.ExitInvalid, tt.words...)
			if len(res.Stdout) != 0 {
				t.Errorf("stdout is not empty:\n%s", res.Stdout)
			}
		})
	}
}

// readTarEntry returns the content of the entry name of the tar at p.
func readTarEntry(t *testing.T, p, name string) []byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s has no %s: %v", p, name, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
