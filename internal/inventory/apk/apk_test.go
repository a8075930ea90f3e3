package apk

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/rampartsec/rampart/internal/golden"
	"github.com/rampartsec/rampart/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenPackage is a package as the golden file records it: with its files, which the JSON
// form of inventory.Package leaves out.
type goldenPackage struct {
	inventory.Package
	Files []string `json:"files"`
}

func readDB(t testing.TB, archive string) []byte {
	t.Helper()
	ar, err := txtar.ParseFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ar.Files {
		if f.Name == dbPath {
			return f.Data
		}
	}
	t.Fatalf("%s has no %s", archive, dbPath)
	return nil
}

func TestAnalyzeGolden(t *testing.T) {
	db := readDB(t, filepath.Join("testdata", "alpine320.txtar"))
	res, err := (Analyzer{}).Analyze(context.Background(), &inventory.File{Path: dbPath,
		Content: bytes.NewReader(db), Size: int64(len(db))})
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []goldenPackage
	for _, p := range res.Packages {
		pkgs = append(pkgs, goldenPackage{Package: p, Files: p.Files})
	}
	got, err := json.MarshalIndent(pkgs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	goldenFile := filepath.Join("testdata", "alpine320.golden")
	golden.Check(t, goldenFile, got, *update)
}

// TestAnalyzeFacts checks, apart from the golden file, facts read off the fixture by hand.
func TestAnalyzeFacts(t *testing.T) {
	db := readDB(t, filepath.Join("testdata", "alpine320.txtar"))
	pkgs, err := Parse(context.Background(), bytes.NewReader(db))
	if err != nil {
		t.Fatal(err)
	}
	if got := bytes.Count(db, []byte("\nP:")) + bytes.Count(db[:2], []byte("P:")); len(pkgs) != got {
		t.Fatalf("%d packages, the fixture has %d P: lines", len(pkgs), got)
	}
	by := map[string]inventory.Package{}
	for _, p := range pkgs {
		by[p.Name] = p
	}
	ssl := by["ssl_client"]
	if ssl.SourceName != "busybox" || ssl.SourceVersion != "1.36.1-r29" || ssl.Arch != "x86_64" {
		t.Errorf("ssl_client = %+v", ssl)
	}
	if diff := cmp.Diff([]string{"usr/bin/ssl_client"}, ssl.Files); diff != "" {
		t.Errorf("ssl_client files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"MPL-2.0 AND MIT"}, by["ca-certificates-bundle"].Licenses); diff != "" {
		t.Errorf("ca-certificates-bundle licences (-want +got):\n%s", diff)
	}
	crypto := by["libcrypto3"].Files
	if len(crypto) != 4 || crypto[2] != "usr/lib/libcrypto.so.3" || crypto[3] != "usr/lib/engines-3/afalg.so" {
		t.Errorf("libcrypto3 files = %q", crypto)
	}
}

func TestParse(t *testing.T) {
	apk := func(name, version, arch, origin string, files ...string) inventory.Package {
		return inventory.Package{Type: inventory.TypeApk, Name: name, Version: version, Arch: arch,
			SourceName: origin, SourceVersion: version, Files: files}
	}
	tests := []struct {
		name string
		in   string
		want []inventory.Package
	}{
		{
			name: "no origin, root files, crlf, no trailing blank line",
			in:   "P:a\r\nV:1-r0\r\nR:top\r\nF:/usr/bin/\r\nR:x\r\nF:usr\r\nR:\r\n",
			want: []inventory.Package{apk("a", "1-r0", "", "a", "top", "usr/bin/x")},
		},
		{
			name: "dot-dot stays under the root",
			in:   "P:b\nF:../../etc\nR:../passwd\n\n\n",
			want: []inventory.Package{apk("b", "", "", "b", "passwd")},
		},
		{
			name: "stanza without a name and junk lines",
			in:   "V:1\nA:x86_64\n\nnot a field\nPX\nP:c\nV:2\nZ:ignored\n",
			want: []inventory.Package{apk("c", "2", "", "c")},
		},
		{name: "empty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(context.Background(), strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	if _, err := Parse(context.Background(), strings.NewReader("P:a\nT:"+strings.Repeat("x", maxLine+1))); err == nil {
		t.Error("over-long line: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Parse(ctx, strings.NewReader("P:a\n")); err == nil {
		t.Error("canceled context: no error")
	}
	res, err := (Analyzer{}).Analyze(context.Background(), &inventory.File{Path: dbPath, Content: strings.NewReader("\n\n"), Size: 2})
	if res != nil || err != nil {
		t.Errorf("empty database: %v, %v; want nil, nil", res, err)
	}
}

func TestRequired(t *testing.T) {
	for p, want := range map[string]bool{
		"lib/apk/db/installed":     true,
		"lib/apk/db/installed.bak": false,
		"usr/lib/apk/db/installed": false,
		"lib/apk/db/triggers":      false,
	} {
		if got := (Analyzer{}).Required(p, nil); got != want {
			t.Errorf("Required(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(readDB(f, filepath.Join("testdata", "alpine320.txtar")))
	f.Add([]byte("P:a\nF:..\nR:../x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, err := Parse(context.Background(), bytes.NewReader(b))
		if err != nil {
			return
		}
		lines := bytes.Count(b, []byte("\n")) + 1
		files := 0
		for _, p := range pkgs {
			if p.Name == "" || p.SourceName == "" {
				t.Fatalf("bad package %+v", p)
			}
			for _, f := range p.Files {
				if f == "" || strings.HasPrefix(f, "/") || f == ".." || strings.HasPrefix(f, "../") {
					t.Fatalf("bad file %q", f)
				}
			}
			files += len(p.Files)
		}
		// One package per P line and one file per R line at most.
		if len(pkgs) > lines || files > lines {
			t.Fatalf("%d packages, %d files from %d lines", len(pkgs), files, lines)
		}
	})
}
