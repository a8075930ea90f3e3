package misconfig

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rampartsec/rampart/internal/mask"
	"github.com/rampartsec/rampart/internal/secret"
)

var (
	// secretName matches variable names that hold credentials.
	secretName = regexp.MustCompile(`(?i)passw(or)?d|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key|credential|(^|_)key$`)
	// publicName matches names that look secret but hold public or non-secret values: GPG key
	// fingerprints of official images, file paths, settings about a secret.
	publicName = regexp.MustCompile(`(?i)gpg|pgp|public|pubkey|fingerprint|keyring|keyserver|key_?id|(^|_)(file|path|dir|url|uri|name|user|username|id|version|length|size|type|header|endpoint|ttl|timeout|expiry|enabled|required|mode|env)$`)
	// reference matches a value that only refers to another variable: not a literal.
	reference = regexp.MustCompile(`^\$(\w+|\{[^}]*\})$`)
	benign    = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "none": true, "null": true}
)

// SecretVariable decides whether the variable NAME=value (an ENV, ARG or environment entry)
// holds a literal secret, and returns masked evidence "NAME=va****". A known
// credential format (the secret scanner's rules) counts whatever the name; otherwise a secret-like
// name with a literal value of four or more characters that is not a path, a boolean or a
// reference to another variable. s may be nil: then only the name test runs, and [mask.String]'s
// rules mask. A NAME that is itself a secret is masked in the evidence too.
func SecretVariable(s *secret.Scanner, name, value string) (string, bool) {
	if value == "" || reference.MatchString(value) {
		return "", false
	}
	masker := s
	if masker == nil {
		masker = mask.Scanner()
	}
	entry := name + "=" + value
	maskedName := masker.RedactPart(entry, 0, len(name))
	if s != nil {
		if ms := s.Scan("", []byte(entry)); len(ms) > 0 {
			return fmt.Sprintf("%s=%s (matches rule %s)", maskedName, s.RedactPart(entry, len(name)+1, len(entry)), ms[0].Rule.ID), true
		}
	}
	if !secretName.MatchString(name) || publicName.MatchString(name) {
		return "", false
	}
	if len([]rune(value)) < 4 || strings.HasPrefix(value, "/") || benign[strings.ToLower(value)] {
		return "", false
	}
	return maskedName + "=" + maskValue(value), true
}

// maskValue keeps the first two characters of a value.
func maskValue(v string) string {
	r := []rune(v)
	return string(r[:min(2, len(r))]) + strings.Repeat("*", min(len(r)-min(2, len(r)), 16))
}
