package gobinary

import (
	"bytes"
	"context"
	"os"
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
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := os.Stat("testdata/pclntab-go1.20-head.bin")
		if err != nil {
			t.Fatal(err)
		}
		file := &inventory.File{Path: "x", Info: info, Content: bytes.NewReader(data), Size: int64(len(data))}
		_, _ = Analyzer{}.Analyze(context.Background(), file)
	})
}
