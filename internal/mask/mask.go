// Package mask is Rampart's one masking function for text that is printed or stored but is not a
// secret finding's own evidence: error messages, log lines, report warnings, names and fields.
// It masks what the secret scanner's rules match — every match of every rule, copies of matched
// values and private-key bodies (see [secret.Scanner.Redact]) — with the built-in rules, plus the
// user's --secret-config rules once a command has read them ([Use]).
//
// Everything here is safe for concurrent use.
package mask

import (
	"sync"
	"sync/atomic"

	"github.com/rampartsec/rampart/internal/secret"
)

var (
	current atomic.Pointer[secret.Scanner]
	builtin = sync.OnceValue(func() *secret.Scanner {
		s, err := secret.New(nil)
		if err != nil {
			// The built-in rules compile in every test (internal/secret); a build where they do
			// not cannot run a secret scan either.
			panic("mask: built-in secret rules: " + err.Error())
		}
		return s
	})
)

// Use makes s, a scanner built with the user's rules, the one [String] masks with from now on;
// nil goes back to the built-in rules.
func Use(s *secret.Scanner) { current.Store(s) }

// Scanner returns the scanner [String] masks with.
func Scanner() *secret.Scanner {
	if s := current.Load(); s != nil {
		return s
	}
	return builtin()
}

// String returns s with every secret masked.
func String(s string) string {
	if s == "" {
		return s
	}
	return Scanner().Redact(s)
}

// Error returns err with its message masked. errors.Is and errors.As see through it to err, so
// exit codes and error kinds are kept; nil stays nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*masked); ok {
		return err
	}
	return &masked{err: err, msg: String(err.Error())}
}

type masked struct {
	err error
	msg string
}

func (e *masked) Error() string { return e.msg }
func (e *masked) Unwrap() error { return e.err }
