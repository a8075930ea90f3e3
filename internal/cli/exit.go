package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/rampartsec/rampart/internal/analysis"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/image"
)

// Exit codes, documented in docs/exit-codes.md. They are a contract: never renumber.
const (
	ExitOK           = 0
	ExitError        = 1 // anything not covered below
	ExitUsage        = 2 // bad flags or arguments
	ExitGate         = 3 // the scan worked and found something at or above --fail-on
	ExitNotFound     = 4 // image, archive, directory or file does not exist
	ExitUnauthorized = 5 // the registry or API server refused our credentials
	ExitUnreachable  = 6 // network error or timeout
	ExitInvalid      = 7 // corrupt, truncated or mismatching artifact data
	ExitDatabase     = 8 // vulnerability database missing, corrupt or unusable
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// ExitCode returns the process exit code for the error.
func (e *exitError) ExitCode() int { return e.code }

func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// CodeFor maps an error to an exit code.
func CodeFor(err error) int {
	var ee interface{ ExitCode() int }
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.ExitCode()
	case errors.Is(err, image.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, image.ErrUnauthorized):
		return ExitUnauthorized
	case errors.Is(err, image.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return ExitUnreachable
	case errors.Is(err, image.ErrInvalid), errors.Is(err, analysis.ErrCorruptLayer):
		return ExitInvalid
	}
	return ExitError
}

// GateError is the --fail-on gate every command shares: ExitGate when any finding is at or above
// threshold, nil otherwise; an empty threshold (no --fail-on) never gates.
func GateError(findings []finding.Finding, threshold finding.Severity) error {
	if threshold == "" {
		return nil
	}
	n := 0
	for _, f := range findings {
		if f.Severity.Rank() >= threshold.Rank() {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return WithCode(ExitGate, fmt.Errorf("%d findings at or above %s", n, threshold))
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
