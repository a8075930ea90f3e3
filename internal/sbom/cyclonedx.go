package sbom

import (
	"cmp"
	"fmt"
	"io"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/result"
)

func encodeCycloneDX(w io.Writer, r *result.Report, serial string) error {
	bom := buildCycloneDX(r, serial)
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("encode cyclonedx: %w", err)
	}
	return nil
}

// buildCycloneDX maps the report onto a CycloneDX BOM. serial is a UUID.
func buildCycloneDX(r *result.Report, serial string) *cdx.BOM {
	used := ids{}
	a := r.Artifact

	root := cdx.Component{
		Type:       cdx.ComponentTypeContainer,
		Name:       a.Name,
		Version:    artifactVersion(a),
		PackageURL: imagePURL(a),
	}
	if !isImage(a) {
		root.Type = cdx.ComponentTypeFile
	}
	root.BOMRef = used.take(cmp.Or(root.PackageURL, "rampart:artifact"))
	root.Properties = cdxProps(artifactFacts(a))

	var comps []cdx.Component
	var deps []string
	if knownOS(a.OS) {
		o := cdx.Component{
			Type:        cdx.ComponentTypeOS,
			Name:        a.OS.Family,
			Version:     a.OS.Version,
			Description: a.OS.Name,
		}
		o.BOMRef = used.take("rampart:os:" + a.OS.Family + "@" + a.OS.Version)
		o.Properties = cdxProps(osFacts(a.OS))
		comps = append(comps, o)
		deps = append(deps, o.BOMRef)
	}

	pkgs := sortedPackages(r)
	refs := componentRefs{}
	purls := map[string]int{}
	for _, p := range pkgs {
		purls[p.PURL]++
	}
	for _, p := range pkgs {
		c := packageComponent(&p)
		// The purl is the natural reference, but two copies of a package at different paths share
		// it; those get the purl plus the path, which tells them apart and stays readable.
		ref := p.PURL
		if ref == "" || purls[p.PURL] > 1 {
			ref = cmp.Or(p.PURL, string(p.Type)+":"+p.Name+"@"+p.Version) + "|" + p.Location()
		}
		c.BOMRef = used.take(ref)
		refs.add(&p, c.BOMRef)
		comps = append(comps, c)
		deps = append(deps, c.BOMRef)
	}

	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + serial
	bom.Metadata = &cdx.Metadata{
		Timestamp: created(r).Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type:    cdx.ComponentTypeApplication,
			Name:    cmp.Or(r.Tool.Name, "rampart"),
			Version: r.Tool.Version,
		}}},
		Component: &root,
	}
	bom.Components = &comps
	dep := cdx.Dependency{Ref: root.BOMRef}
	if len(deps) > 0 {
		dep.Dependencies = &deps
	}
	bom.Dependencies = &[]cdx.Dependency{dep}
	bom.Vulnerabilities = cdxVulnerabilities(r, refs, root.BOMRef, used)
	return bom
}

// packageComponent maps one package; the caller sets BOMRef.
func packageComponent(p *inventory.Package) cdx.Component {
	c := cdx.Component{
		Type:       cdx.ComponentTypeLibrary,
		Name:       p.Name,
		Version:    p.Version,
		PackageURL: p.PURL,
	}
	if p.Main {
		c.Type = cdx.ComponentTypeApplication
	}
	if p.Dev {
		c.Scope = cdx.ScopeExcluded
	}
	c.Licenses = cdxLicenses(classify(p.Licenses))

	c.Properties = cdxProps(packageFacts(p))
	return c
}

// cdxLicenses maps classified licences. CycloneDX takes either a list of single licences (by SPDX
// id or by free-text name) or exactly one SPDX expression, never both: a lone expression is
// written as one, otherwise every entry that is not a plain id is kept by name.
func cdxLicenses(ls []license) *cdx.Licenses {
	if len(ls) == 0 {
		return nil
	}
	if len(ls) == 1 && ls[0].id == "" && ls[0].expr != "" {
		return &cdx.Licenses{{Expression: ls[0].expr}}
	}
	out := make(cdx.Licenses, 0, len(ls))
	seen := map[string]bool{}
	for _, l := range ls {
		lic := &cdx.License{Name: l.raw}
		key := "name:" + l.raw
		if l.id != "" {
			lic = &cdx.License{ID: l.id}
			key = "id:" + l.id
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, cdx.LicenseChoice{License: lic})
	}
	return &out
}

// cdxProps turns facts into CycloneDX properties, or nil when there are none.
func cdxProps(fs []fact) *[]cdx.Property {
	if len(fs) == 0 {
		return nil
	}
	props := make([]cdx.Property, len(fs))
	for i, f := range fs {
		props[i] = cdx.Property{Name: f.name, Value: f.value}
	}
	return &props
}
