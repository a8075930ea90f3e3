package analysis

import (
	"context"
	"io/fs"
	"testing"

	"github.com/rampartsec/rampart/internal/inventory"
)

func TestPathFilterSkip(t *testing.T) {
	tests := []struct {
		pf    PathFilter
		path  string
		isDir bool
		want  bool
	}{
		{PathFilter{SkipDirs: []string{"/usr/lib/ruby"}}, "usr/lib/ruby/gems/3.1.0/specifications/rake.gemspec", false, true},
		{PathFilter{SkipDirs: []string{"usr/lib/ruby"}}, "usr/lib/ruby", true, true},
		{PathFilter{SkipDirs: []string{"usr/lib/ruby"}}, "usr/lib/rubyx/a", false, false},
		{PathFilter{SkipDirs: []string{"usr/lib/ruby"}}, "usr/lib", true, false},
		{PathFilter{SkipDirs: []string{"**/node_modules"}}, "node_modules/lodash/package.json", false, true},
		{PathFilter{SkipDirs: []string{"**/node_modules"}}, "srv/app/node_modules/lodash/package.json", false, true},
		{PathFilter{SkipDirs: []string{"**/node_modules"}}, "srv/app/package-lock.json", false, false},
		{PathFilter{SkipDirs: []string{"./srv/*/test"}}, "srv/app/test/fixtures/.env", false, true},
		{PathFilter{SkipDirs: []string{"srv/*/test"}}, "srv/a/b/test/x", false, false},
		{PathFilter{SkipFiles: []string{"**/*.jar"}}, "opt/app/lib/log4j-core-2.14.1.jar", false, true},
		{PathFilter{SkipFiles: []string{"**/*.jar"}}, "opt/app/lib.jar", true, false}, // a directory is not a file
		{PathFilter{SkipFiles: []string{"app/.env"}}, "app/.env", false, true},
		{PathFilter{SkipFiles: []string{"app/.env"}}, "srv/app/.env", false, false},
		{PathFilter{SkipFiles: []string{"usr/local/bin/goapp-*"}}, "usr/local/bin/goapp-go1.20", false, true},
		{PathFilter{}, "anything", false, false},
	}
	for _, tt := range tests {
		if got := tt.pf.Skip(tt.path, tt.isDir); got != tt.want {
			t.Errorf("%+v.Skip(%q, dir=%v) = %v, want %v", tt.pf, tt.path, tt.isDir, got, tt.want)
		}
	}
}

func TestPathFilterCheck(t *testing.T) {
	if err := (PathFilter{SkipDirs: []string{"**/node_modules", "/usr/lib"}, SkipFiles: []string{"*.pem"}}).Check(); err != nil {
		t.Errorf("valid patterns: %v", err)
	}
	for _, pf := range []PathFilter{{SkipDirs: []string{"a/[b"}}, {SkipFiles: []string{"/"}}} {
		if err := pf.Check(); err == nil {
			t.Errorf("%+v: no error", pf)
		}
	}
}

type dirStub struct{}

func (dirStub) Name() string                                                        { return "stub" }
func (dirStub) Version() int                                                        { return 7 }
func (dirStub) Required(string, fs.FileInfo) bool                                   { return true }
func (dirStub) WantsDirectories() bool                                              { return true }
func (dirStub) Analyze(context.Context, *inventory.File) (*inventory.Result, error) { return nil, nil }

// The wrapped analyzers keep what the walker asks of them: names, versions, directory entries,
// and a cache key that differs from the unfiltered one and between filters.
func TestSkipPathsKeepsAnalyzerContract(t *testing.T) {
	plain := []inventory.Analyzer{dirStub{}}
	if got := SkipPaths(plain, PathFilter{}); len(got) != 1 || got[0] != plain[0] {
		t.Fatal("an empty filter changed the analyzers")
	}
	a := SkipPaths(plain, PathFilter{SkipDirs: []string{"x"}})
	b := SkipPaths(plain, PathFilter{SkipDirs: []string{"y"}})
	if a[0].Name() != "stub" || a[0].Version() != 7 {
		t.Errorf("name/version %s@%d", a[0].Name(), a[0].Version())
	}
	if d, ok := a[0].(DirAnalyzer); !ok || !d.WantsDirectories() {
		t.Error("the wrapper hides WantsDirectories")
	}
	if a[0].Required("x/y", fakeInfo{}) || !a[0].Required("z/y", fakeInfo{}) {
		t.Error("the wrapper does not skip x/ or skips z/")
	}
	ka, kb, k0 := analyzersKey(a), analyzersKey(b), analyzersKey(plain)
	if ka == kb || ka == k0 {
		t.Errorf("cache keys do not tell the filters apart: %q %q %q", ka, kb, k0)
	}
}

type fakeInfo struct{ fs.FileInfo }

func (fakeInfo) IsDir() bool { return false }
