package match

import (
	"archive/zip"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/osv"
)

// goRecords reads the named records from the bundled Go advisories.
func goRecords(t *testing.T, ids ...string) []*osv.Vulnerability {
	t.Helper()
	zr, err := zip.OpenReader(filepath.Join("..", "..", "data", "vulndb", "Go-all.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []*osv.Vulnerability
	for _, id := range ids {
		f, err := zr.Open(id + ".json")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		v, err := osv.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		out = append(out, v)
	}
	return out
}

// TestGoPlatform checks that Go advisories limited to other platforms do not apply to a binary
// (govulncheck's binary mode skips them too; docs/vuln-comparison.md): GO-2025-3750 (os and
// syscall, goos windows), GO-2025-3447 (crypto/internal/nistec, goarch ppc64le) and
// GO-2026-5024 (golang.org/x/sys/windows, goos windows), all real records.
func TestGoPlatform(t *testing.T) {
	src := &memSource{recs: goRecords(t, "GO-2025-3750", "GO-2025-3447", "GO-2026-5024")}
	// A record whose imports differ by platform, for symbol presence.
	mixed, err := osv.Parse([]byte(`{"id": "GO-0000-0001", "modified": "2026-01-01T00:00:00Z",
		"affected": [{"package": {"ecosystem": "Go", "name": "example.com/m"},
			"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.1.0"}]}],
			"ecosystem_specific": {"imports": [
				{"path": "example.com/m/win", "goos": ["windows"], "symbols": ["Open"]},
				{"path": "example.com/m/any", "symbols": ["Parse"]}]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	src.recs = append(src.recs, mixed)

	std := func(platform string, symbols ...string) inventory.Package {
		return inventory.Package{Type: inventory.TypeGo, Name: "stdlib", Version: "1.20.14", Ecosystem: "Go", Path: "bin/" + platform,
			GoVersion: "go1.20.14", GoPlatform: platform, Symbols: symbols}
	}
	xsys := func(platform string) inventory.Package {
		return inventory.Package{Type: inventory.TypeGo, Name: "golang.org/x/sys", Version: "v0.0.0-20200116001909-b77594299b42",
			Ecosystem: "Go", Path: "bin/" + platform, GoVersion: "go1.20.14", GoPlatform: platform}
	}
	mod := func(platform string, symbols ...string) inventory.Package {
		return inventory.Package{Type: inventory.TypeGo, Name: "example.com/m", Version: "v1.0.0", Ecosystem: "Go", Path: "bin/" + platform,
			GoVersion: "go1.20.14", GoPlatform: platform, Symbols: symbols}
	}
	type hit struct{ ID, Symbol string }
	tests := []struct {
		name string
		pkg  inventory.Package
		want []hit
	}{
		{"linux/amd64 stdlib: neither the Windows nor the ppc64le bug", std("linux/amd64", "os.Open"), nil},
		{"windows/amd64 stdlib: the Windows bug", std("windows/amd64", "os.Open"), []hit{{"CVE-2025-0913", "present"}}},
		{"linux/ppc64le stdlib: the ppc64le bug", std("linux/ppc64le", "os.Open"), []hit{{"CVE-2025-22866", "absent"}}},
		{"unknown platform: every record applies", std("", "os.Open"),
			[]hit{{"CVE-2025-0913", "present"}, {"CVE-2025-22866", "absent"}}},
		{"linux/amd64 x/sys: the windows package is not compiled in", xsys("linux/amd64"), nil},
		{"windows/arm64 x/sys", xsys("windows/arm64"), []hit{{"CVE-2026-39824", "unknown"}}},
		{"linux: a Windows-only symbol does not make it present", mod("linux/amd64", "example.com/m/win.Open"), []hit{{"GO-0000-0001", "absent"}}},
		{"windows: the same symbol does", mod("windows/amd64", "example.com/m/win.Open"), []hit{{"GO-0000-0001", "present"}}},
		{"linux: a symbol of every platform does", mod("linux/amd64", "example.com/m/any.Parse"), []hit{{"GO-0000-0001", "present"}}},
	}
	m := New(src, Options{Logger: slog.New(slog.DiscardHandler)})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &inventory.Inventory{Packages: []inventory.Package{tt.pkg}}
			fs, warnings, err := m.Match(context.Background(), inv)
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %q", warnings)
			}
			var got []hit
			for _, f := range fs {
				// A module's binary also gets its toolchain's stdlib findings; those are other rows.
				if f.Package.Name == tt.pkg.Name {
					got = append(got, hit{f.ID, f.Extra["symbol"]})
				}
			}
			slices.SortFunc(got, func(a, b hit) int { return cmpStrings(a.ID, b.ID) })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
