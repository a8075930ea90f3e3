package report

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/result"
)

// schemaPath is the published schema of the JSON report.
var schemaPath = filepath.Join("..", "..", "docs", "schema", "report.schema.json")

func loadSchemaDoc(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	return doc
}

func compileReportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://github.com/rampartsec/rampart/docs/schema/report.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return s
}

// fullReport sets every field of every type in a report, so that validating it exercises every
// property of the schema (TestFullReportSetsEveryField keeps it so).
func fullReport() *result.Report {
	const (
		l0 = "sha256:1f1d39a2b2dd8bd5b3c1f6e4b2a9f7d0c9d2f2b77c0b6a1f9b1e4c3d2a1b0c9d"
		l1 = "sha256:2a9c6f1e0b7d4c3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a"
	)
	return &result.Report{
		SchemaVersion: result.SchemaVersion,
		Tool:          result.Tool{Name: "rampart", Version: "0.4.0"},
		CreatedAt:     time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC),
		Artifact: result.Artifact{
			Name: "127.0.0.1:5000/shop/api:1.8", Source: "registry",
			Digest:   "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
			ID:       "sha256:8f2c3f6d3d6f5ab0c1f3a27e6d2c5d1b52d1e3a3c0e9a4a9c17f6c2b0c9f4e11",
			RepoTags: []string{"127.0.0.1:5000/shop/api:1.8"}, Platform: "linux/amd64",
			OS: inventory.OS{Family: "debian", Version: "12", Name: "Debian GNU/Linux 12 (bookworm)", Codename: "bookworm", Distroless: true},
			Layers: []result.Layer{
				{Index: 0, DiffID: l0, Digest: "sha256:9a1b", Size: 29150123, CreatedBy: "ADD file:0c1b in /"},
				{Index: 1, DiffID: l1, Digest: "sha256:7c2d", Size: 1043, CreatedBy: "COPY /app /app"},
			},
		},
		Packages: []inventory.Package{{
			Type: inventory.TypePython, Name: "PyYAML", Version: "5.3.1", Ecosystem: "PyPI", PURL: "pkg:pypi/pyyaml@5.3.1",
			SourceName: "pyyaml", SourceVersion: "5.3.1-1", Arch: "amd64", Licenses: []string{"MIT"},
			Layer: l1, LayerIndex: 1, Path: "usr/lib/python3/dist-packages/PyYAML-5.3.1.egg-info", InnerPath: "lib/inner.jar",
			OwnedBy: "deb:python3-yaml", Indirect: true, Main: true, Dev: true, GoVersion: "go1.22.5",
			Files: []string{"not/in/the/report"}, Symbols: []string{"not.InTheReport"}, GoPlatform: "linux/amd64",
		}},
		Findings: []finding.Finding{{
			Fingerprint: "0123456789abcdef0123456789abcdef",
			Kind:        finding.KindVulnerability, ID: "CVE-2020-14343", Aliases: []string{"GHSA-8q59-q68h-6hv4"},
			Title: "PyYAML arbitrary code execution", Severity: finding.SeverityCritical,
			Package:      &finding.Package{Ecosystem: "PyPI", Name: "pyyaml", Version: "5.3.1", PURL: "pkg:pypi/pyyaml@5.3.1", Source: "pyyaml"},
			Resource:     &finding.Resource{Kind: "Pod", Namespace: "shop", Name: "api-7d9f", Container: "api"},
			Location:     finding.Location{Layer: l1, Path: "app/config.yaml", Line: 12, Field: "spec.containers[0].image"},
			Field:        "spec.containers[0].image",
			FixedVersion: ptr("5.4"),
			CVSS:         []finding.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}},
			KEV:          true, EPSS: ptr(0.0123),
			Evidence: "yaml.load(…)", Remediation: "upgrade PyYAML to 5.4", References: []string{"https://nvd.nist.gov/vuln/detail/CVE-2020-14343"},
			Compliance:     []finding.Compliance{{Standard: "CIS-K8s", Profile: "L1", Control: "5.2.1"}},
			RemovedInLayer: l1, Extra: map[string]string{"symbol": "present"},
		}},
		Controls: []result.Control{{Standard: "Rampart", Profile: "image-config", Control: "IC001", Rule: "IC001", Title: "t",
			Status: result.StatusFail, Severity: finding.SeverityHigh, Resource: "r", Evidence: "e", Remediation: "fix", Reason: "why", Findings: 1}},
		Summary: &result.Summary{BySeverity: map[finding.Severity]int{"CRITICAL": 1, "HIGH": 0, "MEDIUM": 0, "LOW": 0, "UNKNOWN": 0},
			Fixable: 1, KEV: 1, Suppressed: 2, Hidden: 3},
		Warnings: []string{"python: app/broken/METADATA: truncated header"},
	}
}

// minimalReport is a directory scan that found nothing.
func minimalReport() *result.Report {
	return &result.Report{
		SchemaVersion: result.SchemaVersion, Tool: result.Tool{Name: "rampart", Version: "dev"},
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Artifact:  result.Artifact{Name: "dir:/tmp/x", Source: "dir", OS: inventory.Unknown},
	}
}

