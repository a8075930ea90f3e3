package gobinary

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"os"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/inventory"
)

// FuzzPclntab feeds arbitrary bytes to the pclntab scanner and parser. Invariant: no panic,
// and every name returned comes from the input.
func FuzzPclntab(f *testing.F) {
	head, err := os.ReadFile("testdata/pclntab-go1.20-head.bin")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(head)
	f.Add(head[:64])
	f.Add([]byte("\xf1\xff\xff\xff\x00\x00\x01\x08\x01\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tab := range scanPclntab(data) {
			for _, n := range parsePclntab(tab) {
				if !bytes.Contains(data, []byte(n)) {
					t.Fatalf("name %q is not in the input", n)
				}
				Normalize(n)
			}
		}
	})
}

// FuzzAnalyze runs the whole analyzer over arbitrary executables. Invariant: no panic.
func FuzzAnalyze(f *testing.F) {
	head, err := os.ReadFile("testdata/pclntab-go1.20-head.bin")
	if err != nil {
		f.Fatal(err)
	}
	for _, magic := range []string{"\x7fELF\x02\x01\x01", "MZ", "\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe"} {
		f.Add(append([]byte(magic), head...))
		// Headers that do not parse before build information: the inline form (Go 1.18 and
		// later), whole, with a bogus length, and cut short.
		pad := make([]byte, 64-len(magic))
		inline := append(append(append([]byte(magic), pad...), buildInfoMagic...), 8, 2)
		inline = append(inline, make([]byte, 16)...)
		f.Add(append(append(inline, "\x08go1.22.1\x00"...), make([]byte, 8)...))
		f.Add(append(inline, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"...))
		f.Add(inline[:64+16])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := os.Stat("testdata/pclntab-go1.20-head.bin")
		if err != nil {
			t.Fatal(err)
		}
		file := &inventory.File{Path: "x", Info: info, Content: bytes.NewReader(data), Size: int64(len(data))}
		res, err := Analyzer{}.Analyze(context.Background(), file)
		if res != nil && len(res.Packages)+len(res.Warnings) == 0 {
			t.Fatalf("a result with neither packages nor warnings: %+v", res)
		}
		// A file whose headers do not parse but that holds the build information's magic where
		// the linker puts it is a damaged Go executable: it is reported, or warned about.
		if res == nil && err == nil && executableMagic(file.Content) && inventory.IndexAligned(data, buildInfoMagic, buildInfoAlign, 0) >= 0 {
			if _, berr := buildinfo.Read(bytes.NewReader(data)); berr != nil && strings.Contains(berr.Error(), "unrecognized file format") {
				t.Fatalf("Go build information in a file with unreadable headers, and no warning")
			}
		}
	})
}
