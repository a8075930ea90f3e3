package analysis

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
)

// optAnalyzer reports every "*.opt" file as a finding named after its option, as the secret
// and malware analyzers report what their rules find.
type optAnalyzer struct{ opt string }

func (optAnalyzer) Name() string { return "test-opt" }
func (optAnalyzer) Version() int { return 1 }
func (optAnalyzer) Required(p string, _ fs.FileInfo) bool {
	return strings.HasSuffix(p, ".opt")
}
func (o optAnalyzer) Analyze(context.Context, *inventory.File) (*inventory.Result, error) {
	return &inventory.Result{Findings: []finding.Finding{{Kind: finding.KindSecret, ID: o.opt}}}, nil
}
func (o optAnalyzer) CacheKey() string { return o.opt }

// TestCacheKeyHasTheOptions: a run with other options does not get the results of the first.
func TestCacheKeyHasTheOptions(t *testing.T) {
	art := artifactOf(t, tarBytes(t, entry2{name: "x.opt", body: "x"}))
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []string{"a", "b", "a", "b"} {
		res, err := New([]inventory.Analyzer{optAnalyzer{opt}}, Config{Cache: c}).Analyze(context.Background(), art)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 1 || res.Findings[0].ID != opt {
			t.Errorf("option %s: findings %+v", opt, res.Findings)
		}
	}
	if Key("sha256:x", []inventory.Analyzer{optAnalyzer{"a"}}) == Key("sha256:x", []inventory.Analyzer{optAnalyzer{"b"}}) {
		t.Error("analyzers with other options share a key")
	}
}
