package dockerfile

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/misconfig/misconfigtest"
	"github.com/rampartsec/rampart/internal/secret"
)

func newTestLinter(t testing.TB) *Linter {
	t.Helper()
	s, err := secret.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return NewLinter(s)
}

// readExpect reads a hand-written NAME.expect: one "ID LINE" per expected finding, # comments.
// The expectations were written from the Dockerfile and the check descriptions, the way hadolint's
// rule tests are, not from Rampart's output.
func readExpect(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestLintExpectations(t *testing.T) {
	l := newTestLinter(t)
	files, err := filepath.Glob("testdata/*.Dockerfile")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".Dockerfile")
		t.Run(name, func(t *testing.T) {
			f, err := ReadFile(path, filepath.Base(path))
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			fs := l.Lint(f)
			misconfigtest.CheckControls(t, misconfig.Controls(Profile, Checks(), fs, ""), fs, Checks())
			for _, fd := range fs {
				got = append(got, fmt.Sprintf("%s %d", fd.ID, fd.Location.Line))
				if fd.Location.Path != filepath.Base(path) {
					t.Errorf("%s: path %q, want %q", fd.ID, fd.Location.Path, filepath.Base(path))
				}
			}
			slices.Sort(got)
			want := readExpect(t, strings.TrimSuffix(path, ".Dockerfile")+".expect")
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEveryCheckTested makes sure each check has a testdata file where it fires and a negative
// file (dfNNN-neg) next to it.
func TestEveryCheckTested(t *testing.T) {
	expects, _ := filepath.Glob("testdata/*.expect")
	fired := map[string]bool{}
	for _, e := range expects {
		for _, line := range readExpect(t, e) {
			fired[strings.Fields(line)[0]] = true
		}
	}
	for _, c := range Checks() {
		if !fired[c.ID] {
			t.Errorf("%s: no testdata file expects it", c.ID)
		}
		neg := filepath.Join("testdata", strings.ToLower(c.ID)+"-neg.Dockerfile")
		if _, err := os.Stat(neg); err != nil {
			t.Errorf("%s: no negative case: %v", c.ID, err)
		}
	}
}

func TestCheckDefinitions(t *testing.T) {
	seen := map[string]bool{}
	for i, c := range Checks() {
		if want := fmt.Sprintf("DF%03d", i+1); c.ID != want {
			t.Errorf("check %d has ID %s, want %s (IDs are stable and in order)", i, c.ID, want)
		}
		if seen[c.ID] {
			t.Errorf("duplicate ID %s", c.ID)
		}
		seen[c.ID] = true
		if c.Title == "" || c.Rationale == "" || c.Remediation == "" || c.Severity.Rank() == 0 {
			t.Errorf("%s: incomplete definition %+v", c.ID, c)
		}
	}
}

func TestFindingFields(t *testing.T) {
	l := newTestLinter(t)
	f, err := ReadFile("testdata/df010-pos.Dockerfile", "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	fs := l.Lint(f)
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	for _, fd := range fs {
		if fd.Kind != "misconfig" || fd.Severity != SecretEnv.Severity || fd.Remediation == "" {
			t.Errorf("finding %+v", fd)
		}
		if len(fd.Compliance) != 1 || fd.Compliance[0].Standard != "CIS-Docker" || fd.Compliance[0].Control != "4.10" {
			t.Errorf("compliance %+v", fd.Compliance)
		}
		for _, leak := range []string{"hunter2hunter2", "AKIAQ3EGRX7MZ5SNWKPT", "s3cr3t-value", "4f8Qz2LmN7vX1cR9tY6wK3pB0sD5hJ8aE2uI"} {
			if strings.Contains(fd.Evidence, leak) {
				t.Errorf("evidence %q leaks the secret", fd.Evidence)
			}
		}
	}
	// The harmless name on line 6 is caught by the secret scanner's AWS rule, not by the name.
	i := slices.IndexFunc(fs, func(fd findingT) bool { return fd.Location.Line == 6 })
	if i < 0 || !strings.Contains(fs[i].Evidence, "aws-access-key-id") {
		t.Errorf("line 6 finding should name the secret rule: %+v", fs)
	}
	// Without a scanner, only names count.
	for _, fd := range NewLinter(nil).Lint(f) {
		if fd.Location.Line == 6 {
			t.Errorf("name-only linter flagged UPLOAD_CFG: %+v", fd)
		}
	}
}

type findingT = finding.Finding
