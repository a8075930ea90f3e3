package regaudit

import (
	"strings"
)

// Challenge is one parsed WWW-Authenticate challenge: its scheme ("basic", "bearer", lower
// case) and its parameters (names lower case).
type Challenge struct {
	Scheme string
	Params map[string]string
}

// maxChallengeHeader bounds how much of a header is parsed: a registry's header is untrusted.
const maxChallengeHeader = 8 << 10

// ParseChallenge reads the first challenge of a WWW-Authenticate header value (RFC 7235):
// `Bearer realm="https://auth/token",service="registry",scope="repository:a:pull"`. Quoted
// strings may hold backslash escapes and commas. It returns false when the value holds no
// scheme. Parameters after a second scheme are ignored.
func ParseChallenge(h string) (Challenge, bool) {
	if len(h) > maxChallengeHeader {
		h = h[:maxChallengeHeader]
	}
	h = strings.TrimLeft(h, " \t")
	i := strings.IndexAny(h, " \t")
	scheme := h
	if i >= 0 {
		scheme, h = h[:i], h[i:]
	} else {
		h = ""
	}
	if scheme == "" || !isToken(scheme) {
		return Challenge{}, false
	}
	c := Challenge{Scheme: strings.ToLower(scheme), Params: map[string]string{}}
	for {
		h = strings.TrimLeft(h, " \t,")
		if h == "" {
			return c, true
		}
		// name
		j := 0
		for j < len(h) && isTokenChar(h[j]) {
			j++
		}
		if j == 0 {
			return c, true // garbage: keep what was read
		}
		key := strings.ToLower(h[:j])
		h = strings.TrimLeft(h[j:], " \t")
		if h == "" || h[0] != '=' {
			// A bare token after the parameters starts the next challenge (or is token68).
			return c, true
		}
		h = strings.TrimLeft(h[1:], " \t")
		var val string
		if h != "" && h[0] == '"' {
			var b strings.Builder
			k := 1
			for ; k < len(h) && h[k] != '"'; k++ {
				if h[k] == '\\' && k+1 < len(h) {
					k++
				}
				b.WriteByte(h[k])
			}
			val = b.String()
			h = h[min(k+1, len(h)):]
		} else {
			k := 0
			for k < len(h) && h[k] != ',' && h[k] != ' ' && h[k] != '\t' {
				k++
			}
			val, h = h[:k], h[k:]
		}
		if _, dup := c.Params[key]; !dup {
			c.Params[key] = val
		}
	}
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// isTokenChar is RFC 7230's tchar.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
