package report

import (
	"errors"
	"fmt"
	"io"

	"github.com/rampartsec/rampart/internal/mask"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/sbom"
)

// Formats of a scan report, as --format names them.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatSARIF = "sarif"
)

// ScanFormats are the formats [Write] renders a scan report in: Rampart's own three, the
// two SBOM standards, and a user's template.
var ScanFormats = []string{FormatTable, FormatJSON, FormatSARIF, sbom.FormatCycloneDXJSON, sbom.FormatSPDXJSON, FormatTemplate}

// ErrUnknownFormat is wrapped by [Write] when asked for a format it does not write.
var ErrUnknownFormat = errors.New("report: unknown format")

// Options adjust the table and template forms.
type Options struct {
	// ListPackages lists the inventory before the findings.
	ListPackages bool
	// Template renders [FormatTemplate] (see [ParseTemplate]).
	Template *Template
}

// Write renders r in format (one of [ScanFormats]): the one function every command that
// produces a scan report writes it with.
func Write(w io.Writer, format string, r *result.Report, o Options) error {
	// Whatever the scanners put in the report — paths, names, warnings, evidence — is printed
	// with every secret masked, in every format (see package mask). r is masked in place.
	mask.Value(r)
	switch format {
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatTable:
		return WriteTable(w, r, o.ListPackages)
	case FormatSARIF:
		return WriteSARIF(w, r)
	case sbom.FormatCycloneDXJSON, sbom.FormatSPDXJSON:
		return sbom.Encode(w, format, r)
	case FormatTemplate:
		return WriteTemplate(w, r, o.Template)
	}
	return fmt.Errorf("%w %q", ErrUnknownFormat, format)
}
