package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
)

// validator double-checks a candidate: secret is the captured value, after the content that
// follows it (for multi-line formats).
type validator func(secret, after []byte) bool

var validators = map[string]validator{
	"jwt":                 validJWT,
	"k8s-token":           validK8sToken,
	"docker-auth":         validDockerAuth,
	"private-key":         validPrivateKey,
	"not-placeholder":     notPlaceholder,
	"gcp-service-account": validGCPServiceAccount,
}

func decodeB64URL(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	return base64.RawURLEncoding.DecodeString(s)
}

// jwtParts decodes a JWT's header and payload; ok is false unless both are JSON objects and the
// header names an algorithm.
func jwtParts(secret []byte) (header, payload map[string]any, ok bool) {
	parts := strings.Split(string(secret), ".")
	if len(parts) != 3 {
		return nil, nil, false
	}
	hb, err1 := decodeB64URL(parts[0])
	pb, err2 := decodeB64URL(parts[1])
	if err1 != nil || err2 != nil || json.Unmarshal(hb, &header) != nil || json.Unmarshal(pb, &payload) != nil {
		return nil, nil, false
	}
	if _, ok := header["alg"]; !ok {
		return nil, nil, false
	}
	return header, payload, true
}

func validJWT(secret, _ []byte) bool {
	h, _, ok := jwtParts(secret)
	// Unsigned tokens ("alg": "none") grant nothing on their own.
	return ok && h["alg"] != "none"
}

func validK8sToken(secret, _ []byte) bool {
	_, p, ok := jwtParts(secret)
	if !ok {
		return false
	}
	if iss, _ := p["iss"].(string); iss == "kubernetes/serviceaccount" {
		return true
	}
	_, bound := p["kubernetes.io"]
	_, legacy := p["kubernetes.io/serviceaccount/service-account.name"]
	return bound || legacy
}

// validDockerAuth accepts a base64 "user:password" with a non-empty password.
func validDockerAuth(secret, _ []byte) bool {
	b, err := base64.StdEncoding.DecodeString(string(secret))
	if err != nil {
		return false
	}
	user, pass, ok := strings.Cut(string(b), ":")
	return ok && user != "" && len(pass) >= 3 && !isPlaceholder(pass)
}

var pemBody = regexp.MustCompile(`^-----\s*(?:\r?\n(?:[A-Za-z\-]+:[^\n]*\r?\n)*\s*)?((?:[A-Za-z0-9+/=]{16,}\r?\n?\s*){2,})`)

// validPrivateKey requires a base64 body after the BEGIN line, so that documentation mentioning
// "-----BEGIN RSA PRIVATE KEY-----" alone does not fire.
func validPrivateKey(_, after []byte) bool {
	m := pemBody.FindSubmatch(after)
	if m == nil {
		return false
	}
	body := bytes.Join(bytes.Fields(m[1]), nil)
	return len(body) >= 64 && !bytes.Contains(body, []byte("XXXXXXXXXXXXXXXX")) && !bytes.Contains(body, []byte("..."))
}

func validGCPServiceAccount(_, after []byte) bool {
	return bytes.Contains(after, []byte(`"private_key"`)) && bytes.Contains(after, []byte("PRIVATE KEY"))
}

func notPlaceholder(secret, _ []byte) bool { return !isPlaceholder(string(secret)) }

var placeholderRE = regexp.MustCompile(`(?i)^(?:\$\{?[A-Za-z_][\w.]*\}?|%\(?[\w.]+\)?s?|\{\{.*\}\}|<[^>]*>|\[[^\]]*\]|\*+|x{3,}|\.{3,}|#+|(?:your|example|sample|dummy|fake|changeme|change_me|replace_?me|redacted|placeholder)[\w\-.]*|(?:secret|password|passw0rd|passwd|pass|token|test|null|none|nil|undefined|true|false|empty|todo|tbd|admin|root|default)\d*|process\.env\.[\w.]+|os\.environ.*)$`)

var identChain = regexp.MustCompile(`^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$`)

// isPlaceholder recognises variable references, templating, and the usual stand-in words.
func isPlaceholder(s string) bool {
	s = strings.Trim(s, `"'`)
	if placeholderRE.MatchString(s) {
		return true
	}
	// Function calls and attribute chains (settings.API_KEY) are code, not values.
	return strings.ContainsAny(s, "()") || strings.Contains(s, "${") || strings.Contains(s, "{{") || identChain.MatchString(s)
}
