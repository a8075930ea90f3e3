// Package catalogers lists the inventory analyzers Rampart runs on every artifact: the one place
// they are named (no init() registration), shared by the CLI and the benchmarks.
package catalogers

import (
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/inventory/apk"
	"github.com/rampartsec/rampart/internal/inventory/dotnet"
	"github.com/rampartsec/rampart/internal/inventory/dpkg"
	"github.com/rampartsec/rampart/internal/inventory/gobinary"
	"github.com/rampartsec/rampart/internal/inventory/java"
	"github.com/rampartsec/rampart/internal/inventory/npm"
	"github.com/rampartsec/rampart/internal/inventory/osrelease"
	"github.com/rampartsec/rampart/internal/inventory/php"
	"github.com/rampartsec/rampart/internal/inventory/python"
	"github.com/rampartsec/rampart/internal/inventory/rpm"
	"github.com/rampartsec/rampart/internal/inventory/ruby"
	"github.com/rampartsec/rampart/internal/inventory/rustbinary"
)

// Analyzers returns a fresh list of the package catalogers, OS detection first.
func Analyzers() []inventory.Analyzer {
	return []inventory.Analyzer{
		osrelease.Analyzer{},
		dpkg.Analyzer{},
		apk.Analyzer{},
		rpm.Analyzer{},
		npm.Analyzer{},
		python.Analyzer{},
		ruby.Analyzer{},
		php.Analyzer{},
		gobinary.Analyzer{},
		dotnet.Analyzer{},
		java.Analyzer{},
		rustbinary.Analyzer{},
	}
}
