// Package termtext makes text from scanned artifacts, clusters and registries safe to print: the
// one function every table and error line escapes with. It imports nothing of Rampart, so that
// renderers at every layer (report, graph, the CLI) share it.
package termtext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes text from a scanned artifact, cluster or registry safe to print on a terminal and in a table: names,
// versions and paths come from files an image author controls, and an escape sequence or a
// newline in them could rewrite the screen or forge rows. Control characters (C0, DEL, C1) and
// invalid UTF-8 are shown escaped, "\x1b"; everything else is kept.
func Clean(s string) string {
	ok := true
	for _, c := range s {
		if c == utf8.RuneError || unicode.IsControl(c) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unicode.IsControl(c):
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
