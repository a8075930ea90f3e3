// Package exitcode is the one mapping from errors to Rampart's documented exit codes
// (docs/exit-codes.md). Every command, and every report that records why one item of a larger
// scan failed (`rampart registry`), classifies errors here, so the same failure gives the same
// code whichever way in it came.
package exitcode

import (
	"context"
	"errors"

	"github.com/rampartsec/rampart/internal/analysis"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/vulndb"
)

// Exit codes. They are a contract for scripts: never renumber.
const (
	OK           = 0
	Error        = 1 // anything not covered below
	Usage        = 2 // bad flags, arguments or configuration files
	Gate         = 3 // the scan worked and found something at or above --fail-on
	NotFound     = 4 // image, archive, directory or file does not exist
	Unauthorized = 5 // the registry or API server refused the credentials
	Unreachable  = 6 // network error or timeout
	Invalid      = 7 // corrupt, truncated or mismatching artifact data
	Database     = 8 // vulnerability database missing, corrupt or unusable
	NotAssessed  = 9 // the scan assessed nothing of what it was asked to; a gate cannot pass on no evidence
)

// classes name the codes in machine-readable documents (a registry scan's per-image errors).
var classes = map[int]string{
	OK: "ok", Error: "error", Usage: "usage", Gate: "gate", NotFound: "not_found", Unauthorized: "unauthorized",
	Unreachable: "unreachable", Invalid: "invalid", Database: "database", NotAssessed: "not_assessed",
}

// Class is the name of a code: "not_found" for 4. Unknown codes are "error".
func Class(code int) string {
	if c, ok := classes[code]; ok {
		return c
	}
	return classes[Error]
}

// coded carries an exit code through error wrapping.
type coded struct {
	code int
	err  error
}

func (e *coded) Error() string { return e.err.Error() }
func (e *coded) Unwrap() error { return e.err }

// ExitCode returns the process exit code for the error.
func (e *coded) ExitCode() int { return e.code }

// With attaches code to err; nil stays nil. The outermost code wins.
func With(code int, err error) error {
	if err == nil {
		return nil
	}
	return &coded{code: code, err: err}
}

// Of maps an error to its exit code: a code attached with [With] (or by any error with an
// ExitCode() int method) first, else the sentinel errors of the packages below, else Error.
func Of(err error) int {
	var ee interface{ ExitCode() int }
	switch {
	case err == nil:
		return OK
	case errors.As(err, &ee):
		return ee.ExitCode()
	case errors.Is(err, image.ErrNotFound):
		return NotFound
	case errors.Is(err, image.ErrUnauthorized):
		return Unauthorized
	case errors.Is(err, image.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return Unreachable
	case errors.Is(err, image.ErrInvalid), errors.Is(err, analysis.ErrCorruptLayer):
		return Invalid
	case errors.Is(err, vulndb.ErrNoDatabase), errors.Is(err, vulndb.ErrCorrupt), errors.Is(err, vulndb.ErrSchema):
		return Database
	}
	return Error
}
