package secret

import (
	"bytes"
	"math"
	"regexp"
	"slices"
	"strings"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// Scanner matches the rules against contents. It is safe for concurrent use.
type Scanner struct {
	rules      []*Rule
	ac         ahocorasick.AhoCorasick
	kwRules    [][]int // keyword index → rule indexes
	allowPaths []*regexp.Regexp
}

// Match is one secret found in a content.
type Match struct {
	Rule *Rule
	// Line is 1-based.
	Line int
	// Masked is the secret with all but a few leading characters replaced by stars.
	Masked string
	// Evidence is the line holding the secret, with the secret masked, cut to a readable length.
	Evidence string
	// start and end are the secret's byte offsets in the content; not exported so that callers
	// cannot reach the secret itself.
	start, end int
}

// New compiles the built-in rules merged with user (nil for none).
func New(user *Config) (*Scanner, error) {
	rs, ap, err := rules(user)
	if err != nil {
		return nil, err
	}
	allow := ap
	if user == nil || !user.NoDefaultAllowPaths {
		allow = append(defaultAllowPaths(), ap...)
	}
	s := &Scanner{rules: rs, allowPaths: allow}
	idx := map[string]int{}
	var kws []string
	for ri, r := range rs {
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			i, ok := idx[k]
			if !ok {
				i = len(kws)
				idx[k] = i
				kws = append(kws, k)
				s.kwRules = append(s.kwRules, nil)
			}
			if !slices.Contains(s.kwRules[i], ri) {
				s.kwRules[i] = append(s.kwRules[i], ri)
			}
		}
	}
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{AsciiCaseInsensitive: true, MatchKind: ahocorasick.StandardMatch, DFA: true})
	s.ac = b.Build(kws)
	return s, nil
}

// Rules returns the active rules in priority order.
func (s *Scanner) Rules() []*Rule { return s.rules }

