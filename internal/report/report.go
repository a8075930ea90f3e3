// Package report renders the result model (package result) as JSON, a table or SARIF. The JSON
// form is the contract other tools script against, described by docs/schema/report.schema.json.
package report

import (
	"encoding/json"
	"io"

	"github.com/rampartsec/rampart/internal/result"
)

// WriteJSON writes r as indented JSON, as docs/schema/report.schema.json describes it. Nil
// slices are written as empty arrays; r itself is not modified.
func WriteJSON(w io.Writer, r *result.Report) error {
	out := *r
	out.Normalize()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&out)
}
