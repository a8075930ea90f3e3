package sbom

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/rampartsec/rampart/internal/inventory"
)

var spdxIDInDocRE = regexp.MustCompile(`"SPDXID": "([^"]*)"`)

// FuzzEncode feeds package fields as a hostile image could set them (names, versions, licences
// and paths are read from files inside the image) and checks that both documents still validate
// against the official schemas, with unique well-formed identifiers, and stay proportionate in
// size. Seeded from testdata/report.json.
func FuzzEncode(f *testing.F) {
	base := loadReport(f, "testdata/report.json")
	for _, p := range base.Packages {
		lic := ""
		if len(p.Licenses) > 0 {
			lic = p.Licenses[0]
		}
		f.Add(string(p.Type), p.Name, p.Version, p.PURL, lic, p.Path, p.SourceName)
	}
	f.Add("deb", "", "", "", "MIT AND (", "", "")
	f.Add("npm", "\x00\xff", "1\n2", "pkg:npm/a@1", "GPL-2.0-only WITH Classpath-exception-2.0", "a\"b", "\u2028")

	officialSchemas(f)
	f.Fuzz(func(t *testing.T, typ, name, version, purl, lic, path, source string) {
		// Only the fuzzed packages, on the realistic image: validation dominates the cost per input.
		r := minimalReport()
		r.Artifact = base.Artifact
		p := inventory.Package{Type: inventory.Type(typ), Name: name, Version: version, PURL: purl,
			Licenses: []string{lic}, Path: path, SourceName: source, Layer: r.Artifact.Layers[1].DiffID, LayerIndex: 1}
		// The same package twice, at another path: identifiers must still differ.
		q := p
		q.Path += "/copy"
		r.Packages = []inventory.Package{p, q}
		in := len(typ) + len(name) + len(version) + len(purl) + len(lic) + len(path) + len(source)

		for _, format := range Formats {
			out := encode(t, format, r)
			if !json.Valid(out) {
				t.Fatalf("%s: output is not JSON", format)
			}
			if err := validate(t, format, out); err != nil {
				t.Fatalf("%s: output does not validate: %v", format, err)
			}
			// Each input byte is written a bounded number of times (name, purl, bom-ref, comment,
			// id…), escaped at most 6-fold ("\u0000").
			if max := 64<<10 + 2*16*6*in; len(out) > max {
				t.Fatalf("%s: %d bytes of output for %d bytes of input", format, len(out), in)
			}
			if format != FormatSPDXJSON {
				continue
			}
			seen := map[string]bool{}
			for _, m := range spdxIDInDocRE.FindAllSubmatch(out, -1) {
				id := string(m[1])
				if !spdxIDRE.MatchString(id) && id != "SPDXRef-DOCUMENT" {
					t.Fatalf("SPDXID %q is not [A-Za-z0-9.-]", id)
				}
				if seen[id] {
					t.Fatalf("SPDXID %q used twice", id)
				}
				seen[id] = true
			}
		}
		bom := decodeCycloneDX(t, encode(t, FormatCycloneDXJSON, r))
		refs := map[string]bool{bom.Metadata.Component.BOMRef: true}
		for _, c := range *bom.Components {
			if refs[c.BOMRef] {
				t.Fatalf("bom-ref %q used twice", c.BOMRef)
			}
			refs[c.BOMRef] = true
		}
	})
}
