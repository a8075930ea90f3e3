package dotnet

import (
	"testing"

	"github.com/rampartsec/rampart/internal/inventory/inventorytest"
)

// TestNoVersionWarns: a package named without a version cannot be matched and is left out,
// but never silently: the result warns, naming it.
func TestNoVersionWarns(t *testing.T) {
	res := inventorytest.AnalyzeText(t, Analyzer{}, "app/web.deps.json", `{"targets":{},"libraries":{"Newtonsoft.Json/13.0.1":{"type":"package"},"Mystery/":{"type":"package"}}}`)
	inventorytest.WantNoVersion(t, res, "Mystery", "Newtonsoft.Json@13.0.1")
}
