package scan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/exitcode"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/result"
)

// Package kinds, as --pkg-types names them (Trivy's names).
const (
	// PkgTypeOS are the packages of the operating system's package manager (deb, apk, rpm).
	PkgTypeOS = "os"
	// PkgTypeLibrary are language packages: Go modules, npm, PyPI, Maven, …
	PkgTypeLibrary = "library"
)

// PkgTypes lists the kinds --pkg-types takes.
var PkgTypes = []string{PkgTypeOS, PkgTypeLibrary}

// CheckPkgTypes rejects names that are not package kinds (a usage error).
func CheckPkgTypes(names []string) error {
	for _, n := range names {
		if !slices.Contains(PkgTypes, n) {
			return exitcode.With(exitcode.Usage, fmt.Errorf("%w: --pkg-types: unknown type %q (known: %s)", ErrUsage, n, strings.Join(PkgTypes, ", ")))
		}
	}
	return nil
}

// pkgKind is the --pkg-types kind of a package.
func pkgKind(p *inventory.Package) string {
	if p.Type.IsOS() {
		return PkgTypeOS
	}
	return PkgTypeLibrary
}

// keepPkgTypes drops the packages of kinds f.PkgTypes does not name, and the findings about them
// (vulnerabilities, malicious-package records): as if the scan had not inventoried them.
func (f *Filter) keepPkgTypes(rep *result.Report) {
	if len(f.PkgTypes) == 0 {
		return
	}
	dropped := map[string]bool{}
	rep.Packages = slices.DeleteFunc(slices.Clone(rep.Packages), func(p inventory.Package) bool {
		if slices.Contains(f.PkgTypes, pkgKind(&p)) {
			return false
		}
		dropped[packageKey(p.Location(), p.Name, p.Version, p.PURL)] = true
		return true
	})
	if len(dropped) == 0 {
		return
	}
	rep.Findings = slices.DeleteFunc(slices.Clone(rep.Findings), func(x finding.Finding) bool {
		return x.Package != nil && dropped[packageKey(x.Location.Path, x.Package.Name, x.Package.Version, x.Package.PURL)]
	})
}

// packageKey names one package of an inventory the way its findings name it: the file that
// proves it, name, version and purl.
func packageKey(location, name, version, purl string) string {
	return location + "\x00" + name + "\x00" + version + "\x00" + purl
}

// ExtraVEXStatus is the finding.Extra key that says which OpenVEX status a statement that kept
// the finding gave it (affected, under_investigation); the CycloneDX output turns it into the
// vulnerability's analysis.
const ExtraVEXStatus = "vex_status"

// markVEX records, on each finding a VEX statement applies to, that statement's status.
func (f *Filter) markVEX(fs []finding.Finding, a result.Artifact) {
	if f.VEX == nil {
		return
	}
	for i := range fs {
		if st := f.VEX.Status(&fs[i], a.Digest, a.ID); st != "" {
			// Extra may be shared with another report's copy of the finding: write a new map.
			extra := make(map[string]string, len(fs[i].Extra)+1)
			for k, v := range fs[i].Extra {
				extra[k] = v
			}
			extra[ExtraVEXStatus] = st
			fs[i].Extra = extra
		}
	}
}
