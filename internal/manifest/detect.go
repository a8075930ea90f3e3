package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/regularfile"
)

// ErrNotRegular means a path names a named pipe, socket or device. Such files are never opened:
// opening a named pipe blocks until something writes to it, reading a device may never end.
var ErrNotRegular = errors.New("not a regular file")

// ErrNotManifest means a .yaml, .yml or .json file holds no Kubernetes object (no document with
// apiVersion and kind): a values file, a CI workflow, a package.json. [LoadInput] skips it.
var ErrNotManifest = errors.New("not a Kubernetes manifest")

// NotRegularError returns the error wrapping [ErrNotRegular] for path, of type mode.
func NotRegularError(path string, mode fs.FileMode) error {
	return fmt.Errorf("%s: %w: it is %s", path, ErrNotRegular, regularfile.Kind(mode))
}

// CheckRegular returns nil when path is a regular file or a directory (symbolic links
// followed), the error of [NotRegularError] when it is anything else, and os.Stat's error when
// it cannot be read.
func CheckRegular(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Mode().IsRegular() || st.IsDir() {
		return nil
	}
	return NotRegularError(path, st.Mode())
}

// openRegular opens path for reading if it is a regular file (see package regularfile).
func openRegular(path string) (*os.File, error) {
	if err := CheckRegular(path); err != nil {
		return nil, err
	}
	f, _, err := regularfile.Open(path)
	var re *regularfile.Error
	if errors.As(err, &re) {
		return nil, NotRegularError(path, re.Mode)
	}
	return f, err
}

// readLimited reads a regular file of at most kube.MaxManifestSize bytes.
func readLimited(p string) ([]byte, error) {
	f, err := openRegular(p)
	if err != nil {
		if errors.Is(err, ErrNotRegular) {
			return nil, err
		}
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, kube.MaxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if len(data) > kube.MaxManifestSize {
		return nil, fmt.Errorf("%w: %s: larger than %d bytes", kube.ErrInvalid, p, kube.MaxManifestSize)
	}
	return data, nil
}

// Looks of a manifest that does not parse: a top-level apiVersion and kind, in YAML or JSON.
var (
	yamlAPIVersion = regexp.MustCompile(`(?m)^(?:- )?apiVersion[ \t]*:`)
	yamlKind       = regexp.MustCompile(`(?m)^(?:- )?kind[ \t]*:`)
	jsonAPIVersion = regexp.MustCompile(`"apiVersion"\s*:`)
	jsonKind       = regexp.MustCompile(`"kind"\s*:`)
)

// ParseFile decodes a manifest file's documents into snap, as [kube.ParseManifest] does, after
// telling a manifest from another YAML or JSON file by its content: a file none of whose
// documents has apiVersion and kind is an error wrapping [ErrNotManifest], and so is one that
// does not parse and does not look like a manifest either. JSON (a .json file, or any file
// whose content is one JSON value) is decoded as JSON, not as YAML, whose escapes and
// duplicate-key rules differ.
func ParseFile(name string, data []byte, snap *kube.Snapshot) error {
	trimmed := bytes.TrimSpace(data)
	isJSON := strings.HasSuffix(strings.ToLower(name), ".json") ||
		len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid(trimmed)
	if isJSON {
		if !json.Valid(data) {
			if !jsonAPIVersion.Match(data) || !jsonKind.Match(data) {
				return fmt.Errorf("%s: %w", name, ErrNotManifest)
			}
			return jsonSyntaxError(name, data)
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil || !hasObject(v) {
			return fmt.Errorf("%s: %w", name, ErrNotManifest)
		}
		return kube.ParseManifest(name, jsonToYAML(data), snap)
	}
	found, err := yamlHasObject(data)
	switch {
	case err != nil && (!yamlAPIVersion.Match(data) || !yamlKind.Match(data)):
		return fmt.Errorf("%s: %w", name, ErrNotManifest)
	case err == nil && !found:
		return fmt.Errorf("%s: %w", name, ErrNotManifest)
	}
	return kube.ParseManifest(name, data, snap)
}

// jsonSyntaxError names the line of a JSON syntax error.
func jsonSyntaxError(name string, data []byte) error {
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("%w: %s:%d: %v", kube.ErrInvalid, name, line, se)
	}
	return fmt.Errorf("%w: %s: %v", kube.ErrInvalid, name, err)
}

// hasObject reports whether a decoded JSON value is, or lists, a Kubernetes object.
func hasObject(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		api, _ := v["apiVersion"].(string)
		kind, _ := v["kind"].(string)
		return api != "" && kind != ""
	case []any:
		for _, it := range v {
			if hasObject(it) {
				return true
			}
		}
	}
	return false
}

