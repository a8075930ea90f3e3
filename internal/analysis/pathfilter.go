package analysis

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync/atomic"

	"github.com/rampartsec/rampart/internal/inventory"
)

// PathFilter leaves paths out of every analyzer's sight (`--skip-dirs`, `--skip-files`): a file
// in a skipped directory, or a skipped file, is neither inventoried nor scanned for secrets or
// malware, in any layer. Patterns are globs over the slash-separated path relative to the root
// (a leading "/" or "./" is dropped): `*`, `?` and `[…]` as in [path.Match] within one segment,
// and `**` for any number of segments, as Trivy takes them. A directory pattern also skips what is
// below the directories it matches.
type PathFilter struct {
	SkipDirs  []string
	SkipFiles []string
}

// Empty reports whether the filter skips nothing.
func (pf PathFilter) Empty() bool { return len(pf.SkipDirs) == 0 && len(pf.SkipFiles) == 0 }

// Check returns an error naming the first malformed pattern.
func (pf PathFilter) Check() error {
	for _, set := range []struct {
		flag     string
		patterns []string
	}{{"--skip-dirs", pf.SkipDirs}, {"--skip-files", pf.SkipFiles}} {
		for _, p := range set.patterns {
			if cleanPattern(p) == "" {
				return fmt.Errorf("%s: bad pattern %q: names no path", set.flag, p)
			}
			for _, seg := range strings.Split(cleanPattern(p), "/") {
				if _, err := path.Match(seg, ""); err != nil {
					return fmt.Errorf("%s: bad pattern %q: %w", set.flag, p, err)
				}
			}
		}
	}
	return nil
}

// Skip reports whether p (slash-separated, relative to the root) is left out: p or one of its
// parent directories matches a directory pattern, or p matches a file pattern and is not a
// directory.
func (pf PathFilter) Skip(p string, isDir bool) bool {
	for _, pat := range pf.SkipDirs {
		pat = cleanPattern(pat)
		for dir := p; dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
			if ok, _ := globMatch(pat, dir); ok {
				return true
			}
		}
	}
	if isDir {
		return false
	}
	for _, pat := range pf.SkipFiles {
		if ok, _ := globMatch(cleanPattern(pat), p); ok {
			return true
		}
	}
	return false
}

func cleanPattern(p string) string {
	p = strings.TrimPrefix(p, "./")
	return strings.Trim(p, "/")
}

// globMatch matches name against pattern segment by segment; "**" stands for zero or more
// segments.
func globMatch(pattern, name string) (bool, error) {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(pat, name []string) (bool, error) {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if ok, err := matchSegments(pat[1:], name[i:]); ok || err != nil {
					return ok, err
				}
			}
			return false, nil
		}
		if len(name) == 0 {
			return false, nil
		}
		ok, err := path.Match(pat[0], name[0])
		if !ok || err != nil {
			return false, err
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0, nil
}

// SkipPaths returns analyzers that do not want what pf skips; analyzers itself when pf is empty.
// The filter is part of each returned analyzer's cache key, so a layer analyzed with other
// filters is analyzed again.
func SkipPaths(analyzers []inventory.Analyzer, pf PathFilter) []inventory.Analyzer {
	if pf.Empty() {
		return analyzers
	}
	d := &skipDecision{pf: pf, key: fmt.Sprintf("skip-dirs=%q skip-files=%q", pf.SkipDirs, pf.SkipFiles)}
	out := make([]inventory.Analyzer, len(analyzers))
	for i, a := range analyzers {
		out[i] = skipping{a, d}
	}
	return out
}

// skipDecision is shared by the wrapped analyzers: every analyzer is asked about each entry in
// turn, so the last path's answer is kept for the next one to ask.
type skipDecision struct {
	pf   PathFilter
	key  string
	last atomic.Pointer[lastSkip]
}

type lastSkip struct {
	path  string
	isDir bool
	skip  bool
}

func (d *skipDecision) skip(p string, isDir bool) bool {
	if l := d.last.Load(); l != nil && l.path == p && l.isDir == isDir {
		return l.skip
	}
	s := d.pf.Skip(p, isDir)
	d.last.Store(&lastSkip{p, isDir, s})
	return s
}

// skipping is an analyzer behind a path filter. It keeps what the walker asks of the analyzer
// it wraps: its cache key, and whether it wants directories.
type skipping struct {
	inventory.Analyzer
	d *skipDecision
}

func (s skipping) Required(p string, info fs.FileInfo) bool {
	return !s.d.skip(p, info.IsDir()) && s.Analyzer.Required(p, info)
}

func (s skipping) CacheKey() string {
	key := ""
	if c, ok := s.Analyzer.(inventory.Configured); ok {
		key = c.CacheKey()
	}
	return key + "\x00" + s.d.key
}

func (s skipping) WantsDirectories() bool {
	d, ok := s.Analyzer.(DirAnalyzer)
	return ok && d.WantsDirectories()
}