// Skip reports whether a file path is never scanned: documentation, locale data, package
// databases, images and fonts, lock files, and user allow-paths.
func (s *Scanner) Skip(path string) bool {
	for _, re := range s.allowPaths {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

// Scan finds secrets in content, read from path (used by path-scoped rules). Overlapping matches
// of several rules keep the first rule in priority order. Each match's evidence line has every
// secret on it masked, not only the match's own: see [Scanner.Redact].
func (s *Scanner) Scan(path string, content []byte) []Match {
	cands := s.candidates(path, content, false)
	if len(cands) == 0 {
		return nil
	}
	kept := dedupe(s.rules, slices.Clone(cands))
	for i := range kept {
		kept[i].Evidence = s.evidence(content, kept[i], cands)
	}
	return kept
}

// candidates returns every match of every rule that passes the rule's checks, before overlaps
// are settled and without evidence. anyPath runs path-scoped rules whatever the path: for
// masking, where a credential in the format of .npmrc or .netrc is one wherever it is printed.
func (s *Scanner) candidates(path string, content []byte, anyPath bool) []Match {
	// Pass 1: which rules have a keyword in the content, and on which lines.
	type hit struct{ rule, lineStart int }
	var hits []hit
	seen := map[[2]int]bool{}
	it := s.ac.IterOverlappingByte(content)
	for m := it.Next(); m != nil; m = it.Next() {
		ls := bytes.LastIndexByte(content[:m.Start()], '\n') + 1
		for _, ri := range s.kwRules[m.Pattern()] {
			if seen[[2]int{ri, ls}] {
				continue
			}
			seen[[2]int{ri, ls}] = true
			hits = append(hits, hit{rule: ri, lineStart: ls})
		}
	}
	if len(hits) == 0 {
		return nil
	}
	// Pass 2: each rule's regex on a window around its hits: the hit line plus a few lines after,
	// for patterns that span lines (.netrc stanzas, PEM bodies).
	var out []Match
	done := map[[2]int]bool{}
	for _, h := range hits {
		r := s.rules[h.rule]
		if !anyPath && len(r.paths) > 0 && !anyMatch(r.paths, path) {
			continue
		}
		// Most rules match within the keyword's line; a rule with `lines: N` sees N lines before
		// and after it too (.netrc's "password" comes lines after "machine").
		ws := windowStart(content, h.lineStart, r.Lines)
		we := windowEnd(content, h.lineStart, r.Lines, 4096)
		for _, loc := range r.re.FindAllSubmatchIndex(content[ws:we], -1) {
			st, en := loc[2*r.group]+ws, loc[2*r.group+1]+ws
			if st < 0 || en <= st || done[[2]int{h.rule, st}] {
				continue
			}
			done[[2]int{h.rule, st}] = true
			secret := content[st:en]
			if !s.accept(r, secret, content, en) {
				continue
			}
			if r.keyDeny != nil {
				if g := r.re.SubexpIndex("key"); g > 0 && loc[2*g] >= 0 && r.keyDeny.Match(content[loc[2*g]+ws:loc[2*g+1]+ws]) {
					continue
				}
			}
			out = append(out, Match{
				Rule:   r,
				Line:   bytes.Count(content[:st], []byte{'\n'}) + 1,
				Masked: Mask(string(secret)),
				start:  st,
				end:    en,
			})
		}
	}
	return out
}

// accept applies a rule's entropy, allowlist and validator to a candidate.
func (s *Scanner) accept(r *Rule, secret, content []byte, end int) bool {
	if r.Entropy > 0 && entropy(secret) < r.Entropy {
		return false
	}
	for _, a := range r.allow {
		if a.Match(secret) {
			return false
		}
	}
	if r.validate != nil && !r.validate(secret, content[end:min(len(content), end+16384)]) {
		return false
	}
	return true
}

// dedupe drops matches whose secret overlaps a match of a rule with higher priority.
func dedupe(rules []*Rule, ms []Match) []Match {
	prio := map[*Rule]int{}
	for i, r := range rules {
		prio[r] = i
	}
	slices.SortStableFunc(ms, func(a, b Match) int {
		if prio[a.Rule] != prio[b.Rule] {
			return prio[a.Rule] - prio[b.Rule]
		}
		return a.start - b.start
	})
	var kept []Match
	for _, m := range ms {
		if slices.ContainsFunc(kept, func(k Match) bool { return m.start < k.end && k.start < m.end }) {
			continue
		}
		// A fallback rule (the generic assignment) yields to any specific rule on the same line.
		if m.Rule.Fallback && slices.ContainsFunc(kept, func(k Match) bool { return k.Line == m.Line && !k.Rule.Fallback }) {
			continue
		}
		kept = append(kept, m)
	}
	slices.SortFunc(kept, func(a, b Match) int { return a.start - b.start })
	return kept
}

// Mask keeps up to four leading characters of a secret (fewer for short ones) and stars the rest.
func Mask(s string) string {
	r := []rune(s)
	keep := 4
	if len(r) < 12 {
		keep = len(r) / 4
	}
	n := max(len(r)-keep, 1)
	return string(r[:keep]) + strings.Repeat("*", min(n, 32))
}

// windowStart returns the start of the line lines before the line starting at ls.
func windowStart(b []byte, ls, lines int) int {
	for range lines {
		if ls == 0 {
			break
		}
		ls = bytes.LastIndexByte(b[:ls-1], '\n') + 1
	}
	return ls
}

// windowEnd returns the end of the window starting at ws spanning lines more lines (at most max bytes).
func windowEnd(b []byte, ws, lines, maxBytes int) int {
	end := min(len(b), ws+maxBytes)
	p := ws
	for range lines + 1 {
		i := bytes.IndexByte(b[p:end], '\n')
		if i < 0 {
			return end
		}
		p += i + 1
	}
	return p
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// entropy is the Shannon entropy of b in bits per byte.
func entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	var h float64
	n := float64(len(b))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// defaultAllowPaths are paths that hold documentation, translations, package metadata or media:
// scanning them costs time and yields examples, not credentials.
func defaultAllowPaths() []*regexp.Regexp {
	pats := []string{
		`^usr/share/(?:doc|man|info|locale|i18n|zoneinfo|mime|icons|fonts|pixmaps|X11|terminfo|perl5?|vim|bash-completion|lintian)/`,
		`^usr/include/`,
		// Language runtimes' own trees, as the distribution ships them: the standard libraries of
		// Python, Ruby, Java and Perl are full of the words "token", "secret" and "password".
		`^usr/lib/(?:python[23][^/]*|ruby|jvm|[a-z0-9_]+-linux-gnu[a-z]*)/`,
		`^usr/share/(?:rubygems-integration|ca-certificates|common-licenses|python3|gcc|maven-repo|java)/`,
		`^etc/ssl/certs/`,
		`^var/lib/(?:dpkg|apt|rpm)/`, `^var/cache/(?:apt|debconf)/`, `^var/log/`,
		`^lib/apk/db/`, `^usr/lib/sysimage/rpm/`,
		`(?i)\.(?:png|jpe?g|gif|bmp|ico|webp|svgz|woff2?|ttf|otf|eot|mp3|mp4|ogg|wav|pdf|pyc|class|mo|xz|bz2|zst|so(?:\.\d+)*|a|o)$`,
		`(?:^|/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|go\.sum|Cargo\.lock|poetry\.lock|Pipfile\.lock|composer\.lock|Gemfile\.lock)$`,
		`(?:^|/)node_modules/[^/]+/(?:CHANGELOG|HISTORY|README)(?:\.md)?$`,
	}
	out := make([]*regexp.Regexp, len(pats))
	for i, p := range pats {
		out[i] = regexp.MustCompile(p)
	}
	return out
}
