package image

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Errors returned by [Open] and by layer reads, wrapped with the artifact, layer or file they concern.
var (
	ErrNotFound     = errors.New("image: not found")
	ErrUnauthorized = errors.New("image: unauthorized")
	ErrUnreachable  = errors.New("image: unreachable")
	// ErrInvalid means the artifact itself is bad: corrupt or truncated data, a digest that does not
	// match, an unsupported media type, a named pipe or device where a file should be.
	ErrInvalid = errors.New("image: invalid artifact")
)

// classify wraps a go-containerregistry or network error with the sentinel that says what happened.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return &kindError{ErrUnauthorized, err}
		case http.StatusNotFound:
			return &kindError{ErrNotFound, err}
		}
		for _, d := range terr.Errors {
			switch d.Code {
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
				return &kindError{ErrNotFound, err}
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				return &kindError{ErrUnauthorized, err}
			}
		}
		return &kindError{ErrUnreachable, err}
	}
	if isMismatch(err) {
		return &kindError{ErrInvalid, err}
	}
	var nerr net.Error
	var uerr *url.Error
	var operr *net.OpError
	if errors.As(err, &nerr) || errors.As(err, &uerr) || errors.As(err, &operr) ||
		errors.Is(err, context.DeadlineExceeded) {
		return &kindError{ErrUnreachable, err}
	}
	return err
}

// mismatchWords are how go-containerregistry says that what a registry served does not match
// the digest or size it was asked for: its verifying reader's error type is internal, so its
// words are all there is to go by. TestRegistryDigestMismatch pins them.
var mismatchWords = []string{
	"does not match requested digest", // a manifest pulled by digest
	"error verifying sha256 checksum", // a blob, at its end
	"error verifying size",            // a blob shorter or longer than its descriptor
	"does not match expected size",    // a blob whose Content-Length is not its descriptor's size
}

func isMismatch(err error) bool {
	s := err.Error()
	for _, w := range mismatchWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// kindError tags an error with a sentinel without changing its one-line message.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string        { return e.err.Error() }
func (e *kindError) Unwrap() error        { return e.err }
func (e *kindError) Is(target error) bool { return target == e.kind }