// TestFullReportSetsEveryField guards fullReport: a field left at its zero value would not be
// written (omitempty) and so not validated.
func TestFullReportSetsEveryField(t *testing.T) {
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				t.Errorf("%s is nil", path)
				return
			}
			walk(v.Elem(), path)
		case reflect.Slice:
			if v.Len() == 0 {
				t.Errorf("%s is empty", path)
				return
			}
			walk(v.Index(0), path+"[0]")
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range v.NumField() {
				f := v.Type().Field(i)
				if f.IsExported() {
					walk(v.Field(i), path+"."+f.Name)
				}
			}
		default:
			if v.IsZero() && !strings.HasSuffix(path, ".LayerIndex") && !strings.HasSuffix(path, ".Index") {
				t.Errorf("%s is zero", path)
			}
		}
	}
	walk(reflect.ValueOf(fullReport()), "Report")
}

func TestWriteJSONValidatesAgainstSchema(t *testing.T) {
	sch := compileReportSchema(t)
	for name, r := range map[string]*result.Report{"full": fullReport(), "minimal": minimalReport()} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJSON(&buf, r); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("WriteJSON output does not validate against %s:\n%v", schemaPath, err)
			}
		})
	}
}

// The schema must also say no: each mutation of a valid report breaks one rule.
func TestSchemaRejects(t *testing.T) {
	sch := compileReportSchema(t)
	tests := []struct {
		name   string
		mutate func(m map[string]any)
	}{
		{"missing findings", func(m map[string]any) { delete(m, "findings") }},
		{"unknown top-level field", func(m map[string]any) { m["score"] = 3 }},
		{"schema version 2", func(m map[string]any) { m["schema_version"] = 2 }},
		{"bad created_at", func(m map[string]any) { m["created_at"] = "last tuesday" }},
		{"unknown source", func(m map[string]any) { art(m)["source"] = "ftp" }},
		{"unknown package type", func(m map[string]any) { pkg(m)["type"] = "deb-src" }},
		{"package without purl key", func(m map[string]any) { delete(pkg(m), "purl") }},
		{"negative layer index", func(m map[string]any) { pkg(m)["layer_index"] = -1 }},
		{"unknown severity", func(m map[string]any) { fnd(m)["severity"] = "SEVERE" }},
		{"lower-case kind", func(m map[string]any) { fnd(m)["kind"] = "Vulnerability" }},
		{"epss above 1", func(m map[string]any) { fnd(m)["epss"] = 12.3 }},
		{"fixed_version omitted", func(m map[string]any) { delete(fnd(m), "fixed_version") }},
		{"line 0 written", func(m map[string]any) { fnd(m)["location"].(map[string]any)["line"] = 0 }},
		{"extra not strings", func(m map[string]any) { fnd(m)["extra"] = map[string]any{"n": 1} }},
		{"layer not a digest", func(m map[string]any) { pkg(m)["layer"] = "layer 1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJSON(&buf, fullReport()); err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			tt.mutate(m)
			if err := sch.Validate(m); err == nil {
				t.Error("schema accepted the mutated report")
			}
		})
	}
}

func art(m map[string]any) map[string]any { return m["artifact"].(map[string]any) }
func pkg(m map[string]any) map[string]any { return m["packages"].([]any)[0].(map[string]any) }
func fnd(m map[string]any) map[string]any { return m["findings"].([]any)[0].(map[string]any) }

