package match

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
)

// filterFindings matches a small inventory against testdata/vulndb, so the filters below run
// on findings the Matcher really produced.
func filterFindings(t *testing.T) []finding.Finding {
	t.Helper()
	inv := &inventory.Inventory{Packages: []inventory.Package{
		{Type: inventory.TypeNpm, Name: "lodash", Version: "4.17.15", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.15", Path: "app/node_modules/lodash/package.json"},
		{Type: inventory.TypeNpm, Name: "minimist", Version: "1.2.5", Ecosystem: "npm", PURL: "pkg:npm/minimist@1.2.5", Path: "app/node_modules/minimist/package.json"},
		{Type: inventory.TypeGo, Name: "golang.org/x/text", Version: "v0.3.5", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/text@v0.3.5", Path: "usr/bin/app"},
		{Type: inventory.TypeDpkg, Name: "openssl", Version: "3.0.11-1~deb12u2", Ecosystem: "Debian:12", PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", Path: "var/lib/dpkg/status"},
	}}
	fs, _, err := New(loadSource(t), Options{Logger: slog.New(slog.DiscardHandler)}).Match(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// keys lists "package id" for each finding.
func keys(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Package.Name+" "+f.ID)
	}
	return out
}

func TestFilterInput(t *testing.T) {
	// The filter tests below depend on these findings; check them once here.
	want := []string{
		"golang.org/x/text CVE-2021-38561", "lodash NSWG-ECO-9003", "minimist NSWG-ECO-9004",
		"lodash CVE-2021-23337", "golang.org/x/text GO-2099-0002", "lodash NSWG-ECO-9002", "openssl CVE-2024-0001",
	}
	if diff := cmp.Diff(want, keys(filterFindings(t))); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIgnoreFile(t *testing.T) {
	f, err := ParseIgnoreFile(readTestdata(t, "ignore/valid.yaml"))
	if err != nil {
		t.Fatalf("ParseIgnoreFile() error = %v", err)
	}
	all := filterFindings(t)
	tests := []struct {
		name         string
		now          time.Time
		wantRemoved  []string
		wantWarnings []string // substrings
	}{
		{
			name:         "before any expiry but the third",
			now:          time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
			wantRemoved:  []string{"golang.org/x/text CVE-2021-38561", "lodash CVE-2021-23337"},
			wantWarnings: []string{"NSWG-ECO-9004 expired on 2026-01-31"},
		},
		{
			name:         "last hour of the expiry day",
			now:          time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC),
			wantRemoved:  []string{"golang.org/x/text CVE-2021-38561", "lodash CVE-2021-23337"},
			wantWarnings: []string{"NSWG-ECO-9004 expired"},
		},
		{
			name:         "day after expiry",
			now:          time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
			wantRemoved:  []string{"golang.org/x/text CVE-2021-38561"},
			wantWarnings: []string{"CVE-2021-23337 expired on 2026-12-31", "NSWG-ECO-9004 expired"},
		},
		{
			name:        "package URL rule before its expiry",
			now:         time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC),
			wantRemoved: []string{"golang.org/x/text CVE-2021-38561", "minimist NSWG-ECO-9004", "lodash CVE-2021-23337"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, n, warnings := f.Apply(all, tt.now)
			if n != len(tt.wantRemoved) || len(kept)+n != len(all) {
				t.Errorf("Apply() ignored %d, kept %d of %d; want %d ignored", n, len(kept), len(all), len(tt.wantRemoved))
			}
			var removed []string
			for _, k := range keys(all) {
				if !strings.Contains(strings.Join(keys(kept), "\n")+"\n", k+"\n") {
					removed = append(removed, k)
				}
			}
			if diff := cmp.Diff(tt.wantRemoved, removed); diff != "" {
				t.Errorf("ignored findings mismatch (-want +got):\n%s", diff)
			}
			if len(warnings) != len(tt.wantWarnings) {
				t.Fatalf("warnings = %q, want %d", warnings, len(tt.wantWarnings))
			}
			for i, w := range tt.wantWarnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning[%d] = %q, want it to contain %q", i, warnings[i], w)
				}
			}
		})
	}
}

func TestParseIgnoreFileErrors(t *testing.T) {
	for _, name := range []string{"no-reason.yaml", "bad-date.yaml", "unknown-field.yaml"} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseIgnoreFile(readTestdata(t, "ignore/"+name))
			if !errors.Is(err, ErrInvalidIgnoreFile) {
				t.Errorf("ParseIgnoreFile() error = %v, want ErrInvalidIgnoreFile", err)
			}
		})
	}
	if f, err := ParseIgnoreFile(nil); err != nil || len(f.Ignore) != 0 {
		t.Errorf("ParseIgnoreFile(empty) = %v, %v; want no rules", f, err)
	}
}

