package image

import (
	"strings"
	"testing"
)

func TestSentinelsNamePackage(t *testing.T) {
	for _, err := range []error{ErrNotFound, ErrUnauthorized, ErrUnreachable, ErrInvalid} {
		if !strings.HasPrefix(err.Error(), "image: ") {
			t.Errorf("sentinel %q does not start with the package name", err)
		}
	}
}
