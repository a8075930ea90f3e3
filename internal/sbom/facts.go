package sbom

import (
	"strconv"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/result"
)

// Names of the facts of the "rampart" namespace (see docs/formats.md): CycloneDX properties, and
// "name: value" lines of SPDX comments. They are a contract: never rename one.
const (
	propPkgType       = "rampart:package:type"
	propEcosystem     = "rampart:package:ecosystem"
	propArch          = "rampart:package:arch"
	propSourceName    = "rampart:package:source_name"
	propSourceVersion = "rampart:package:source_version"
	propOwnedBy       = "rampart:package:owned_by"
	propMain          = "rampart:package:main"
	propIndirect      = "rampart:package:indirect"
	propDev           = "rampart:package:dev"
	propGoVersion     = "rampart:package:go_version"
	propLayerDiffID   = "rampart:layer:diff_id"
	propLayerIndex    = "rampart:layer:index"
	propEvidencePath  = "rampart:evidence:path"

	propSource     = "rampart:artifact:source"
	propImageID    = "rampart:artifact:id"
	propPlatform   = "rampart:artifact:platform"
	propRepoTag    = "rampart:artifact:repo_tag"
	propImageLayer = "rampart:artifact:layer_diff_id"
	propCodename   = "rampart:os:codename"
	propDistroless = "rampart:os:distroless"
)

// fact is one name/value pair that a format has no field of its own for.
type fact struct{ name, value string }

// facts collects non-empty facts in the order they are added.
type facts []fact

func (fs *facts) add(name, value string) {
	if value != "" {
		*fs = append(*fs, fact{name, value})
	}
}

func (fs *facts) flag(name string, set bool) {
	if set {
		fs.add(name, "true")
	}
}

// packageFacts lists what the report knows of a package beyond name, version, purl and licences.
func packageFacts(p *inventory.Package) []fact {
	var fs facts
	fs.add(propPkgType, string(p.Type))
	fs.add(propEcosystem, p.Ecosystem)
	fs.add(propArch, p.Arch)
	fs.add(propSourceName, p.SourceName)
	fs.add(propSourceVersion, p.SourceVersion)
	fs.add(propOwnedBy, p.OwnedBy)
	fs.flag(propMain, p.Main)
	fs.flag(propIndirect, p.Indirect)
	fs.flag(propDev, p.Dev)
	fs.add(propGoVersion, p.GoVersion)
	// A directory scan has no layers: its one pseudo-layer has no diffID and index 0 says nothing.
	if p.Layer != "" {
		fs.add(propLayerDiffID, p.Layer)
		fs.add(propLayerIndex, strconv.Itoa(p.LayerIndex))
	}
	fs.add(propEvidencePath, p.Location())
	return fs
}

// artifactFacts lists the scanned artifact's facts.
func artifactFacts(a result.Artifact) []fact {
	var fs facts
	fs.add(propSource, a.Source)
	if a.Digest != "" {
		// Without a manifest digest the image ID is already the version.
		fs.add(propImageID, a.ID)
	}
	fs.add(propPlatform, a.Platform)
	for _, t := range a.RepoTags {
		fs.add(propRepoTag, t)
	}
	for _, l := range a.Layers {
		fs.add(propImageLayer, l.DiffID)
	}
	return fs
}

// osFacts lists the operating system's facts beyond family, version and name.
func osFacts(o inventory.OS) []fact {
	var fs facts
	fs.add(propCodename, o.Codename)
	fs.flag(propDistroless, o.Distroless)
	return fs
}
