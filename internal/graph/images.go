package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/rampartsec/rampart/internal/result"
)

// maxReports bounds how many reports [ReadReports] accepts from one input.
const maxReports = 1 << 20

// ReadReports reads image scan reports as `rampart image --format json` writes them: one report,
// a JSON array of reports, or reports one after another (JSON lines).
func ReadReports(r io.Reader) ([]*result.Report, error) {
	dec := json.NewDecoder(r)
	var out []*result.Report
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("image reports: %w", err)
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '[' {
			var list []*result.Report
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, fmt.Errorf("image reports: %w", err)
			}
			out = append(out, list...)
		} else {
			var rep result.Report
			if err := json.Unmarshal(raw, &rep); err != nil {
				return nil, fmt.Errorf("image reports: %w", err)
			}
			out = append(out, &rep)
		}
		if len(out) > maxReports {
			return nil, fmt.Errorf("image reports: more than %d reports", maxReports)
		}
	}
}