// TestSchemaCoversStructs walks result.Report with reflect and compares every JSON field of
// every reachable struct with the schema: each field needs a property of a matching type,
// required exactly when it has no omitempty, and the schema may have no property the structs
// lack. A field added in Go without the schema fails here.
func TestSchemaCoversStructs(t *testing.T) {
	doc := loadSchemaDoc(t)
	defs, _ := doc["$defs"].(map[string]any)
	resolve := func(s map[string]any) map[string]any {
		for {
			ref, ok := s["$ref"].(string)
			if !ok {
				return s
			}
			d, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			if !ok {
				t.Fatalf("unresolvable $ref %q", ref)
			}
			s = d
		}
	}
	seen := map[reflect.Type]bool{}
	var checkStruct func(typ reflect.Type, s map[string]any, path string)
	var checkValue func(typ reflect.Type, s map[string]any, nullable bool, path string)

	checkValue = func(typ reflect.Type, s map[string]any, nullable bool, path string) {
		s = resolve(s)
		types := jsonTypes(s)
		want := ""
		switch typ.Kind() {
		case reflect.Pointer:
			checkValue(typ.Elem(), s, nullable, path)
			return
		case reflect.String:
			want = "string"
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			want = "integer"
		case reflect.Float32, reflect.Float64:
			want = "number"
		case reflect.Bool:
			want = "boolean"
		case reflect.Slice:
			want = "array"
		case reflect.Map:
			want = "object"
		case reflect.Struct:
			want = "object"
			if typ == reflect.TypeFor[time.Time]() {
				want = "string"
				if s["format"] != "date-time" {
					t.Errorf("%s: time.Time needs format date-time", path)
				}
			}
		default:
			t.Errorf("%s: Go kind %s has no JSON mapping in this test", path, typ.Kind())
			return
		}
		if !slices.Contains(types, want) {
			t.Errorf("%s: Go %s is JSON %s, schema allows %v", path, typ, want, types)
		}
		if nullable != slices.Contains(types, "null") {
			t.Errorf("%s: Go writes null = %v, schema allows null = %v", path, nullable, slices.Contains(types, "null"))
		}
		switch {
		case typ.Kind() == reflect.Slice:
			items, ok := s["items"].(map[string]any)
			if !ok {
				t.Errorf("%s: array without items", path)
				return
			}
			checkValue(typ.Elem(), items, false, path+"[]")
		case typ.Kind() == reflect.Map:
			vals, ok := s["additionalProperties"].(map[string]any)
			if !ok {
				t.Errorf("%s: map without additionalProperties schema", path)
				return
			}
			checkValue(typ.Elem(), vals, false, path+"{}")
		case want == "object":
			checkStruct(typ, s, path)
		}
	}

	checkStruct = func(typ reflect.Type, s map[string]any, path string) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		if s["additionalProperties"] != false {
			t.Errorf("%s: schema must set additionalProperties: false", path)
		}
		props, _ := s["properties"].(map[string]any)
		var required []string
		reqs, _ := s["required"].([]any)
		for _, r := range reqs {
			required = append(required, r.(string))
		}
		goNames := map[string]bool{}
		var wantRequired []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := f.Tag.Get("json")
			if !f.IsExported() || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			omitempty := slices.Contains(strings.Split(opts, ","), "omitempty")
			goNames[name] = true
			if !omitempty {
				wantRequired = append(wantRequired, name)
			}
			prop, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s.%s (json %q) has no property in %s", path, f.Name, name, schemaPath)
				continue
			}
			// A pointer without omitempty is written as null when nil.
			nullable := f.Type.Kind() == reflect.Pointer && !omitempty
			checkValue(f.Type, prop, nullable, path+"."+f.Name)
		}
		for name := range props {
			if !goNames[name] {
				t.Errorf("%s: schema property %q matches no Go field", path, name)
			}
		}
		slices.Sort(required)
		slices.Sort(wantRequired)
		if diff := cmp.Diff(wantRequired, required); diff != "" {
			t.Errorf("%s: required must list exactly the fields without omitempty (-go +schema):\n%s", path, diff)
		}
	}
	checkStruct(reflect.TypeFor[result.Report](), doc, "Report")
}

// jsonTypes lists the JSON types a (resolved) schema allows, from type, enum or const.
func jsonTypes(s map[string]any) []string {
	switch v := s["type"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, x.(string))
		}
		return out
	}
	var vals []any
	if e, ok := s["enum"].([]any); ok {
		vals = e
	} else if c, ok := s["const"]; ok {
		vals = []any{c}
	}
	var out []string
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			out = append(out, "string")
		case float64:
			if x == float64(int64(x)) {
				out = append(out, "integer")
			}
			out = append(out, "number")
		case bool:
			out = append(out, "boolean")
		case nil:
			out = append(out, "null")
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// constValues returns the values of the string constants of type typeName declared in a Go
// source file: the enums the schema must list, read from the code that defines them.
func constValues(t *testing.T, file, typeName string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			id, ok := vs.Type.(*ast.Ident)
			if !ok || id.Name != typeName {
				continue
			}
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					out = append(out, s)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s constants in %s", typeName, file)
	}
	slices.Sort(out)
	return out
}

// TestSchemaEnums keeps the schema's enums equal to the constants the code defines.
func TestSchemaEnums(t *testing.T) {
	doc := loadSchemaDoc(t)
	defs := doc["$defs"].(map[string]any)
	enum := func(def, prop string) []string {
		p := defs[def].(map[string]any)["properties"].(map[string]any)[prop].(map[string]any)
		var out []string
		for _, v := range p["enum"].([]any) {
			out = append(out, v.(string))
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		def, prop, file, typ string
	}{
		{"package", "type", "../inventory/inventory.go", "Type"},
		{"finding", "kind", "../finding/finding.go", "Kind"},
		{"finding", "severity", "../finding/finding.go", "Severity"},
		{"artifact", "source", "../image/ref.go", "Source"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(constValues(t, tt.file, tt.typ), enum(tt.def, tt.prop)); diff != "" {
			t.Errorf("%s.%s enum differs from the %s constants in %s (-code +schema):\n%s", tt.def, tt.prop, tt.typ, tt.file, diff)
		}
	}
}

func TestWriteJSONEmptyListsAndNoMutation(t *testing.T) {
	r := minimalReport()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"packages", "findings", "warnings"} {
		if l, ok := m[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %#v, want []", k, m[k])
		}
	}
	if r.Packages != nil || r.Findings != nil || r.Warnings != nil {
		t.Error("WriteJSON modified the caller's report")
	}
}
