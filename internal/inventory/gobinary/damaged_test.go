package gobinary

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rampartsec/rampart/internal/inventory"
)

// TestDamagedGoBinaries alters a real Go executable the ways that leave it running (the
// kernel loads a program by its program headers, and ignores the section headers) or that
// merely damage it, and expects each to be reported: its modules when the build information
// is whole, and a warning naming the file in any case, never silence.
func TestDamagedGoBinaries(t *testing.T) {
	bin := probe(t, variants[0])
	orig, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(orig, []byte("\x7fELF\x02\x01")) {
		t.Skip("the probe is not a 64-bit little-endian ELF file on this platform")
	}
	magic := inventory.IndexAligned(orig, buildInfoMagic, buildInfoAlign, 0)
	if magic < 0 {
		t.Fatal("no build information in the probe")
	}
	want := versionM(t, bin, "usr/bin/probe")
	damage := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(orig)) }
	tests := []struct {
		name     string
		data     []byte
		runs     bool // the damaged program still runs
		modules  bool // its modules are still reported
		warnings []string
	}{
		{"section headers past the end of the file", damage(func(b []byte) []byte {
			binary.LittleEndian.PutUint64(b[0x28:], 0x7fff_ffff_ffff_0000) // e_shoff
			return b
		}), true, true, []string{"executable headers unreadable; modules read from", "without readable symbols"}},
		{"65535 section headers", damage(func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[0x3c:], 0xffff) // e_shnum
			return b
		}), true, true, []string{"executable headers unreadable; modules read from", "without readable symbols"}},
		{"a bogus length for the version", damage(func(b []byte) []byte {
			copy(b[magic+32:], "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")
			return b
		}), false, false, []string{"Go build information found but not readable"}},
		{"cut after the magic", orig[:magic+16], false, false, []string{"executable headers unreadable, and the Go build information found at offset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "probe")
			if err := os.WriteFile(p, tt.data, 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.runs {
				if out, err := exec.Command(p, "en").CombinedOutput(); err != nil {
					t.Fatalf("the damaged binary does not run: %v\n%s", err, out)
				}
			}
			res, err := analyzeFile(t, p, "usr/bin/probe")
			if err != nil || res == nil {
				t.Fatalf("Analyze = %v, %v; want a result", res, err)
			}
			if tt.modules {
				if diff := cmp.Diff(want, res.Packages, cmpopts.IgnoreFields(inventory.Package{}, "PURL")); diff != "" {
					t.Errorf("packages (-go version -m of the whole binary +got):\n%s", diff)
				}
			} else if len(res.Packages) != 0 {
				t.Errorf("%d packages from unreadable build information", len(res.Packages))
			}
			if len(res.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings = %q, want %d", res.Warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains(res.Warnings[i], w) {
					t.Errorf("warning %d = %q, want it to say %q", i, res.Warnings[i], w)
				}
			}
		})
	}
}

// TestScannedBuildInfoMatchesBuildinfo reads whole executables' build information by scanning
// for it, and expects what debug/buildinfo reads through the headers.
func TestScannedBuildInfoMatchesBuildinfo(t *testing.T) {
	for _, v := range []variant{variants[0], variants[2], variants[4], variants[5]} {
		t.Run(v.name, func(t *testing.T) {
			b, err := os.ReadFile(probe(t, v))
			if err != nil {
				t.Fatal(err)
			}
			f := &inventory.File{Path: "probe", Content: bytes.NewReader(b), Size: int64(len(b))}
			want, warning, err := readBuildInfo(f)
			if err != nil || warning != "" {
				t.Fatalf("readBuildInfo = %v, %q", err, warning)
			}
			off, err := f.Index(buildInfoMagic, buildInfoAlign)
			if err != nil || off < 0 {
				t.Fatalf("Index = %d, %v", off, err)
			}
			got, err := scanBuildInfo(f, off)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("(-buildinfo +scan):\n%s", diff)
			}
		})
	}
}
