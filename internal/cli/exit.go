package cli

import (
	"fmt"

	"github.com/rampartsec/rampart/internal/exitcode"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/scan"
)

// Exit codes, documented in docs/exit-codes.md; the mapping itself is package exitcode's.
const (
	ExitOK           = exitcode.OK
	ExitError        = exitcode.Error
	ExitUsage        = exitcode.Usage
	ExitGate         = exitcode.Gate
	ExitNotFound     = exitcode.NotFound
	ExitUnauthorized = exitcode.Unauthorized
	ExitUnreachable  = exitcode.Unreachable
	ExitInvalid      = exitcode.Invalid
	ExitDatabase     = exitcode.Database
	ExitNotAssessed  = exitcode.NotAssessed
)

// WithCode attaches an exit code to err (see [exitcode.With]).
func WithCode(code int, err error) error { return exitcode.With(code, err) }

// CodeFor maps an error to an exit code (see [exitcode.Of]).
func CodeFor(err error) int { return exitcode.Of(err) }

// GateError is the --fail-on gate every command shares (see [scan.Gate]).
func GateError(findings []finding.Finding, threshold finding.Severity) error {
	return scan.Gate(findings, threshold)
}

// ParseGate reads a --fail-on value; empty means no gate (the zero Severity).
func ParseGate(failOn string) (finding.Severity, error) {
	if failOn == "" {
		return "", nil
	}
	sev, err := finding.ParseSeverity(failOn)
	if err != nil {
		return "", WithCode(ExitUsage, fmt.Errorf("--fail-on: %w", err))
	}
	return sev, nil
}
