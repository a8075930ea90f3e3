package secret

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"
)

// What is masked, wherever Rampart prints or stores text that may hold a secret (an evidence
// line, the build history, a field name, an error message):
//
//   - every match of every rule, not only the one a finding is about: a line often holds two
//     credentials, and a fallback rule that yields to a specific one still matched a secret;
//   - path-scoped rules (.npmrc, .netrc, kubeconfig) wherever the text comes from: `_authToken=`
//     in a build command is the same credential as in an .npmrc;
//   - every other copy of a matched value, which its rule's context would not match again
//     ("aws_secret_access_key=K … echo K");
//   - the base64 body of a PEM private key, which the private-key rule reports by its header
//     line only — with real or escaped ("\n", as in a JSON service-account key) line breaks.

// span is a byte range [start, end) of a text that holds a secret or a part of one. cut is set
// when the range was clipped at its start, so that its leading characters are not the secret's.
type span struct {
	start, end int
	cut        bool
}

// minCopy is the shortest matched value whose other copies in a text are masked too: shorter
// values (a four-letter password) would mask ordinary words.
const minCopy = 8

// Redact returns text with every secret masked (see the package documentation), for strings
// Rampart prints as they are: an image's build history, error messages, log lines.
func (s *Scanner) Redact(text string) string {
	return s.RedactPart(text, 0, len(text))
}

// RedactPart returns text[from:to] with every secret masked, the secrets being found in the whole
// of text: the name of an environment variable "NAME=value" is RedactPart(entry, 0, len(NAME)),
// masked even when only the value's context shows the name is a token. A secret cut by from
// shows no leading characters.
func (s *Scanner) RedactPart(text string, from, to int) string {
	from, to = max(0, from), min(len(text), to)
	if from >= to {
		return ""
	}
	sp := s.maskSpans([]byte(text), nil)
	if len(sp) == 0 {
		return text[from:to]
	}
	return render(text, merge(sp), from, to)
}

// maskSpans returns the ranges of text to hide: the candidates of every rule, path-scoped ones
// included, the other copies of their values and of values (found elsewhere in the same content),
// and the bodies of private keys.
func (s *Scanner) maskSpans(text []byte, values [][]byte) []span {
	var out []span
	for _, c := range s.candidates("", text, true) {
		out = append(out, span{start: c.start, end: c.end})
		values = append(values, text[c.start:c.end])
	}
	out = append(out, copies(text, values)...)
	return append(out, pemBodies(text)...)
}

// copies returns every occurrence in text of each value of at least minCopy bytes.
func copies(text []byte, values [][]byte) []span {
	var out []span
	for _, v := range values {
		if len(v) < minCopy {
			continue
		}
		for off := 0; ; {
			i := bytes.Index(text[off:], v)
			if i < 0 {
				break
			}
			out = append(out, span{start: off + i, end: off + i + len(v)})
			off += i + len(v)
		}
	}
	return out
}

// evidence is the line holding m with every secret on it masked — the candidates of the content
// (cands), the matches of every rule on the line itself, copies of the content's secrets —
// cut to about 60 bytes either side of m.
func (s *Scanner) evidence(content []byte, m Match, cands []Match) string {
	ls := bytes.LastIndexByte(content[:m.start], '\n') + 1
	le := bytes.IndexByte(content[m.end:], '\n')
	if le < 0 {
		le = len(content)
	} else {
		le += m.end
	}
	line := content[ls:le]
	var values [][]byte
	var sp []span
	for _, c := range cands {
		values = append(values, content[c.start:c.end])
		if c.start < le && c.end > ls {
			sp = append(sp, span{start: max(c.start, ls) - ls, end: min(c.end, le) - ls, cut: c.start < ls})
		}
	}
	sp = merge(append(sp, s.maskSpans(line, values)...))
	// The merged span holding m's own start is the masked value at the centre of the excerpt.
	own := span{start: m.start - ls, end: m.end - ls}
	if i := slices.IndexFunc(sp, func(x span) bool { return x.start <= own.start && own.start < x.end }); i >= 0 {
		own = sp[i]
	}
	text := string(line)
	before := render(text, sp, 0, own.start)
	after := render(text, sp, own.end, len(text))
	before = before[max(0, len(before)-60):]
	after = after[:min(len(after), 60)]
	ev := before + maskOne(text[own.start:own.end], own.cut) + after
	return strings.TrimSpace(strings.ToValidUTF8(ev, "?"))
}

