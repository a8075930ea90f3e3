package inventory

import (
	"cmp"
	"slices"
)

// Type is the package manager or packaging format a package was found through.
type Type string

// Package types. Stored as strings so that cached results are immune to renumbering.
const (
	TypeDpkg     Type = "deb"
	TypeApk      Type = "apk"
	TypeRPM      Type = "rpm"
	TypeGo       Type = "golang"
	TypeNpm      Type = "npm"
	TypePython   Type = "pypi"
	TypeJava     Type = "maven"
	TypeGem      Type = "gem"
	TypeCargo    Type = "cargo"
	TypeComposer Type = "composer"
	TypeNuGet    Type = "nuget"
)

// IsOS reports whether packages of this type are installed by the operating system's package manager.
func (t Type) IsOS() bool { return t == TypeDpkg || t == TypeApk || t == TypeRPM }

// Package is one installed package.
type Package struct {
	Type    Type   `json:"type"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Ecosystem is the OSV ecosystem the package is matched in: "Go", "npm", "PyPI", "Maven",
	// "RubyGems", "crates.io", "Packagist", "NuGet", or for OS packages the distribution release
	// ("Debian:12", "Alpine:v3.20"), filled in once the OS is known.
	Ecosystem string `json:"ecosystem"`
	PURL      string `json:"purl"`
	// SourceName and SourceVersion name the source package an OS package was built from, when it
	// differs or is recorded. Distribution advisories are keyed by source package.
	SourceName    string   `json:"source_name,omitempty"`
	SourceVersion string   `json:"source_version,omitempty"`
	Arch          string   `json:"arch,omitempty"`
	Licenses      []string `json:"licenses,omitempty"`
	// Layer is the diffID of the layer that added the package; LayerIndex its 0-based position.
	Layer      string `json:"layer,omitempty"`
	LayerIndex int    `json:"layer_index"`
	// Path is the file that proves the package (a database, manifest or binary), without leading slash.
	Path string `json:"path"`
	// InnerPath is, for a package found in an archive nested inside Path (a jar in a Spring Boot
	// jar or a war), the entry names leading to it, "!"-separated ("BOOT-INF/lib/log4j-core.jar").
	// Findings about the package name "Path!InnerPath", as secret findings in archives do.
	InnerPath string `json:"inner_path,omitempty"`
	// OwnedBy names the OS package ("deb:python3-yaml") whose files include Path: such language
	// packages are the distribution's to patch and are matched against its advisories only.
	OwnedBy string `json:"owned_by,omitempty"`
	// Indirect is true for dependencies that are not the artifact's main module or direct dependency.
	Indirect bool `json:"indirect,omitempty"`
	// Main is true for a Go binary's main module.
	Main bool `json:"main,omitempty"`
	// Dev marks development-only dependencies from lock files.
	Dev bool `json:"dev,omitempty"`
	// Files lists the files an OS package installed (slash paths without leading slash). It is used
	// to work out ownership and is not part of the report.
	Files []string `json:"-"`
	// Symbols lists, for a Go module found in a binary, the functions of that module's packages
	// present in the binary's symbol table ("golang.org/x/text/language.Parse", methods as
	// "pkg.Type.Method"), sorted. It lets matching tell whether vulnerable code is linked in.
	// Not part of the report.
	Symbols []string `json:"-"`
	// GoVersion is the toolchain that built a Go binary (e.g. "go1.20.14"), set on its packages.
	GoVersion string `json:"go_version,omitempty"`
	// GoPlatform is "GOOS/GOARCH" of the Go binary a Go package was found in ("linux/amd64"),
	// from its build settings; empty when unknown. Go advisories limited to other platforms do
	// not apply. Not part of the report.
	GoPlatform string `json:"-"`
}

// Key identifies a package for de-duplication: the same package found at two paths is two entries.
func (p *Package) Key() string {
	return string(p.Type) + "\x00" + p.Name + "\x00" + p.Version + "\x00" + p.Path + "\x00" + p.InnerPath
}

// Location is the package's place for findings and reports: Path, or "Path!InnerPath" for a
// package inside a nested archive.
func (p *Package) Location() string {
	if p.InnerPath == "" {
		return p.Path
	}
	return p.Path + "!" + p.InnerPath
}

// OS is the operating system of an artifact, from os-release.
type OS struct {
	// Family is a lower-case distribution ID: "debian", "ubuntu", "alpine", "rhel", "rocky",
	// "almalinux", "centos", "fedora", "amzn", "ol", "sles", "wolfi", "chainguard", … or "unknown".
	Family string `json:"family"`
	// Version is the release as os-release gives it (VERSION_ID), e.g. "12", "22.04", "3.20.3".
	Version  string `json:"version,omitempty"`
	Name     string `json:"name,omitempty"` // PRETTY_NAME
	Codename string `json:"codename,omitempty"`
	// Distroless is set when the image carries a dpkg status.d directory but no package manager.
	Distroless bool `json:"distroless,omitempty"`
}

// Unknown is the OS reported when no os-release file says otherwise.
var Unknown = OS{Family: "unknown"}

// Inventory is the merged content of an artifact.
type Inventory struct {
	OS       OS        `json:"os"`
	Packages []Package `json:"packages"`
}

// Sort orders packages by type, name, version and path, for stable output.
func (inv *Inventory) Sort() {
	slices.SortFunc(inv.Packages, func(a, b Package) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version), cmp.Compare(a.Path, b.Path))
	})
}
