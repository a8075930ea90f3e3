package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/finding"
)

func render(t *testing.T, value string, o Options) string {
	t.Helper()
	tpl, err := ParseTemplate(value)
	if err != nil {
		t.Fatalf("ParseTemplate(%q): %v", value, err)
	}
	o.Template = tpl
	var buf bytes.Buffer
	if err := Write(&buf, FormatTemplate, tableReport(), o); err != nil {
		t.Fatalf("Write(template): %v", err)
	}
	return buf.String()
}

// The data is the JSON report: its field names, its null for no fix, its omissions.
func TestTemplateData(t *testing.T) {
	got := render(t, `{{ .artifact.name }} {{ .artifact.os.family }} {{ len .packages }}
{{- range .findings }}
{{ .kind }} {{ .id }} {{ upper .severity | lower }} fixed={{ with .fixed_version }}{{ . }}{{ else }}none{{ end }} pkg={{ with .package }}{{ .name }}{{ end }} aliases={{ join .aliases "," }} xml={{ escapeXML .title }}
{{- end }}
{{ toJson .summary }}`, Options{})
	for _, want := range []string{
		"127.0.0.1:5000/shop/api:1.8 debian 3",
		"vulnerability CVE-2020-14343 critical fixed=5.4 pkg=pyyaml aliases=GHSA-8q59-q68h-6hv4",
		"vulnerability CVE-2024-0001 medium fixed=none pkg=libssl3 aliases= xml=A title long",
		"secret aws-access-key high fixed=none pkg= aliases=",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<no value>") {
		t.Errorf("a missing value printed as <no value>:\n%s", got)
	}
}

func TestTemplateEscapeXML(t *testing.T) {
	r := tableReport()
	r.Findings[0].Title = `a <b> & "c"` + "\x01"
	tpl, err := ParseTemplate(`<x a="{{ escapeXML (index .findings 0).title }}">{{ escapeXML (index .findings 0).title }}</x>`)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, FormatTemplate, r, Options{Template: tpl}); err != nil {
		t.Fatal(err)
	}
	var x struct {
		A    string `xml:"a,attr"`
		Text string `xml:",chardata"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &x); err != nil {
		t.Fatalf("not XML: %v\n%s", err, buf.String())
	}
	if want := `a <b> & "c"` + "\uFFFD"; x.A != want || x.Text != want {
		t.Errorf("attribute %q, text %q; want %q", x.A, x.Text, want)
	}
}

// The templates in contrib/templates render the report and are what they say.
func TestContribTemplates(t *testing.T) {
	r := tableReport()
	n := len(r.Findings)

	junit := render(t, "@"+filepath.Join("..", "..", "contrib", "templates", "junit.tpl"), Options{})
	var doc struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(junit), &doc); err != nil {
		t.Fatalf("junit.tpl is not XML: %v\n%s", err, junit)
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Tests != n || doc.Suites[0].Failures != n || len(doc.Suites[0].Cases) != n {
		t.Fatalf("junit.tpl: %+v, want one suite of %d failed cases", doc.Suites, n)
	}
	if c := doc.Suites[0].Cases[0]; c.Name != "[CRITICAL] CVE-2020-14343" || c.Failure.Message != "PyYAML arbitrary code execution" || !strings.Contains(c.Failure.Text, "fixed in 5.4") {
		t.Errorf("first case %+v", c)
	}

	md := render(t, "@"+filepath.Join("..", "..", "contrib", "templates", "markdown.tpl"), Options{})
	rows := 0
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| Severity") {
			rows++
		}
	}
	if rows != n || !strings.Contains(md, "| CRITICAL (KEV) | CVE-2020-14343 | pyyaml 5.3.1 | 5.4 | PyYAML arbitrary code execution |") ||
		!strings.Contains(md, "| no fix yet |") || strings.Contains(md, "<no value>") {
		t.Errorf("markdown.tpl: %d rows, want %d:\n%s", rows, n, md)
	}
}

func TestParseTemplate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "t.tpl")
	os.WriteFile(file, []byte("{{ .artifact.name }}"), 0o644)
	for _, v := range []string{file, "@" + file, "{{ .artifact.name }}"} {
		if got := render(t, v, Options{}); got != "127.0.0.1:5000/shop/api:1.8" {
			t.Errorf("%q rendered %q", v, got)
		}
	}
	if _, err := ParseTemplate("{{ .artifact.name "); !errors.Is(err, ErrTemplate) {
		t.Errorf("unterminated action: %v, want ErrTemplate", err)
	}
	if _, err := ParseTemplate("@"); !errors.Is(err, ErrTemplate) {
		t.Errorf("@ alone: %v", err)
	}
	if _, err := ParseTemplate(filepath.Join(dir, "missing.tpl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := Write(&bytes.Buffer{}, FormatTemplate, tableReport(), Options{}); !errors.Is(err, ErrTemplate) {
		t.Errorf("no template: %v", err)
	}
}

// What a template prints is masked like every other format.
func TestTemplateMasks(t *testing.T) {
	r := tableReport()
	r.Findings = append(r.Findings, finding.Finding{Kind: finding.KindSecret, ID: "github-pat", Severity: finding.SeverityHigh,
		Evidence: "GITHUB_TOKEN=ghp_R4mp4rtT3stT0k3nN0tR34l1234567890ab"})
	tpl, _ := ParseTemplate("{{ range .findings }}{{ .evidence }}\n{{ end }}")
	var buf bytes.Buffer
	if err := Write(&buf, FormatTemplate, r, Options{Template: tpl}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "ghp_R4mp4rtT3stT0k3nN0tR34l1234567890ab") {
		t.Errorf("a secret printed unmasked:\n%s", buf.String())
	}
}
