package inventory

import (
	"strings"

	"github.com/package-url/packageurl-go"
)

// purlNamespace maps an os-release ID to the vendor namespace of its packages' purls, where the
// two differ.
var purlNamespace = map[string]string{
	"rhel":                "redhat",
	"ol":                  "oracle",
	"amzn":                "amazon",
	"sles":                "suse",
	"opensuse-leap":       "opensuse",
	"opensuse-tumbleweed": "opensuse",
}

// OSPURL returns the package URL of an OS package installed on o:
//
//	pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12&upstream=glibc
//	pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=3.20.3
//	pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=rhel-9.3&epoch=1
//
// The namespace is the distribution's vendor; an RPM epoch becomes the epoch qualifier rather
// than part of the version (Debian epochs stay in the version, as the purl specification has
// it); upstream names the source package when it differs from the binary package. Qualifiers
// are in the specification's canonical (sorted) order. When o is unknown the distro qualifier
// is left out and a deb or apk package gets the "debian" or "alpine" namespace, an rpm none.
// It returns "" for packages that are not OS packages or have no name.
func OSPURL(o OS, p Package) string {
	if !p.Type.IsOS() || p.Name == "" {
		return ""
	}
	known := o.Family != "" && o.Family != Unknown.Family
	q := map[string]string{}
	if p.Arch != "" {
		q["arch"] = p.Arch
	}
	if p.SourceName != "" && p.SourceName != p.Name {
		q["upstream"] = p.SourceName
	}
	version := p.Version
	ns := ""
	if known {
		ns = o.Family
		if v, ok := purlNamespace[o.Family]; ok {
			ns = v
		}
	}
	switch p.Type {
	case TypeDpkg:
		if !known {
			ns = "debian"
		}
		if known {
			q["distro"] = joinNonEmpty(o.Family, o.Version)
		}
	case TypeApk:
		if !known {
			ns = "alpine"
		}
		// apk purls carry the release alone (distro=3.20.3), as Alpine's tooling names it.
		if known && o.Version != "" {
			q["distro"] = o.Version
		}
	case TypeRPM:
		if e, v, ok := strings.Cut(version, ":"); ok && e != "" && strings.Trim(e, "0123456789") == "" {
			version = v
			q["epoch"] = e
		}
		if known {
			q["distro"] = joinNonEmpty(o.Family, o.Version)
		}
	}
	return packageurl.NewPackageURL(string(p.Type), ns, p.Name, version, packageurl.QualifiersFromMap(q), "").ToString()
}

func joinNonEmpty(family, version string) string {
	if version == "" {
		return family
	}
	return family + "-" + version
}
