package python

import (
	"testing"

	"github.com/rampartsec/rampart/internal/inventory/inventorytest"
)

// TestNoVersionWarns: a package named without a version cannot be matched and is left out,
// but never silently: the result warns, naming it.
func TestNoVersionWarns(t *testing.T) {
	res := inventorytest.AnalyzeText(t, Analyzer{}, "usr/lib/python3/site-packages/no_version-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: no-version\n\nA description.\n")
	inventorytest.WantNoVersion(t, res, "no-version")
}
