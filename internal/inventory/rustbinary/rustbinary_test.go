package rustbinary

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/testenv"
)

func compress(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rustBinary compiles a tiny program with rustc, offline.
func rustBinary(t *testing.T) string {
	t.Helper()
	rustc, err := exec.LookPath("rustc")
	if err != nil {
		testenv.Missing(t, "rustc not installed")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.rs")
	if err := os.WriteFile(src, []byte("fn main() { println!(\"hello {}\", std::env::args().count()); }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "webtool")
	if out, err := exec.Command(rustc, "-O", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("rustc: %v\n%s", err, out)
	}
	return bin
}

// withSection copies bin with a .dep-v0 section holding payload, as cargo-auditable would.
func withSection(t *testing.T, bin string, payload []byte) string {
	t.Helper()
	objcopy, err := exec.LookPath("objcopy")
	if err != nil {
		testenv.Missing(t, "objcopy not installed")
	}
	dir := t.TempDir()
	sec := filepath.Join(dir, "dep-v0")
	if err := os.WriteFile(sec, payload, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(bin))
	cmd := exec.Command(objcopy, "--add-section", ".dep-v0="+sec, "--set-section-flags", ".dep-v0=noload,readonly", bin, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, b)
	}
	// The section must read back as written: objcopy is the independent reader here.
	dump := filepath.Join(dir, "dump")
	if b, err := exec.Command(objcopy, "--dump-section", ".dep-v0="+dump, out, filepath.Join(dir, "discard")).CombinedOutput(); err != nil {
		t.Fatalf("objcopy --dump-section: %v\n%s", err, b)
	}
	if got, err := os.ReadFile(dump); err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("dumped section differs from the payload (%v)", err)
	}
	return out
}

func analyze(t *testing.T, p string) (*inventory.Result, error) {
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
	if !(Analyzer{}).Required("usr/bin/webtool", info) {
		t.Fatalf("Required(%s) = false", p)
	}
	return Analyzer{}.Analyze(context.Background(), &inventory.File{Path: "usr/bin/webtool", Info: info, Content: f, Size: info.Size()})
}

// jqTruth applies the package doc's rules to the JSON with jq, one line per package:
// name version ecosystem main dev indirect.
func jqTruth(t *testing.T, file string) []string {
	t.Helper()
	jq, err := exec.LookPath("jq")
	if err != nil {
		testenv.Missing(t, "jq not installed")
	}
	const prog = `([.packages[] | select(.root) | .dependencies // [] | .[]]) as $direct
	| .packages | to_entries[] | .key as $i | .value
	| [.name, .version, (if .source == "crates.io" then "crates.io" else "-" end),
	   (.root // false), (.kind == "build"), ((.root // false | not) and ($direct | index($i) | not))]
	| map(tostring) | join(" ")`
	out, err := exec.Command(jq, "-r", prog, file).Output()
	if err != nil {
		t.Fatalf("jq: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	slices.Sort(lines)
	return lines
}

func describe(pkgs []inventory.Package) []string {
	var out []string
	for _, p := range pkgs {
		eco := p.Ecosystem
		if eco == "" {
			eco = "-"
		}
		out = append(out, strings.Join([]string{p.Name, p.Version, eco,
			map[bool]string{true: "true", false: "false"}[p.Main],
			map[bool]string{true: "true", false: "false"}[p.Dev],
			map[bool]string{true: "true", false: "false"}[p.Indirect]}, " "))
	}
	slices.Sort(out)
	return out
}

func TestAnalyzeBuiltBinary(t *testing.T) {
	plain := rustBinary(t)
	if res, err := analyze(t, plain); res != nil || err != nil {
		t.Errorf("binary without .dep-v0: Analyze = %v, %v; want nil, nil", res, err)
	}
	js, err := os.ReadFile("testdata/webtool.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := analyze(t, withSection(t, plain, compress(t, js)))
	if err != nil || res == nil {
		t.Fatalf("Analyze = %v, %v", res, err)
	}
	if diff := cmp.Diff(jqTruth(t, "testdata/webtool.json"), describe(res.Packages)); diff != "" {
		t.Errorf("packages (-jq +got):\n%s", diff)
	}
	for _, p := range res.Packages {
		if p.Type != inventory.TypeCargo || p.Path != "usr/bin/webtool" || p.PURL != "pkg:cargo/"+p.Name+"@"+p.Version {
			t.Errorf("package %+v: wrong type, path or purl", p)
		}
	}
}

func TestBadSections(t *testing.T) {
	plain := rustBinary(t)
	bomb := compress(t, bytes.Repeat([]byte(" "), 64<<20))
	tests := []struct {
		name    string
		payload []byte
		wantErr error // nil: any error
	}{
		{"zlib bomb", bomb, ErrTooLarge},
		{"not zlib", []byte("this is not compressed"), nil},
		{"truncated zlib", compress(t, []byte(`{"packages":[]}`))[:8], nil},
		{"not json", compress(t, []byte("packages")), nil},
		{"index out of range", compress(t, []byte(`{"packages":[{"name":"a","version":"1","source":"local","root":true,"dependencies":[5]}]}`)), nil},
		{"no name", compress(t, []byte(`{"packages":[{"version":"1","source":"crates.io"}]}`)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(bomb) > 1<<20 {
				t.Fatalf("bomb is %d bytes compressed; the test wants a small one", len(bomb))
			}
			res, err := analyze(t, withSection(t, plain, tt.payload))
			if err == nil {
				t.Fatalf("Analyze = %v, want an error", res)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Analyze error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestNoRoot(t *testing.T) {
	pkgs, err := ParseJSON([]byte(`{"packages":[{"name":"a","version":"1.0.0","source":"crates.io","dependencies":[1]},{"name":"b","version":"2.0.0","source":"registry"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a 1.0.0 crates.io false false false", "b 2.0.0 - false false false"}
	if diff := cmp.Diff(want, describe(pkgs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNotExecutable(t *testing.T) {
	for _, content := range [][]byte{[]byte("#!/bin/sh\necho hi\n"), []byte("\x7fELF but not really an ELF file at all, just text")} {
		r := bytes.NewReader(content)
		res, err := Analyzer{}.Analyze(context.Background(), &inventory.File{Path: "x", Content: r, Size: int64(len(content))})
		if res != nil || err != nil {
			t.Errorf("Analyze(%q) = %v, %v; want nil, nil", content[:8], res, err)
		}
	}
}

// FuzzParse checks that no section content panics or decompresses past the limit.
func FuzzParse(f *testing.F) {
	js, err := os.ReadFile("testdata/webtool.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(compress(f, js))
	f.Add(compress(f, []byte(`{"packages":[]}`)))
	f.Add(js)
	f.Add(compress(f, []byte(`{"packages":[{"name":"a","version":"1","source":"crates.io","root":true,"dependencies":[1]},{"name":"b","source":"crates.io"}]}`)))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, err := Parse(b)
		if err != nil && !errors.Is(err, inventory.ErrNoVersion) {
			pkgs = nil
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("package without name or version: %+v", p)
			}
		}
		// A tree that decodes, whose packages all have names and whose dependencies are all in
		// range, gives every package that has a version, and names those that have not.
		zr, zerr := zlib.NewReader(bytes.NewReader(b))
		if zerr != nil {
			return
		}
		raw, rerr := io.ReadAll(io.LimitReader(zr, MaxTreeSize+1))
		var tr tree
		if rerr != nil || len(raw) > MaxTreeSize || json.Unmarshal(raw, &tr) != nil {
			return
		}
		versioned := 0
		for _, p := range tr.Packages {
			if p.Name == "" || slices.ContainsFunc(p.Dependencies, func(d int) bool { return d < 0 || d >= len(tr.Packages) }) {
				return
			}
			if p.Version != "" {
				versioned++
			} else if err == nil || !strings.Contains(err.Error(), p.Name) && !strings.Contains(err.Error(), "more") {
				t.Fatalf("package %q without a version not named: %v", p.Name, err)
			}
		}
		if len(pkgs) != versioned {
			t.Fatalf("%d packages of %d with a version (error %v)", len(pkgs), versioned, err)
		}
	})
}

// TestPackageWithoutVersion: a crate without a version is left out with a warning naming it;
// the others are reported.
func TestPackageWithoutVersion(t *testing.T) {
	js := []byte(`{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true,"dependencies":[1,2]},` +
		`{"name":"serde","version":"1.0.130","source":"crates.io"},{"name":"mystery","source":"crates.io"}]}`)
	res, err := Analyzer{}.Analyze(context.Background(), memExecutable(t, withSection(t, rustBinary(t), compress(t, js))))
	if err != nil || res == nil {
		t.Fatalf("Analyze = %v, %v", res, err)
	}
	if diff := cmp.Diff([]string{"app 0.1.0 - true false false", "serde 1.0.130 crates.io false false false"}, describe(res.Packages)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "mystery") {
		t.Errorf("warnings = %q, want one naming mystery", res.Warnings)
	}
}

// TestDamagedHeaders: section headers past the end of the file leave a program running but
// its sections unreadable; an executable that names the dependency section is warned about.
func TestDamagedHeaders(t *testing.T) {
	js, err := os.ReadFile("testdata/webtool.json")
	if err != nil {
		t.Fatal(err)
	}
	f := memExecutable(t, withSection(t, rustBinary(t), compress(t, js)))
	if !bytes.HasPrefix(f.Data, []byte("\x7fELF\x02\x01")) {
		t.Skip("not a 64-bit little-endian ELF file on this platform")
	}
	binary.LittleEndian.PutUint64(f.Data[0x28:], 0x7fff_ffff_ffff_0000) // e_shoff
	res, err := Analyzer{}.Analyze(context.Background(), f)
	if err != nil || res == nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "cargo-auditable") {
		t.Fatalf("Analyze = %+v, %v; want a warning", res, err)
	}
	// One that does not name it is no Rust binary of ours.
	plain := memExecutable(t, rustBinary(t))
	binary.LittleEndian.PutUint64(plain.Data[0x28:], 0x7fff_ffff_ffff_0000)
	if res, err := (Analyzer{}).Analyze(context.Background(), plain); res != nil || err != nil {
		t.Errorf("damaged binary without the section: Analyze = %+v, %v; want nil, nil", res, err)
	}
}

// memExecutable reads p into a File held in memory, as the walker hands small files over.
func memExecutable(t *testing.T, p string) *inventory.File {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return &inventory.File{Path: "usr/bin/webtool", Info: info, Content: bytes.NewReader(b), Size: int64(len(b)), Data: b}
}
