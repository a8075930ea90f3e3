package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/rampartsec/rampart/internal/regularfile"
	"github.com/rampartsec/rampart/internal/result"
)

// FormatTemplate renders a scan report with a user's Go text/template (--format template).
const FormatTemplate = "template"

// ErrTemplate is wrapped by errors in a template's text (it does not parse, or names no file).
var ErrTemplate = errors.New("report: invalid template")

// Template is a parsed --template.
type Template struct {
	t *template.Template
}

// TemplateFuncs are the helpers a template may call besides text/template's own.
var TemplateFuncs = template.FuncMap{
	// toJson writes a value as compact JSON ({{ toJson .artifact }}).
	"toJson": func(v any) (string, error) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimSuffix(buf.String(), "\n"), nil
	},
	// join joins a list with a separator ({{ join .aliases ", " }}); nil is "".
	"join": func(list any, sep string) (string, error) {
		switch l := list.(type) {
		case nil:
			return "", nil
		case []string:
			return strings.Join(l, sep), nil
		case []any:
			parts := make([]string, len(l))
			for i, v := range l {
				parts[i] = text(v)
			}
			return strings.Join(parts, sep), nil
		}
		return "", fmt.Errorf("join: want a list, got %T", list)
	},
	"upper": func(v any) string { return strings.ToUpper(text(v)) },
	"lower": func(v any) string { return strings.ToLower(text(v)) },
	// replace replaces every old in v with new ({{ replace .title "|" "\\|" }} in a Markdown table).
	"replace": func(v any, old, new string) string { return strings.ReplaceAll(text(v), old, new) },
	// escapeXML escapes text for XML content and attribute values (JUnit reports).
	"escapeXML": func(v any) (string, error) {
		var buf bytes.Buffer
		if err := xml.EscapeText(&buf, []byte(text(v))); err != nil {
			return "", err
		}
		return buf.String(), nil
	},
}

// text is v as a template prints it, but "" for a missing value (nil) rather than "<no value>".
func text(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// maxTemplateFile bounds a --template file.
const maxTemplateFile = 16 << 20

// ParseTemplate reads a --template value: "@FILE" (Trivy's form) or a path names a file; a value
// holding "{{" is the template's own text. Errors wrap [ErrTemplate], or the file's error.
func ParseTemplate(value string) (*Template, error) {
	text := value
	if file, ok := strings.CutPrefix(value, "@"); ok || !strings.Contains(value, "{{") {
		if ok && file == "" {
			return nil, fmt.Errorf("%w: %q names no file", ErrTemplate, value)
		}
		b, err := regularfile.Read(strings.TrimPrefix(value, "@"), maxTemplateFile)
		if err != nil {
			return nil, err
		}
		text = string(b)
	}
	t, err := template.New("template").Funcs(TemplateFuncs).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTemplate, err)
	}
	return &Template{t: t}, nil
}

// TemplateData is what a template sees: the report in its JSON form (docs/formats.md), as maps,
// lists, strings, float64 numbers, booleans and nil, keyed by the JSON field names
// (.artifact.name, .findings, .fixed_version), so that templates follow the documented schema.
func TemplateData(r *result.Report) (map[string]any, error) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		return nil, err
	}
	var data map[string]any
	if err := json.Unmarshal(buf.Bytes(), &data); err != nil {
		return nil, err
	}
	return data, nil
}

// WriteTemplate renders r with t.
func WriteTemplate(w io.Writer, r *result.Report, t *Template) error {
	if t == nil {
		return fmt.Errorf("%w: --format template needs --template", ErrTemplate)
	}
	data, err := TemplateData(r)
	if err != nil {
		return err
	}
	if err := t.t.Execute(w, data); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	return nil
}
