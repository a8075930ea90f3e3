package secret

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// CacheKey fingerprints what decides the analyzer's findings beyond its code, for the layer
// cache (see inventory.Configured): the limits (file size, binaries, archive depth), every
// active rule as its configuration writes it (a user rule, a disabled built-in, a changed
// title or severity), and the allow-paths. A run with another --secret-config,
// --secret-max-size or --secret-include-binaries does not get a cached layer's findings.
func (a *Analyzer) CacheKey() string {
	var b strings.Builder
	fmt.Fprintf(&b, "max %d\nbinaries %t\narchive depth %d\n", a.opt.MaxFileSize, a.opt.IncludeBinaries, a.opt.ArchiveDepth)
	// The exported fields are the rule as written; the compiled ones follow from them.
	rules, err := yaml.Marshal(a.s.rules)
	if err != nil {
		// Rules that came from YAML marshal back; should one not, no key is shared with it.
		fmt.Fprintf(&b, "rules unmarshalable: %p\n", a.s)
	}
	b.Write(rules)
	for _, re := range a.s.allowPaths {
		fmt.Fprintf(&b, "allow %q\n", re.String())
	}
	return b.String()
}
