package hashlist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"go/build"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func TestParse(t *testing.T) {
	a, b, c := sum("a"), sum("b"), sum("c")
	bazaar := `# "first_seen_utc","sha256_hash","md5_hash","reporter","file_name","signature","clamav"` + "\n"
	tests := []struct {
		name    string
		in      string
		want    map[string]Entry
		skipped int
	}{
		{"sha256sum text mode", a + "  dropper.exe\n", map[string]Entry{a: {Name: "dropper.exe", Source: "feed"}}, 0},
		{"sha256sum binary mode", a + " *dropper.exe\n", map[string]Entry{a: {Name: "dropper.exe", Source: "feed"}}, 0},
		{"bare upper-case hash, CRLF", strings.ToUpper(b) + "\r\n", map[string]Entry{b: {Name: "listed", Source: "feed"}}, 0},
		{"comments and blank lines", "# list\n\n  \n" + c + "\n", map[string]Entry{c: {Name: "listed", Source: "feed"}}, 0},
		{"lines without a hash counted", "not a hash\n" + a + "\nabc\n", map[string]Entry{a: {Name: "listed", Source: "feed"}}, 2},
		{"bazaar signature column", bazaar + `"2024-01-01", "` + c + `", "d41d8cd98f00b204e9800998ecf8427e", "abuse_ch", "x.elf", "Mirai", "n/a"` + "\n",
			map[string]Entry{c: {Name: "Mirai", Source: "feed"}}, 0},
		{"bazaar n/a signature", bazaar + `"2024-01-01", "` + c + `", "x", "abuse_ch", "x.elf", "n/a", "n/a"` + "\n",
			map[string]Entry{c: {Name: "listed", Source: "feed"}}, 0},
		{"CSV without a header", `"` + b + `","Emotet"` + "\n", map[string]Entry{b: {Name: "listed", Source: "feed"}}, 0},
		{"later duplicate wins", a + "  one\n" + a + "  two\n", map[string]Entry{a: {Name: "two", Source: "feed"}}, 0},
	}
	for _, tt := range tests {
		got, skipped, err := Parse(strings.NewReader(tt.in), "feed")
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" || skipped != tt.skipped {
			t.Errorf("%s: skipped %d (want %d), entries (-want +got):\n%s", tt.name, skipped, tt.skipped, diff)
		}
	}
	if _, _, err := Parse(strings.NewReader(a+" "+strings.Repeat("x", MaxLine)), "long"); err == nil || !strings.Contains(err.Error(), "long") {
		t.Errorf("a line over MaxLine: err = %v, want an error naming the list", err)
	}
}

func TestSniff(t *testing.T) {
	h := sum("x")
	for in, want := range map[string]bool{
		"# comment\n\n" + h + "  name\n":        true,
		`"2024-01-01", "` + h + `", "x"` + "\n": true,
		h:                                       true,
		"# only a comment\n" + h[:63] + "\n":    false,
		"x" + h + "\n":                          false,
		`{"id": "GO-2024-0001"}`:                false,
		"cve,epss,percentile\n":                 false,
	} {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzParse checks that Parse never panics, returns only lower-case 64-hex keys, and finds a
// hash in every input that Sniff accepts (so a sniffed list never comes out empty).
func FuzzParse(f *testing.F) {
	f.Add([]byte("# c\n" + strings.Repeat("a", 64) + "  x\n"))
	f.Add([]byte(`# "sha256_hash","signature"` + "\n\"" + sum("y") + "\",\"Mirai\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _, err := Parse(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		for h := range m {
			if len(h) != 64 || strings.ToLower(h) != h {
				t.Fatalf("bad hash %q", h)
			}
		}
		if Sniff(b) && len(m) == 0 {
			t.Fatalf("Sniff accepts %q but Parse finds no hash", b)
		}
	})
}

// TestLeaf keeps hashlist a leaf: the malware scanner and the vulnerability database both import
// it, so it must import neither (nor anything else of the module).
func TestLeaf(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "github.com/rampartsec/rampart/") {
			t.Errorf("hashlist imports %s", imp)
		}
	}
}