// yamlHasObject reports whether any YAML document of data has apiVersion and kind.
func yamlHasObject(data []byte) (bool, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	found := false
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return found, nil
		}
		if err != nil {
			return found, err
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		m := doc.Content[0]
		var api, kind bool
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Value != "" {
				api = api || k.Value == "apiVersion"
				kind = kind || k.Value == "kind"
			}
		}
		found = found || api && kind
	}
}

// jsonToYAML rewrites valid JSON as YAML that decodes to the same value, line for line (so that
// locations stay right): strings are re-escaped with the escapes YAML knows (JSON's \/ and
// surrogate pairs are not among them, nor are raw control characters allowed), and of members
// with the same key, which YAML refuses, the last is kept, as encoding/json keeps it.
func jsonToYAML(data []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(data))
	c := jsonCopier{data: data, out: &out}
	c.value()
	c.space()
	return out.Bytes()
}

// jsonCopier copies one valid JSON value from data[pos:] to out.
type jsonCopier struct {
	data []byte
	pos  int
	out  *bytes.Buffer
}

// space copies whitespace.
func (c *jsonCopier) space() {
	start := c.pos
	for c.pos < len(c.data) && strings.IndexByte(" \t\r\n", c.data[c.pos]) >= 0 {
		c.pos++
	}
	c.out.Write(c.data[start:c.pos])
}

func (c *jsonCopier) value() {
	c.space()
	if c.pos >= len(c.data) {
		return
	}
	switch c.data[c.pos] {
	case '"':
		c.str()
	case '{':
		c.object()
	case '[':
		c.out.WriteByte('[')
		c.pos++
		for {
			c.space()
			if c.data[c.pos] == ']' {
				break
			}
			c.value()
			c.space()
			if c.data[c.pos] == ',' {
				c.out.WriteByte(',')
				c.pos++
			}
		}
		c.out.WriteByte(']')
		c.pos++
	default: // number, true, false, null: the same in YAML
		start := c.pos
		for c.pos < len(c.data) && strings.IndexByte(" \t\r\n,]}", c.data[c.pos]) < 0 {
			c.pos++
		}
		c.out.Write(c.data[start:c.pos])
	}
}

// object copies an object, leaving out (but for their line breaks) the members whose key comes
// again later.
func (c *jsonCopier) object() {
	type member struct {
		key  string
		text []byte
	}
	var members []member
	outer := c.out
	c.pos++ // {
	lead := &bytes.Buffer{}
	c.out = lead
	c.space()
	for c.data[c.pos] != '}' {
		var m bytes.Buffer
		c.out = &m
		start := c.pos
		c.str()
		var key string
		json.Unmarshal(c.data[start:c.pos], &key)
		c.space()
		c.out.WriteByte(':')
		c.pos++
		c.value()
		c.space()
		if c.data[c.pos] == ',' {
			c.out.WriteByte(',')
			c.pos++
			c.space()
		}
		members = append(members, member{key, m.Bytes()})
	}
	c.pos++ // }
	c.out = outer
	last := map[string]int{}
	for i, m := range members {
		last[m.key] = i
	}
	c.out.WriteByte('{')
	c.out.Write(lead.Bytes())
	for i, m := range members {
		if last[m.key] == i {
			c.out.Write(m.text)
			continue
		}
		// Dropped: a member followed by a later one, so its comma goes with it.
		c.out.Write(bytes.Repeat([]byte("\n"), bytes.Count(m.text, []byte("\n"))))
	}
	c.out.WriteByte('}')
}

// str copies a JSON string as a YAML double-quoted scalar of the same value.
func (c *jsonCopier) str() {
	start := c.pos
	c.pos++
	for c.data[c.pos] != '"' {
		if c.data[c.pos] == '\\' {
			c.pos++
		}
		c.pos++
	}
	c.pos++
	var s string
	json.Unmarshal(c.data[start:c.pos], &s)
	c.out.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			c.out.WriteByte('\\')
			c.out.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			c.out.WriteRune(r)
		case yamlPrintable(r):
			c.out.WriteRune(r)
		case r <= 0xffff:
			c.out.WriteString(`\u` + leftPad(strconv.FormatInt(int64(r), 16), 4))
		default:
			c.out.WriteString(`\U` + leftPad(strconv.FormatInt(int64(r), 16), 8))
		}
	}
	c.out.WriteByte('"')
}

// yamlPrintable reports whether YAML takes r, beyond ASCII, unescaped in a double-quoted
// scalar as itself (NEL, LS and PS are line breaks to it).
func yamlPrintable(r rune) bool {
	if r == 0xfeff || r == 0x2028 || r == 0x2029 { // a byte order mark, YAML line breaks
		return false
	}
	return r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= utf8.MaxRune
}

func leftPad(s string, n int) string { return strings.Repeat("0", max(0, n-len(s))) + s }
