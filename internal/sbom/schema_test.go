package sbom

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The official schemas, under the URLs their "$id"s and "$ref"s use. They are registered with
// the compiler from testdata, so nothing is fetched: see testdata/schema/NOTICE.
var schemaFiles = map[string]string{
	"http://cyclonedx.org/schema/bom-1.6.schema.json":  "bom-1.6.schema.json",
	"http://cyclonedx.org/schema/spdx.schema.json":     "spdx.schema.json",
	"http://cyclonedx.org/schema/jsf-0.82.schema.json": "jsf-0.82.schema.json",
	"http://spdx.org/rdf/terms/2.3":                    "spdx-schema-2.3.json",
}

const (
	cyclonedxSchemaURL = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	spdxSchemaURL      = "http://spdx.org/rdf/terms/2.3"
)

// offline refuses every URL that was not registered, so a missing schema fails the test instead
// of reaching for the network.
type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not in testdata/schema (no network loads)", url)
}

var (
	schemasOnce sync.Once
	schemas     map[string]*jsonschema.Schema
	schemasErr  error
)

// officialSchemas compiles the CycloneDX 1.6 and SPDX 2.3 schemas once per test binary, with
// format assertions on (date-time, iri-reference, uri, …), which the drafts leave optional.
func officialSchemas(t testing.TB) map[string]*jsonschema.Schema {
	t.Helper()
	schemasOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.UseLoader(offline{})
		c.AssertFormat()
		for url, file := range schemaFiles {
			f, err := os.Open(filepath.Join("testdata", "schema", file))
			if err != nil {
				schemasErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(f)
			f.Close()
			if err != nil {
				schemasErr = fmt.Errorf("%s: %w", file, err)
				return
			}
			if err := c.AddResource(url, doc); err != nil {
				schemasErr = fmt.Errorf("%s: %w", file, err)
				return
			}
		}
		schemas = map[string]*jsonschema.Schema{}
		for _, format := range []struct{ name, url string }{{FormatCycloneDXJSON, cyclonedxSchemaURL}, {FormatSPDXJSON, spdxSchemaURL}} {
			sch, err := c.Compile(format.url)
			if err != nil {
				schemasErr = fmt.Errorf("compile %s: %w", format.url, err)
				return
			}
			schemas[format.name] = sch
		}
	})
	if schemasErr != nil {
		t.Fatalf("official schemas: %v", schemasErr)
	}
	return schemas
}

// validate checks an encoded document against the official schema of its format.
func validate(t testing.TB, format string, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return officialSchemas(t)[format].Validate(inst)
}

// The validator itself must reject documents that break the schema, or every "valid" below
// would prove nothing.
func TestSchemasRejectInvalidDocuments(t *testing.T) {
	tests := []struct {
		name, format, doc string
	}{
		{"cyclonedx wrong bomFormat", FormatCycloneDXJSON, `{"bomFormat":"SPDX","specVersion":"1.6"}`},
		{"cyclonedx bad serial", FormatCycloneDXJSON, `{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"42"}`},
		{"cyclonedx unknown licence id", FormatCycloneDXJSON, `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x","licenses":[{"license":{"id":"GPL-2+"}}]}]}`},
		{"cyclonedx bad timestamp", FormatCycloneDXJSON, `{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"timestamp":"yesterday"}}`},
		{"cyclonedx unknown component type", FormatCycloneDXJSON, `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"deb","name":"x"}]}`},
		{"spdx missing namespace", FormatSPDXJSON, `{"SPDXID":"SPDXRef-DOCUMENT","spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","name":"x","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: x"]}}`},
		{"spdx bad relationship type", FormatSPDXJSON, `{"SPDXID":"SPDXRef-DOCUMENT","spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","name":"x","documentNamespace":"https://example.invalid/x","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: x"]},"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relatedSpdxElement":"SPDXRef-a","relationshipType":"OWNS"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := validate(t, tt.format, []byte(tt.doc)); err == nil {
				t.Errorf("schema accepted an invalid document:\n%s", tt.doc)
			}
		})
	}
}

var (
	validateCycloneDX = flag.String("validate-cyclonedx", "", "validate this CycloneDX JSON file against the official schema")
	validateSPDX      = flag.String("validate-spdx", "", "validate this SPDX JSON file against the official schema")
)

// TestValidateFiles checks documents made elsewhere, e.g. by the binary end to end:
//
//	rampart sbom dir:/ -o /tmp/root.cdx.json
//	go test ./internal/sbom -run TestValidateFiles -validate-cyclonedx /tmp/root.cdx.json
func TestValidateFiles(t *testing.T) {
	files := map[string]string{FormatCycloneDXJSON: *validateCycloneDX, FormatSPDXJSON: *validateSPDX}
	if files[FormatCycloneDXJSON] == "" && files[FormatSPDXJSON] == "" {
		t.Skip("no -validate-cyclonedx or -validate-spdx file given")
	}
	for format, file := range files {
		if file == "" {
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, format, b); err != nil {
			t.Errorf("%s (%s) does not validate:\n%v", file, format, err)
		}
	}
}
