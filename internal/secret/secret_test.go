package secret

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/rampartsec/rampart/internal/inventory"
)

type labelled struct {
	File string `yaml:"file"`
	Rule string `yaml:"rule"`
	Line int    `yaml:"line"`
}

func newScanner(t testing.TB) *Scanner {
	t.Helper()
	s, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// scanCorpus runs the analyzer on every corpus file, as the layer walker would.
func scanCorpus(t *testing.T, s *Scanner) (got []labelled, matches map[string][]Match) {
	t.Helper()
	root := "testdata/corpus"
	matches = map[string][]Match{}
	a := NewAnalyzer(s, AnalyzerOptions{})
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, "expected.yaml") {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, _ := d.Info()
		// Path-scoped rules see the path as it would be inside an image.
		imagePath := strings.TrimPrefix(strings.TrimPrefix(rel, "positives/"), "negatives/")
		if !a.Required(imagePath, info) {
			return nil
		}
		f, _ := os.Open(p)
		defer f.Close()
		res, err := a.Analyze(context.Background(), &inventory.File{Path: imagePath, Info: info, Content: f, Size: info.Size()})
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		if res != nil {
			for _, fd := range res.Findings {
				got = append(got, labelled{File: rel, Rule: fd.ID, Line: fd.Location.Line})
			}
		}
		b, _ := os.ReadFile(p)
		matches[rel] = s.Scan(imagePath, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, matches
}

// TestCorpusRecallPrecision checks every rule against the labelled corpus: recall and precision
// must both be 1.0 per rule, and every rule must be exercised.
func TestCorpusRecallPrecision(t *testing.T) {
	s := newScanner(t)
	b, err := os.ReadFile("testdata/corpus/expected.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var want []labelled
	if err := yaml.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	got, _ := scanCorpus(t, s)
	key := func(l labelled) string { return fmt.Sprintf("%s:%d:%s", l.File, l.Line, l.Rule) }
	wantSet, gotSet := map[string]bool{}, map[string]bool{}
	for _, w := range want {
		wantSet[key(w)] = true
	}
	for _, g := range got {
		gotSet[key(g)] = true
	}
	type stat struct{ tp, fp, fn int }
	stats := map[string]*stat{}
	for _, r := range s.Rules() {
		stats[r.ID] = &stat{}
	}
	for k := range gotSet {
		rule := k[strings.LastIndex(k, ":")+1:]
		if wantSet[k] {
			stats[rule].tp++
		} else {
			stats[rule].fp++
			t.Errorf("false positive: %s", k)
		}
	}
	for k := range wantSet {
		if !gotSet[k] {
			stats[k[strings.LastIndex(k, ":")+1:]].fn++
			t.Errorf("missed: %s", k)
		}
	}
	ids := make([]string, 0, len(stats))
	for id := range stats {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		st := stats[id]
		if st.tp == 0 {
			t.Errorf("rule %s is not exercised by the corpus", id)
			continue
		}
		t.Logf("%-28s recall %.2f precision %.2f (tp %d fp %d fn %d)", id,
			float64(st.tp)/float64(st.tp+st.fn), float64(st.tp)/float64(st.tp+st.fp), st.tp, st.fp, st.fn)
	}
}

// TestNoFullSecretInOutput checks that neither the masked value, the evidence, nor the JSON form
// of any finding contains a secret in full.
func TestNoFullSecretInOutput(t *testing.T) {
	s := newScanner(t)
	_, matches := scanCorpus(t, s)
	for file, ms := range matches {
		b, _ := os.ReadFile(filepath.Join("testdata/corpus", file))
		for _, m := range ms {
			secret := string(b[m.start:m.end])
			f := m.Finding(Location(file, m.Line))
			js, _ := json.Marshal(f)
			for what, out := range map[string]string{"masked": m.Masked, "evidence": m.Evidence, "json": string(js)} {
				if len(secret) >= 6 && strings.Contains(out, secret) {
					t.Errorf("%s:%d %s: %s holds the full secret", file, m.Line, m.Rule.ID, what)
				}
			}
			if !strings.Contains(m.Evidence, "*") {
				t.Errorf("%s:%d: evidence %q is not masked", file, m.Line, m.Evidence)
			}
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AKIAABCDEFGHIJKLMNOP", "AKIA****************"},
		{"short", "s****"},
		{"ab", "**"},
		{strings.Repeat("x", 100), "xxxx" + strings.Repeat("*", 32)},
		{"😀😀😀", "***"}, // 12 bytes, 3 characters
		{"", "*"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUserConfig(t *testing.T) {
	cfg, err := parseConfig([]byte(`
rules:
  - id: acme-token
    title: ACME internal token
    severity: HIGH
    keywords: [acme_]
    regex: '\b(?P<secret>acme_[a-z0-9]{24})\b'
disable: [jwt]
`), "user")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, r := range s.Rules() {
		ids = append(ids, r.ID)
	}
	if slices.Contains(ids, "jwt") || !slices.Contains(ids, "acme-token") || ids[len(ids)-1] != "generic-secret-assignment" {
		t.Fatalf("rules = %v: want acme-token added before the generic rule and jwt disabled", ids)
	}
	ms := s.Scan("x", []byte("TOKEN_VALUE=acme_0123456789abcdefghijklmn\n"))
	if len(ms) != 1 || ms[0].Rule.ID != "acme-token" {
		t.Errorf("matches = %+v, want one acme-token (the generic rule must yield to it)", ms)
	}
	for _, bad := range []string{"rules: [{id: x, severity: HIGH, regex: 'a'}]", "rules: [{id: x, severity: HIGH, keywords: [a], regex: '('}]", "rules: [{id: x, severity: SEVERE, keywords: [a], regex: 'a'}]"} {
		c, err := parseConfig([]byte(bad), "bad")
		if err == nil {
			_, err = New(c)
		}
		if err == nil {
			t.Errorf("config %q accepted", bad)
		}
	}
}

func TestScanConfig(t *testing.T) {
	s := newScanner(t)
	tok := "ghp_" + strings.Repeat("aB3", 12)
	fs := s.ScanConfig([]string{"PATH=/usr/bin", "GH_TOKEN=" + tok}, map[string]string{"maintainer": "x"}, nil, nil,
		[]string{"/bin/sh -c #(nop) ADD file:abc in /", "|1 NPM_TOKEN=npm_" + strings.Repeat("Zq9", 12) + " /bin/sh -c npm ci"})
	var got []string
	for _, f := range fs {
		got = append(got, f.ID+"@"+f.Location.Field)
	}
	want := []string{"github-token@env:GH_TOKEN", "npm-token@history:1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestArchivesAndBinaries(t *testing.T) {
	s := newScanner(t)
	a := NewAnalyzer(s, AnalyzerOptions{})
	key, _ := os.ReadFile("testdata/corpus/positives/keys/id_rsa")
	zipped := zipOf(t, map[string][]byte{"WEB-INF/classes/id_rsa": key, "lib/inner.jar": zipOf(t, map[string][]byte{"conf/key.pem": key})})
	res, err := a.Analyze(context.Background(), memFile("app/app.war", zipped))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range res.Findings {
		paths = append(paths, f.Location.Path)
	}
	slices.Sort(paths)
	want := []string{"app/app.war!WEB-INF/classes/id_rsa", "app/app.war!lib/inner.jar!conf/key.pem"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	bin := append([]byte{0x7f, 'E', 'L', 'F', 0, 0}, key...)
	if res, _ := a.Analyze(context.Background(), memFile("usr/bin/tool", bin)); res != nil {
		t.Errorf("binary file scanned by default: %+v", res.Findings)
	}
	ab := NewAnalyzer(s, AnalyzerOptions{IncludeBinaries: true})
	if res, _ := ab.Analyze(context.Background(), memFile("usr/bin/tool", bin)); res == nil {
		t.Error("IncludeBinaries did not scan the binary")
	}
}

func FuzzScan(f *testing.F) {
	filepath.WalkDir("testdata/corpus", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			f.Add(b)
		}
		return nil
	})
	s := newScanner(f)
	a := NewAnalyzer(s, AnalyzerOptions{})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range s.Scan("root/.kube/config", b) {
			if m.start < 0 || m.end > len(b) || m.start >= m.end {
				t.Fatalf("bad span %d..%d", m.start, m.end)
			}
		}
		a.Analyze(context.Background(), memFile("x.zip", b))
		s.Redact(string(b))
	})
}

func TestRedact(t *testing.T) {
	s := newScanner(t)
	tok := "npm_" + strings.Repeat("Ab9", 12)
	in := "|1 NPM_TOKEN=" + tok + " /bin/sh -c npm ci"
	got := s.Redact(in)
	if strings.Contains(got, tok) || !strings.Contains(got, "npm_*") || !strings.HasSuffix(got, " /bin/sh -c npm ci") {
		t.Errorf("Redact(%q) = %q", in, got)
	}
	if plain := "/bin/sh -c apt-get update"; s.Redact(plain) != plain {
		t.Errorf("Redact changed a string without secrets")
	}
}

func TestDefaultAllowPaths(t *testing.T) {
	s := newScanner(t)
	for p, want := range map[string]bool{
		"usr/lib/python3.11/secrets.py":           true,
		"usr/lib/ruby/3.1.0/net/http.rb":          true,
		"usr/share/doc/openssl/README":            true,
		"srv/app/config/settings.py":              false,
		"usr/local/lib/python3.11/site.py":        false,
		"root/.docker/config.json":                false,
		"usr/lib/x86_64-linux-gnu/perl/5.36/C.pm": true,
	} {
		if got := s.Skip(p); got != want {
			t.Errorf("Skip(%s) = %v, want %v", p, got, want)
		}
	}
	all, err := New(&Config{NoDefaultAllowPaths: true})
	if err != nil {
		t.Fatal(err)
	}
	if all.Skip("usr/lib/python3.11/secrets.py") {
		t.Error("no-default-allow-paths still skips the defaults")
	}
}

// countingReaderAt records how many bytes were read from a file's content.
type countingReaderAt struct {
	r io.ReaderAt
	n int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += n
	return n, err
}

// TestBinaryHeadNotWholeFile checks that a large file the walker did not hold in memory is judged
// by its head: a binary is not read whole, a text file of the same size still is and its secret
// found.
func TestBinaryHeadNotWholeFile(t *testing.T) {
	s := newScanner(t)
	a := NewAnalyzer(s, AnalyzerOptions{MaxFileSize: 10 << 20})
	key, _ := os.ReadFile("testdata/corpus/positives/keys/id_rsa")
	filler := bytes.Repeat([]byte("log line without anything secret in it\n"), 80_000)
	for _, tt := range []struct {
		name      string
		head      []byte
		wantFound bool
		maxRead   int
	}{
		{"binary", []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0}, false, binarySniffLen},
		{"text", []byte("# notes\n"), true, -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := append(append(append([]byte{}, tt.head...), filler...), key...)
			f := memFile("srv/data/blob", b)
			cr := &countingReaderAt{r: f.Content}
			f.Content = cr
			res, err := a.Analyze(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			if found := res != nil && len(res.Findings) > 0; found != tt.wantFound {
				t.Errorf("found = %v, want %v", found, tt.wantFound)
			}
			if tt.maxRead >= 0 && cr.n > tt.maxRead {
				t.Errorf("read %d bytes of a %d-byte binary, want at most %d", cr.n, len(b), tt.maxRead)
			}
		})
	}
}
