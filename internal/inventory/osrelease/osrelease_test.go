package osrelease

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
)

// The testdata files are os-release files as the distributions ship them: debian12 is this
// Debian 12 host's own; the others were written out from the releases' published files.
func TestParseFiles(t *testing.T) {
	tests := []struct {
		file string
		want inventory.OS
	}{
		{"debian12", inventory.OS{Family: "debian", Version: "12", Name: "Debian GNU/Linux 12 (bookworm)", Codename: "bookworm"}},
		{"ubuntu2204", inventory.OS{Family: "ubuntu", Version: "22.04", Name: "Ubuntu 22.04.4 LTS", Codename: "jammy"}},
		{"alpine320", inventory.OS{Family: "alpine", Version: "3.20.3", Name: "Alpine Linux v3.20"}},
		{"rhel93", inventory.OS{Family: "rhel", Version: "9.3", Name: "Red Hat Enterprise Linux 9.3 (Plow)"}},
		{"rocky93", inventory.OS{Family: "rocky", Version: "9.3", Name: "Rocky Linux 9.3 (Blue Onyx)"}},
		// Google's distroless images carry Debian's ID and release under their own name; that
		// they are distroless is told by dpkg's status.d (see TestDistrolessEndToEnd).
		{"distroless", inventory.OS{Family: "debian", Version: "12", Name: "Distroless"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, Parse(bytes.NewReader(b))); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
			res, err := (Analyzer{}).Analyze(context.Background(), &inventory.File{Path: "etc/os-release",
				Content: bytes.NewReader(b), Size: int64(len(b))})
			if err != nil || res == nil || res.OS == nil {
				t.Fatalf("Analyze() = %+v, %v", res, err)
			}
			if diff := cmp.Diff(tt.want, *res.OS); diff != "" {
				t.Errorf("Analyze() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     inventory.OS
	}{
		{"empty", "", inventory.Unknown},
		{"no ID", "NAME=Something\nVERSION_ID=1\n", inventory.Unknown},
		{"empty ID", "ID=\"\"\n", inventory.Unknown},
		{"ID outside the allowed characters", "ID=\"deb ian\"\n", inventory.Unknown},
		{"ID with invalid UTF-8", "ID=\x97\x97\n", inventory.Unknown},
		{"comments, blanks, junk", "# comment\n\n  \nnot a pair\nID=Fedora\nVERSION_ID=40\n", inventory.OS{Family: "fedora", Version: "40"}},
		{"single quotes and escapes", "ID='debian'\nPRETTY_NAME=\"say \\\"hi\\\" \\$HOME\"\n", inventory.OS{Family: "debian", Name: `say "hi" $HOME`}},
		{"redhat alias", "ID=redhat\nVERSION_ID=8\n", inventory.OS{Family: "rhel", Version: "8"}},
		{"debian sid has no VERSION_ID", "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\nVERSION_CODENAME=trixie\n",
			inventory.OS{Family: "debian", Name: "Debian GNU/Linux trixie/sid", Codename: "trixie"}},
		{"crlf", "ID=alpine\r\nVERSION_ID=3.19.1\r\n", inventory.OS{Family: "alpine", Version: "3.19.1"}},
		{"last assignment wins", "ID=ubuntu\nID=debian\n", inventory.OS{Family: "debian"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Parse(strings.NewReader(tt.in))); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAlpineRelease(t *testing.T) {
	tests := []struct {
		in     string
		want   inventory.OS
		wantOK bool
	}{
		{"3.20.3\n", inventory.OS{Family: "alpine", Version: "3.20.3", Name: "Alpine Linux v3.20"}, true},
		{"3.9.6", inventory.OS{Family: "alpine", Version: "3.9.6", Name: "Alpine Linux v3.9"}, true},
		{"3.21_alpha20240807\n", inventory.OS{Family: "alpine", Version: "3.21_alpha20240807", Name: "Alpine Linux"}, true},
		{"", inventory.OS{}, false},
		{"\n3.20.3\n", inventory.OS{}, false},
		{"edge", inventory.OS{}, false},
		{"3.20 beta", inventory.OS{}, false},
		{strings.Repeat("1", 65), inventory.OS{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseAlpineRelease([]byte(tt.in))
		if ok != tt.wantOK {
			t.Errorf("ParseAlpineRelease(%q) ok = %v, want %v", tt.in, ok, tt.wantOK)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseAlpineRelease(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
	// The fallback agrees with what Alpine's own os-release says.
	b, err := os.ReadFile(filepath.Join("testdata", "alpine320"))
	if err != nil {
		t.Fatal(err)
	}
	fromRelease, _ := ParseAlpineRelease([]byte("3.20.3\n"))
	if diff := cmp.Diff(Parse(bytes.NewReader(b)), fromRelease); diff != "" {
		t.Errorf("alpine-release and os-release disagree (-os-release +alpine-release):\n%s", diff)
	}
}

func TestAnalyze(t *testing.T) {
	analyze := func(path, content string, size int64) *inventory.Result {
		t.Helper()
		res, err := (Analyzer{}).Analyze(context.Background(), &inventory.File{Path: path,
			Content: strings.NewReader(content), Size: size})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := analyze("etc/alpine-release", "3.20.3\n", 7); res == nil || res.OS.Family != "alpine" {
		t.Errorf("alpine-release: %+v", res)
	}
	if res := analyze("etc/alpine-release", "garbage", 7); res != nil {
		t.Errorf("bad alpine-release: %+v, want nil", res)
	}
	if res := analyze("usr/lib/os-release", "NAME=x\n", 7); res != nil {
		t.Errorf("os-release without ID: %+v, want nil", res)
	}
	if res := analyze("etc/os-release", "ID=debian\n", maxSize+1); res != nil {
		t.Errorf("oversized file: %+v, want nil", res)
	}
	for p, want := range map[string]bool{"etc/os-release": true, "usr/lib/os-release": true,
		"etc/alpine-release": true, "etc/lsb-release": false, "usr/etc/os-release": false} {
		if got := (Analyzer{}).Required(p, nil); got != want {
			t.Errorf("Required(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("3.20.3\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o := Parse(bytes.NewReader(b))
		if o.Family == "" {
			t.Fatal("empty family")
		}
		if n := len(o.Family) + len(o.Version) + len(o.Name) + len(o.Codename); n > len(b)+len("unknown") {
			t.Fatalf("%d bytes of output from %d of input", n, len(b))
		}
		if o, ok := ParseAlpineRelease(b); ok && (o.Family != "alpine" || o.Version == "" || len(o.Version) > 64) {
			t.Fatalf("ParseAlpineRelease = %+v", o)
		}
	})
}
