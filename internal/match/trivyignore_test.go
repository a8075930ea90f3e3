package match

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const trivyIgnore = `# Accepted risks, reviewed 2026-01-10
CVE-2021-23337
GHSA-29mw-wpgm-hmr9 exp:2026-03-01
# the Go one, by its Go ID
GO-2099-0002   exp:2099-01-01  # a trailing comment is a field too, and ignored

generic-secret-assignment
`

func TestParseTrivyIgnore(t *testing.T) {
	f, err := ParseIgnore(".trivyignore", []byte(trivyIgnore))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range f.Ignore {
		got = append(got, r.ID+" "+r.Expires+" "+r.Reason)
	}
	want := []string{
		"CVE-2021-23337  listed in .trivyignore",
		"GHSA-29mw-wpgm-hmr9 2026-03-01 listed in .trivyignore",
		"GO-2099-0002 2099-01-01 listed in .trivyignore",
		"generic-secret-assignment  listed in .trivyignore",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}

	// Trivy's expiry: the rule applies until the start of its date, UTC.
	fs := filterFindings(t)
	before := time.Date(2026, 2, 28, 23, 59, 0, 0, time.UTC)
	on := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	kept, n, warnings := f.Apply(fs, before)
	if slices.Contains(keys(kept), "lodash CVE-2021-23337") || slices.Contains(keys(kept), "golang.org/x/text GO-2099-0002") || n == 0 || len(warnings) != 0 {
		t.Errorf("before expiry: kept %v, %d ignored, warnings %q", keys(kept), n, warnings)
	}
	_, n2, warnings := f.Apply(fs, on)
	if len(warnings) != 1 || !strings.Contains(warnings[0], "GHSA-29mw-wpgm-hmr9") {
		t.Errorf("on the expiry date: warnings %q, want the GHSA rule's", warnings)
	}
	if n2 > n {
		t.Errorf("an expired rule ignores more: %d > %d", n2, n)
	}
}

func TestParseIgnoreDetectsTheForm(t *testing.T) {
	yamlRules, err := ParseIgnore("ignore.yaml", readTestdata(t, "ignore/valid.yaml"))
	if err != nil {
		t.Fatalf("Rampart's YAML: %v", err)
	}
	want, _ := ParseIgnoreFile(readTestdata(t, "ignore/valid.yaml"))
	if diff := cmp.Diff(want, yamlRules, cmp.AllowUnexported(IgnoreRule{})); diff != "" {
		t.Errorf("YAML read differently (-ParseIgnoreFile +ParseIgnore):\n%s", diff)
	}
	for _, empty := range []string{"", "# nothing yet\n\n"} {
		if f, err := ParseIgnore("x", []byte(empty)); err != nil || len(f.Ignore) != 0 {
			t.Errorf("ParseIgnore(%q) = %v, %v; want no rules", empty, f, err)
		}
	}
	// Every invalid YAML file of testdata stays an error: none reads as a list of IDs.
	bad, _ := filepath.Glob("testdata/ignore/*.yaml")
	for _, p := range bad {
		if filepath.Base(p) == "valid.yaml" {
			continue
		}
		b, _ := os.ReadFile(p)
		if _, err := ParseIgnore(p, b); !errors.Is(err, ErrInvalidIgnoreFile) {
			t.Errorf("%s: %v, want ErrInvalidIgnoreFile", p, err)
		}
	}
	if _, err := ParseIgnore(".trivyignore", []byte("CVE-2021-23337 exp:2026-13-01\n")); !errors.Is(err, ErrInvalidIgnoreFile) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad date: %v", err)
	}
}
