package vulndb

import "strings"

// canonicalEcosystems maps lowercased OSV ecosystem names to their spelling in OSV records, so a
// caller that writes "pypi" or "debian:12" still finds "PyPI" or "Debian:12" records.
var canonicalEcosystems = func() map[string]string {
	m := map[string]string{}
	for _, e := range []string{
		"AlmaLinux", "Alpine", "Android", "Bioconductor", "Bitnami", "Chainguard", "ConanCenter",
		"CRAN", "crates.io", "Debian", "GHC", "GitHub Actions", "Go", "Hackage", "Hex", "Linux",
		"Mageia", "Maven", "MinimOS", "npm", "NuGet", "openSUSE", "OSS-Fuzz", "Packagist", "Photon OS",
		"Pub", "PyPI", "Red Hat", "Rocky Linux", "RubyGems", "SUSE", "SwiftURL", "Ubuntu", "Wolfi",
		"Amazon Linux", "Oracle Linux", "Fedora", "openEuler", "Echo", "Azure Linux",
	} {
		m[strings.ToLower(e)] = e
	}
	return m
}()

// NormalizeEcosystem returns ecosystem spelled as OSV spells it: the part before the first ':'
// is matched case-insensitively against the known OSV ecosystems ("pypi" → "PyPI",
// "debian:12" → "Debian:12"); the release after ':' and unknown ecosystems are kept as given.
// Surrounding white space is removed.
func NormalizeEcosystem(ecosystem string) string {
	ecosystem = strings.TrimSpace(ecosystem)
	base, rel, hasRel := strings.Cut(ecosystem, ":")
	if c, ok := canonicalEcosystems[strings.ToLower(base)]; ok {
		base = c
	}
	if hasRel {
		return base + ":" + rel
	}
	return base
}

// BaseEcosystem returns the ecosystem without its release: "Debian:12" → "Debian",
// "Alpine:v3.20" → "Alpine", "Go" → "Go".
func BaseEcosystem(ecosystem string) string {
	base, _, _ := strings.Cut(ecosystem, ":")
	return base
}

// NormalizeName returns the form of a package name that the database indexes, so that the
// importer and every caller agree on it. For PyPI it is the PEP 503 normal form (lowercase, each
// run of '-', '_' and '.' replaced by one '-'); for every other ecosystem the name is returned
// unchanged, because their names are case-sensitive or already canonical.
func NormalizeName(ecosystem, name string) string {
	if !strings.EqualFold(BaseEcosystem(strings.TrimSpace(ecosystem)), "PyPI") {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		b.WriteRune(r)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}
