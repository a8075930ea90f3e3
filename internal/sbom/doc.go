// Package sbom writes a scan [result.Report] as a software bill of materials: CycloneDX 1.6 JSON
// or SPDX 2.3 JSON.
//
// # Usage
//
//	err := sbom.Encode(w, sbom.FormatCycloneDXJSON, rep)
//
// Both documents describe the scanned artifact (an image or a directory), its operating system
// and one entry per package of the report, sorted by type, name, version and path. Facts the
// formats have no field for (the layer that added a package, the file that proves it, the source
// package, the OS package that owns a language package) are kept: as "rampart:" properties in
// CycloneDX, in sourceInfo and comment in SPDX. docs/formats.md lists them.
//
// Output is deterministic for a given report except for the CycloneDX serialNumber and the SPDX
// documentNamespace, which are unique per call as both specifications ask.
package sbom
