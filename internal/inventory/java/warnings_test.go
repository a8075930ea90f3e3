package java

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
)

// TestAnalyzeWarnsOfWhatItLeftOut: an archive read in part gives its packages and a warning
// for every part left out, in the result (not only in a log), so that the scan reports them
// whether the layer came from the cache or not.
func TestAnalyzeWarnsOfWhatItLeftOut(t *testing.T) {
	pom := func(g, a, v string) [2]string {
		return [2]string{"META-INF/maven/" + g + "/" + a + "/pom.properties", "groupId=" + g + "\nartifactId=" + a + "\nversion=" + v + "\n"}
	}
	// level3.jar in level2.jar in level1.jar in app.jar: level3 is MaxDepth deep, and what it
	// holds is not read.
	deep := zipOf(t, pom("g", "level4", "4"))
	for i := MaxDepth; i >= 1; i-- {
		deep = zipOf(t, pom("g", "level"+string(rune('0'+i)), "1"), [2]string{"lib/inner.jar", string(deep)})
	}
	deepApp := zipOf(t, pom("g", "app", "1"), [2]string{"lib/level1.jar", string(deep)})
	tests := []struct {
		name     string
		data     []byte
		want     []string
		warnings []string
	}{
		{"nested deeper than the limit", deepApp,
			[]string{"g:app@1", "g:level1@1", "g:level2@1", "g:level3@1"},
			[]string{"archive partly read: inner.jar: 1 archives nested deeper than 3 levels not read"}},
		{"nested archive broken", zipOf(t, pom("g", "a", "1"), [2]string{"WEB-INF/lib/broken.jar", "PK\x03\x04garbage"}),
			[]string{"g:a@1"},
			[]string{"archive partly read: app.jar!/WEB-INF/lib/broken.jar: open zip: zip: not a valid zip file"}},
		{"shaded dependency without a version", zipOf(t, pom("g", "a", "1"), pom("org.shaded", "lib", "")),
			[]string{"g:a@1"},
			[]string{"archive partly read: app.jar: inventory: package without a version left out: org.shaded:lib"}},
		{"own pom without a version, identified by the manifest", zipOf(t, pom("g", "a", ""),
			[2]string{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nImplementation-Title: a\nImplementation-Version: 2.0\nImplementation-Vendor-Id: g\n"}),
			[]string{"g:a@2.0"}, nil},
		{"nothing but a pom without a version", zipOf(t, pom("g", "a", "")),
			nil,
			[]string{"archive partly read: app.jar: inventory: package without a version left out: g:a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Analyzer{}.Analyze(context.Background(), &inventory.File{Path: "srv/app.jar", Content: bytes.NewReader(tt.data), Size: int64(len(tt.data))})
			if err != nil || res == nil {
				t.Fatalf("Analyze = %v, %v; want a result", res, err)
			}
			if diff := cmp.Diff(tt.want, coords(res.Packages)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, res.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			for _, w := range res.Warnings {
				if strings.Contains(w, "\n") {
					t.Errorf("warning on several lines: %q", w)
				}
			}
		})
	}
}
