package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rampartsec/rampart/internal/inventory/inventorytest"
)

// file is an archive member: a name and its content.
type file = [2]string

var zipOf, tgzOf = inventorytest.Zip, inventorytest.TarGz

// walk returns the members Walk handed over, as "path=content" for text and "path" for
// archives, and its warnings.
func walk(t *testing.T, name string, b []byte, lim Limits) ([]string, []string) {
	t.Helper()
	var got []string
	warnings, err := Walk(context.Background(), name, b, lim, func(p string, data []byte) error {
		if Detect(p, data) != None {
			got = append(got, p)
		} else {
			got = append(got, p+"="+string(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, warnings
}

func TestWalkNested(t *testing.T) {
	inner := zipOf(t, file{"com/x/A.class", "class A"}, file{"deep.zip", string(zipOf(t, file{"d.txt", "deep"}))})
	war := zipOf(t,
		file{"WEB-INF/web.xml", "<web/>"},
		file{"WEB-INF/lib/inner.jar", string(inner)},
		file{"../../escape.txt", "clamped"},
		file{"dir/", ""},
	)
	got, warnings := walk(t, "srv/app.war", war, Limits{Depth: 2})
	want := []string{
		"srv/app.war!WEB-INF/web.xml=<web/>",
		"srv/app.war!WEB-INF/lib/inner.jar",
		"srv/app.war!WEB-INF/lib/inner.jar!com/x/A.class=class A",
		"srv/app.war!WEB-INF/lib/inner.jar!deep.zip",
		"srv/app.war!escape.txt=clamped",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"srv/app.war!WEB-INF/lib/inner.jar!deep.zip: archive nested deeper than 2 levels; its members not read"}, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// The default depth reads the third level.
	if got, warnings := walk(t, "srv/app.war", war, Limits{}); !strings.HasSuffix(got[len(got)-2], "deep.zip!d.txt=deep") || len(warnings) != 0 {
		t.Errorf("default depth: members %q, warnings %q", got, warnings)
	}
}

func TestWalkTarGz(t *testing.T) {
	b := tgzOf(t, file{"./etc/app.conf", "conf"}, file{"lib/x.jar", string(zipOf(t, file{"a.txt", "a"}))})
	got, warnings := walk(t, "opt/bundle.tgz", b, Limits{})
	want := []string{"opt/bundle.tgz!etc/app.conf=conf", "opt/bundle.tgz!lib/x.jar", "opt/bundle.tgz!lib/x.jar!a.txt=a"}
	if diff := cmp.Diff(want, got); diff != "" || len(warnings) != 0 {
		t.Errorf("members (-want +got):\n%s\nwarnings %q", diff, warnings)
	}
}

func TestWalkLimits(t *testing.T) {
	b := zipOf(t, file{"a", "1"}, file{"big", strings.Repeat("x", 100)}, file{"c", "3"}, file{"d", "4"})
	tests := []struct {
		name     string
		lim      Limits
		want     []string
		warnings []string
	}{
		{"member size", Limits{Member: 50}, []string{"z.zip!a=1", "z.zip!c=3", "z.zip!d=4"},
			[]string{"z.zip!big: 100 bytes, over the 50-byte archive member limit; not read"}},
		{"member count", Limits{Members: 2}, []string{"z.zip!a=1", "z.zip!big=" + strings.Repeat("x", 100)},
			[]string{"z.zip!c: over 2 archive members; it and the members after it not read"}},
		{"byte budget", Limits{Bytes: 50}, []string{"z.zip!a=1"},
			[]string{"z.zip!big: over the 50-byte budget for archive members; it and the members after it not read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings := walk(t, "z.zip", b, tt.lim)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
	// Warnings are bounded: the rest are counted.
	var many []file
	for range 30 {
		many = append(many, file{"big", strings.Repeat("x", 100)})
	}
	if _, warnings := walk(t, "z.zip", zipOf(t, many...), Limits{Member: 50}); len(warnings) != maxWarnings+1 || warnings[maxWarnings] != "z.zip: 20 more members not read" {
		t.Errorf("warnings = %q", warnings)
	}
}

func TestWalkNotAnArchive(t *testing.T) {
	for _, name := range []string{"x.jar", "x.tgz", "x.tar", "x.zip"} {
		got, warnings := walk(t, name, []byte("not an archive at all, whatever its name says"), Limits{})
		if len(got)+len(warnings) != 0 {
			t.Errorf("%s: members %q, warnings %q", name, got, warnings)
		}
	}
}

// TestWalkLyingMember: a member whose data runs past the size its header declares is not
// read, and is said to be not read.
func TestWalkLyingMember(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []file{{"a.txt", "hello"}, {"b.txt", "world"}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f[0], Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
	}
	zw.Close()
	// In the central directory, a.txt's sizes are followed by its name's length: 5, 5, 5.
	// Make its uncompressed size say 2 bytes.
	b := bytes.Replace(buf.Bytes(), []byte{5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 0, 0}, []byte{5, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 0, 0}, 1)
	got, warnings := walk(t, "x.zip", b, Limits{})
	if len(got) != 1 || got[0] != "x.zip!b.txt=world" || len(warnings) != 1 || !strings.HasPrefix(warnings[0], "x.zip!a.txt: not read") {
		t.Errorf("members %q, warnings %q", got, warnings)
	}
}

// FuzzWalk: whatever the input, Walk stays within its limits and names members under the
// outer file.
func FuzzWalk(f *testing.F) {
	f.Add("a.zip", zipOf(f, file{"x", "1"}, file{"in.zip", string(zipOf(f, file{"y", "2"}))}))
	f.Add("a.tgz", tgzOf(f, file{"x", "1"}, file{"in.tar.gz", string(tgzOf(f, file{"y", "2"}))}))
	f.Add("a.tar", []byte{})
	lim := Limits{Depth: 2, Members: 20, Bytes: 1 << 16, Member: 1 << 12}
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		var members int
		var bytes int64
		_, err := Walk(context.Background(), name, b, lim, func(p string, data []byte) error {
			members++
			bytes += int64(len(data))
			if !strings.HasPrefix(p, name+"!") || int64(len(data)) > lim.Member {
				t.Fatalf("member %q of %d bytes", p, len(data))
			}
			return nil
		})
		if err != nil || members > lim.Members || bytes > lim.Bytes {
			t.Fatalf("%d members, %d bytes, %v", members, bytes, err)
		}
	})
}