// merge sorts spans and joins those that overlap.
func merge(sp []span) []span {
	if len(sp) < 2 {
		return sp
	}
	slices.SortFunc(sp, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	out := sp[:1]
	for _, x := range sp[1:] {
		last := &out[len(out)-1]
		if x.start < last.end {
			last.end = max(last.end, x.end)
			continue
		}
		out = append(out, x)
	}
	return out
}

// render writes text[from:to] with the (merged, sorted) spans masked; a span cut by from or to
// is masked as far as it reaches.
func render(text string, sp []span, from, to int) string {
	var b strings.Builder
	pos := from
	for _, x := range sp {
		if x.end <= pos || x.start >= to {
			continue
		}
		st, en := max(x.start, pos), min(x.end, to)
		b.WriteString(text[pos:st])
		b.WriteString(maskOne(text[st:en], x.cut || st > x.start))
		pos = en
	}
	b.WriteString(text[pos:to])
	return b.String()
}

// maskOne masks one secret: [Mask] when s is where the secret starts, only stars when it is a
// part cut from a longer one (its leading characters are no prefix a reader may know).
func maskOne(s string, cut bool) string {
	if !cut {
		return Mask(s)
	}
	return strings.Repeat("*", min(max(utf8.RuneCountInString(s), 1), 32))
}

// pemBodies finds the base64 bodies after "PRIVATE KEY-----" (and "PRIVATE KEY BLOCK-----")
// headers: lines separated by real or escaped line breaks, header fields such as
// "Proc-Type: 4,ENCRYPTED" skipped, up to the END line. A body needs 32 base64 characters.
func pemBodies(text []byte) []span {
	var out []span
	for off := 0; ; {
		i := bytes.Index(text[off:], []byte("PRIVATE KEY"))
		if i < 0 {
			return out
		}
		p := off + i + len("PRIVATE KEY")
		p += len(prefixOf(text[p:], " BLOCK"))
		off = p
		if !bytes.HasPrefix(text[p:], []byte("-----")) {
			continue
		}
		p += 5
		if sp, ok := pemBodyAt(text, p); ok {
			out = append(out, sp)
			off = sp.end
		}
	}
}

// pemBodyAt reads a PEM body starting at p (just after a header's dashes).
func pemBodyAt(text []byte, p int) (span, bool) {
	start, end, n := -1, -1, 0
	for p < len(text) {
		switch c := text[p]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			p++
		case c == '\\' && p+1 < len(text) && (text[p+1] == 'n' || text[p+1] == 'r'):
			p += 2
		case bytes.HasPrefix(text[p:], []byte("-----")):
			return span{start: start, end: end}, n >= 32
		default:
			if start < 0 && isHeaderField(text[p:]) {
				// A header field ("DEK-Info: AES-128-CBC,…"): skip to the end of its line.
				for p < len(text) && text[p] != '\n' && !(text[p] == '\\' && p+1 < len(text) && text[p+1] == 'n') {
					p++
				}
				continue
			}
			w := p
			for w < len(text) && isB64(text[w]) {
				w++
			}
			if w == p || (w-p < 16 && text[p] != '=' && !bytes.HasPrefix(skipBreaks(text[w:]), []byte("-----"))) {
				// Not base64, or a short word: prose after a header, not a key.
				return span{start: start, end: end}, n >= 32
			}
			if start < 0 {
				start = p
			}
			n += w - p
			end, p = w, w
		}
	}
	return span{start: start, end: end}, n >= 32
}

// skipBreaks drops leading white space and escaped line breaks.
func skipBreaks(b []byte) []byte {
	for len(b) > 0 {
		switch {
		case b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n':
			b = b[1:]
		case b[0] == '\\' && len(b) > 1 && (b[1] == 'n' || b[1] == 'r'):
			b = b[2:]
		default:
			return b
		}
	}
	return b
}

// isHeaderField reports whether b starts with a PEM header field name and its colon.
func isHeaderField(b []byte) bool {
	n := 0
	for n < len(b) && (b[n] == '-' || b[n] >= 'A' && b[n] <= 'Z' || b[n] >= 'a' && b[n] <= 'z') {
		n++
	}
	return n > 0 && n < len(b) && b[n] == ':'
}

func prefixOf(b []byte, p string) string {
	if bytes.HasPrefix(b, []byte(p)) {
		return p
	}
	return ""
}

func isB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}
