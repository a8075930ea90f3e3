package ruby

import (
	"testing"

	"github.com/rampartsec/rampart/internal/inventory/inventorytest"
)

// TestNoVersionWarns: a package named without a version cannot be matched and is left out,
// but never silently: the result warns, naming it.
func TestNoVersionWarns(t *testing.T) {
	// The version is a constant evaluated when the gem loads, and there is no stub line.
	res := inventorytest.AnalyzeText(t, Analyzer{}, "usr/lib/ruby/gems/3.1.0/specifications/computed.gemspec",
		"Gem::Specification.new do |s|\n  s.name = \"computed\"\n  s.version = Computed::VERSION\nend\n")
	inventorytest.WantNoVersion(t, res, "computed")
}
