package php

import (
	"testing"

	"github.com/rampartsec/rampart/internal/inventory/inventorytest"
)

// TestNoVersionWarns: a package named without a version cannot be matched and is left out,
// but never silently: the result warns, naming it.
func TestNoVersionWarns(t *testing.T) {
	res := inventorytest.AnalyzeText(t, Analyzer{}, "app/composer.lock", `{"packages":[{"name":"monolog/monolog","version":"2.9.1"},{"name":"acme/private"}],"packages-dev":[{"name":"acme/tools","version":""}]}`)
	inventorytest.WantNoVersion(t, res, "acme/private, acme/tools", "monolog/monolog@2.9.1")
}
