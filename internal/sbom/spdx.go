package sbom

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/result"
)

// namespaceBase prefixes every document namespace; the artifact name and a UUID follow, so the
// URI is unique per document as SPDX requires. It need not resolve.
const namespaceBase = "https://github.com/rampartsec/rampart/spdxdocs/"

func encodeSPDX(w io.Writer, r *result.Report, serial string) error {
	doc := buildSPDX(r, serial)
	if err := spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("encode spdx: %w", err)
	}
	return nil
}

// buildSPDX maps the report onto an SPDX 2.3 document. serial is a UUID.
func buildSPDX(r *result.Report, serial string) *spdx.Document {
	used := ids{"DOCUMENT": true}
	a := r.Artifact
	docName := cmp.Or(a.Name, "unnamed")

	root := &spdx.Package{
		PackageName:             docName,
		PackageSPDXIdentifier:   common.ElementID(used.take(spdxID("Image", a.Name))),
		PackageVersion:          artifactVersion(a),
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   "CONTAINER",
		PackageComment:          comment(artifactFacts(a)),
	}
	if !isImage(a) {
		root.PackageSPDXIdentifier = common.ElementID(used.take(spdxID("Directory", a.Name)))
		root.PrimaryPackagePurpose = "FILE"
	}
	if p := imagePURL(a); p != "" {
		root.PackageExternalReferences = []*spdx.PackageExternalReference{{Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: p}}
	}

	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      docName,
		DocumentNamespace: namespaceBase + sanitize(docName) + "-" + serial,
		CreationInfo: &spdx.CreationInfo{
			LicenseListVersion: spdxlicenses.LicenseListVersion(),
			Creators:           []common.Creator{{CreatorType: "Tool", Creator: toolName(r)}},
			Created:            created(r).Format(time.RFC3339),
		},
		Packages: []*spdx.Package{root},
		Relationships: []*spdx.Relationship{{
			RefA:         common.MakeDocElementID("", "DOCUMENT"),
			RefB:         common.MakeDocElementID("", string(root.PackageSPDXIdentifier)),
			Relationship: common.TypeRelationshipDescribe,
		}},
	}
	contains := func(id common.ElementID) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         common.MakeDocElementID("", string(root.PackageSPDXIdentifier)),
			RefB:         common.MakeDocElementID("", string(id)),
			Relationship: common.TypeRelationshipContains,
		})
	}

	if knownOS(a.OS) {
		o := &spdx.Package{
			PackageName:             a.OS.Family,
			PackageSPDXIdentifier:   common.ElementID(used.take(spdxID("OperatingSystem", a.OS.Family+"-"+a.OS.Version))),
			PackageVersion:          a.OS.Version,
			PackageDownloadLocation: noAssertion,
			PackageLicenseConcluded: noAssertion,
			PackageLicenseDeclared:  noAssertion,
			PackageCopyrightText:    noAssertion,
			// The JSON schema spells this purpose with an underscore, unlike the tag-value text.
			PrimaryPackagePurpose: "OPERATING_SYSTEM",
			PackageDescription:    a.OS.Name,
			PackageComment:        comment(osFacts(a.OS)),
		}
		doc.Packages = append(doc.Packages, o)
		contains(o.PackageSPDXIdentifier)
	}

	for _, p := range sortedPackages(r) {
		sp := spdxPackage(&p)
		sp.PackageSPDXIdentifier = common.ElementID(used.take(spdxID("Package", string(p.Type)+"-"+p.Name+"-"+p.Version)))
		doc.Packages = append(doc.Packages, sp)
		contains(sp.PackageSPDXIdentifier)
	}
	return doc
}

// spdxPackage maps one package; the caller sets the SPDX identifier.
func spdxPackage(p *inventory.Package) *spdx.Package {
	ls := classify(p.Licenses)
	sp := &spdx.Package{
		PackageName:             cmp.Or(p.Name, "unnamed"),
		PackageVersion:          p.Version,
		PackageDownloadLocation: noAssertion,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  spdxExpression(ls),
		PackageCopyrightText:    noAssertion,
		PackageSourceInfo:       sourceInfo(p),
		PrimaryPackagePurpose:   "LIBRARY",
		PackageComment:          comment(packageFacts(p)),
	}
	if p.Main {
		sp.PrimaryPackagePurpose = "APPLICATION"
	}
	if sp.PackageLicenseDeclared == noAssertion && len(ls) > 0 {
		raw := make([]string, len(ls))
		for i, l := range ls {
			raw[i] = l.raw
		}
		sp.PackageLicenseComments = "declared licences that are not SPDX expressions: " + strings.Join(raw, "; ")
	}
	if p.PURL != "" {
		sp.PackageExternalReferences = []*spdx.PackageExternalReference{{
			Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: p.PURL,
		}}
	}
	return sp
}

// sourceInfo says where the package was found: "found in layer 2 (sha256:…) at var/lib/dpkg/status".
func sourceInfo(p *inventory.Package) string {
	var b strings.Builder
	b.WriteString("found")
	if p.Layer != "" {
		fmt.Fprintf(&b, " in layer %d (%s)", p.LayerIndex, p.Layer)
	}
	if p.Path != "" {
		fmt.Fprintf(&b, " at %s", p.Location())
	}
	if b.Len() == len("found") {
		return ""
	}
	return b.String()
}

// comment carries the facts SPDX 2.3 has no field for, as "name: value" lines named like the
// CycloneDX properties.
func comment(fs []fact) string {
	lines := make([]string, len(fs))
	for i, f := range fs {
		lines[i] = f.name + ": " + f.value
	}
	return strings.Join(lines, "\n")
}

// spdxID builds an element identifier (without the "SPDXRef-" prefix the writer adds) from a
// kind and a free-text name.
func spdxID(kind, name string) string {
	if name == "" {
		return kind
	}
	return kind + "-" + sanitize(name)
}

// sanitize keeps the characters SPDX allows in identifiers, letters, digits, "." and "-", and
// turns every other one, including non-ASCII letters, into "-". The result is also safe in a URI.
func sanitize(name string) string {
	var b strings.Builder
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}
