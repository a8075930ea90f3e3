package analysis

import (
	"path"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
)

// entry is a file's analysis result and the layer that last wrote the file.
type entry struct {
	layer int
	res   *inventory.Result
}

// merge applies the layers in order — whiteouts and opaque directories hide what lower layers
// wrote — and returns the inventory of the resulting filesystem, plus the findings of every file,
// including files deleted later (marked with RemovedInLayer: they are still in the image).
func merge(layers []*LayerResult) (inventory.Inventory, []finding.Finding) {
	state := map[string]entry{}
	var findings []finding.Finding
	// inLayer stamps a finding with the layer its file came from.
	inLayer := func(f finding.Finding, layer int) finding.Finding {
		if f.Location.Layer == "" {
			f.Location.Layer = layers[layer].DiffID
		}
		return f
	}
	removed := func(p string, e entry, by int) {
		for _, f := range e.res.Findings {
			f = inLayer(f, e.layer)
			f.RemovedInLayer = layers[by].DiffID
			findings = append(findings, f)
		}
	}
	for i, lr := range layers {
		for _, f := range lr.Overwritten {
			f = inLayer(f, i)
			f.RemovedInLayer = lr.DiffID
			findings = append(findings, f)
		}
		if len(lr.Whiteouts)+len(lr.OpaqueDirs) > 0 {
			gone := map[string]bool{}
			for _, w := range lr.Whiteouts {
				gone[w] = true
			}
			opaque := map[string]bool{}
			for _, d := range lr.OpaqueDirs {
				opaque[d] = true
			}
			for p, e := range state {
				if hidden(p, gone, opaque) {
					removed(p, e, i)
					delete(state, p)
				}
			}
		}
		for p, r := range lr.Files {
			if old, ok := state[p]; ok {
				// Overwritten: findings of the old content are still in the lower layer.
				removed(p, old, i)
			}
			state[p] = entry{layer: i, res: r}
		}
	}

	inv := inventory.Inventory{OS: inventory.Unknown}
	paths := make([]string, 0, len(state))
	for p := range state {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	osLayer := -1
	distroless := false
	owners := map[string]string{} // file path → "type:name"
	for _, p := range paths {
		e := state[p]
		// The newest layer's os-release wins; /etc/os-release is preferred over /usr/lib's copy.
		if e.res.OS != nil && (e.layer > osLayer || (e.layer == osLayer && p == "etc/os-release")) {
			inv.OS, osLayer = *e.res.OS, e.layer
		}
		distroless = distroless || e.res.Distroless
		for k, files := range e.res.Owners {
			for _, f := range files {
				owners[f] = k
			}
		}
		for _, pkg := range e.res.Packages {
			pkg.LayerIndex = originLayer(layers, e.layer, p, &pkg)
			pkg.Layer = layers[pkg.LayerIndex].DiffID
			if pkg.Path == "" {
				pkg.Path = p
			}
			if pkg.Type.IsOS() {
				for _, f := range pkg.Files {
					owners[f] = string(pkg.Type) + ":" + pkg.Name
				}
			}
			inv.Packages = append(inv.Packages, pkg)
		}
		for _, f := range e.res.Findings {
			findings = append(findings, inLayer(f, e.layer))
		}
	}
	if distroless && inv.OS.Family != "unknown" {
		inv.OS.Distroless = true
	}
	for i := range inv.Packages {
		pkg := &inv.Packages[i]
		if pkg.Type.IsOS() {
			pkg.Ecosystem = inventory.OSEcosystem(inv.OS)
			pkg.PURL = inventory.OSPURL(inv.OS, *pkg)
			pkg.Files = nil
			continue
		}
		pkg.OwnedBy = ownerOf(pkg.Path, owners)
	}
	inv.Sort()
	return inv, findings
}

// hidden reports whether p or one of its parent directories is whited out, or sits under an
// opaque directory of the current layer.
func hidden(p string, gone, opaque map[string]bool) bool {
	if gone[p] {
		return true
	}
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		if gone[d] || opaque[d] {
			return true
		}
	}
	return opaque[""] || opaque["."]
}

// originLayer finds the earliest layer, at or below last, in an unbroken run of layers whose
// result for path p contains the same package: the layer that added it, rather than the last layer
// that rewrote the package database.
func originLayer(layers []*LayerResult, last int, p string, pkg *inventory.Package) int {
	origin := last
	for i := last - 1; i >= 0; i-- {
		r, ok := layers[i].Files[p]
		if !ok {
			continue
		}
		if !slices.ContainsFunc(r.Packages, func(q inventory.Package) bool {
			return q.Type == pkg.Type && q.Name == pkg.Name && q.Version == pkg.Version
		}) {
			break
		}
		origin = i
	}
	return origin
}

// ownerOf returns the OS package that installed the evidence file p or its directory (a
// dist-info or egg-info directory). It looks no higher: shared directories such as
// dist-packages appear in many packages' file lists and prove nothing about what is in them.
func ownerOf(p string, owners map[string]string) string {
	if len(owners) == 0 {
		return ""
	}
	if o := owners[p]; o != "" {
		return o
	}
	if d := path.Dir(p); strings.Contains(d, "/") {
		return owners[d]
	}
	return ""
}