func TestVEX(t *testing.T) {
	all := filterFindings(t)
	tests := []struct {
		file        string
		digests     []string // the scanned image's
		wantRemoved []string
	}{
		{
			// not_affected through a subcomponent; latest of fixed/affected wins; qualifiers ignored;
			// under_investigation keeps the finding.
			file:        "v0.2.0.json",
			wantRemoved: []string{"golang.org/x/text CVE-2021-38561", "minimist NSWG-ECO-9004", "openssl CVE-2024-0001"},
		},
		{file: "v0.0.1.json", wantRemoved: []string{"lodash CVE-2021-23337"}},
		// A statement about the image as a whole covers every package in it, but only that image;
		// one about an image's subcomponents does not cover the rest of the image.
		{file: "image.json", digests: []string{"sha256:0123", "sha256:abc"}, wantRemoved: []string{"lodash CVE-2021-23337"}},
		{file: "image.json", digests: []string{"sha256:def"}},
		{file: "image.json"},
		{file: "v0.2.0.json", digests: []string{"sha256:abc"},
			wantRemoved: []string{"golang.org/x/text CVE-2021-38561", "minimist NSWG-ECO-9004", "openssl CVE-2024-0001"}},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+strings.Join(tt.digests, ","), func(t *testing.T) {
			v, err := ParseVEX(readTestdata(t, "vex/"+tt.file))
			if err != nil {
				t.Fatalf("ParseVEX() error = %v", err)
			}
			kept, n := v.Apply(all, tt.digests...)
			var removed []string
			for _, k := range keys(all) {
				if !strings.Contains(strings.Join(keys(kept), "\n")+"\n", k+"\n") {
					removed = append(removed, k)
				}
			}
			if diff := cmp.Diff(tt.wantRemoved, removed); diff != "" {
				t.Errorf("suppressed findings mismatch (-want +got):\n%s", diff)
			}
			if n != len(tt.wantRemoved) {
				t.Errorf("Apply() suppressed = %d, want %d", n, len(tt.wantRemoved))
			}
		})
	}
	for _, name := range []string{"bad-status.json", "no-justification.json", "not-openvex.json"} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseVEX(readTestdata(t, "vex/"+name)); !errors.Is(err, ErrInvalidVEX) {
				t.Errorf("ParseVEX() error = %v, want ErrInvalidVEX", err)
			}
		})
	}
}

func TestSamePURL(t *testing.T) {
	tests := []struct {
		want, have string
		same       bool
	}{
		{"pkg:npm/lodash", "pkg:npm/lodash@4.17.15", true},
		{"pkg:npm/lodash@4.17.15", "pkg:npm/lodash@4.17.15", true},
		{"pkg:npm/lodash@4.17.14", "pkg:npm/lodash@4.17.15", false},
		{"pkg:npm/lodash-es", "pkg:npm/lodash@4.17.15", false},
		{"pkg:npm/%40babel/core@7.0.0", "pkg:npm/@babel/core@7.0.0", true},
		{"pkg:npm/@babel/core", "pkg:npm/%40babel/core@7.0.0", true},
		{"pkg:NPM/lodash", "pkg:npm/lodash@1", true},
		{"pkg:deb/debian/openssl@3.0.11-1?arch=amd64", "pkg:deb/debian/openssl@3.0.11-1?arch=arm64&distro=debian-12", true},
		{"pkg:pypi/lodash", "pkg:npm/lodash@1", false},
		{"lodash", "pkg:npm/lodash@1", false},
	}
	for _, tt := range tests {
		if got := samePURL(tt.want, tt.have); got != tt.same {
			t.Errorf("samePURL(%q, %q) = %v, want %v", tt.want, tt.have, got, tt.same)
		}
	}
}

func FuzzParseIgnoreFile(f *testing.F) {
	paths, _ := filepath.Glob("testdata/ignore/*.yaml")
	for _, p := range paths {
		f.Add(readTestdata(f, strings.TrimPrefix(p, "testdata/")))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := ParseIgnoreFile(b)
		if err != nil {
			return
		}
		for _, r := range file.Ignore {
			if r.ID == "" || r.Reason == "" {
				t.Fatalf("accepted rule without id or reason: %+v", r)
			}
		}
		file.Apply([]finding.Finding{{ID: "CVE-1", Package: &finding.Package{Name: "a", PURL: "pkg:npm/a@1"}}}, time.Now())
	})
}

func FuzzParseVEX(f *testing.F) {
	paths, _ := filepath.Glob("testdata/vex/*.json")
	for _, p := range paths {
		f.Add(readTestdata(f, strings.TrimPrefix(p, "testdata/")))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseVEX(b)
		if err != nil {
			return
		}
		v.Apply([]finding.Finding{{ID: "CVE-1", Aliases: []string{"GHSA-1"}, Package: &finding.Package{Name: "a", PURL: "pkg:npm/a@1"}}})
	})
}

func TestIgnoreBySourcePackage(t *testing.T) {
	inv := &inventory.Inventory{Packages: []inventory.Package{
		{Type: inventory.TypeDpkg, Name: "libssl3", SourceName: "openssl", Version: "3.0.11-1~deb12u2", Ecosystem: "Debian:12", Path: "var/lib/dpkg/status"},
		{Type: inventory.TypeDpkg, Name: "openssl", Version: "3.0.11-1~deb12u2", Ecosystem: "Debian:12", Path: "var/lib/dpkg/status"},
	}}
	fs, _, err := New(loadSource(t), Options{Logger: slog.New(slog.DiscardHandler)}).Match(context.Background(), inv)
	if err != nil || len(fs) != 2 {
		t.Fatalf("Match() = %v, %v; want two findings", keys(fs), err)
	}
	for _, tt := range []struct {
		pkg  string
		kept []string
	}{
		{"openssl", nil}, // the source package covers both binaries
		{"libssl3", []string{"openssl CVE-2024-0001"}},
	} {
		f, err := ParseIgnoreFile([]byte("ignore:\n  - id: CVE-2024-0001\n    package: " + tt.pkg + "\n    reason: test\n"))
		if err != nil {
			t.Fatal(err)
		}
		kept, _, _ := f.Apply(fs, time.Now())
		if diff := cmp.Diff(tt.kept, keys(kept)); diff != "" {
			t.Errorf("package %s: kept mismatch (-want +got):\n%s", tt.pkg, diff)
		}
	}
}
