package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/rampartsec/rampart/internal/regularfile"
	"golang.org/x/term"
)

// notRegularError says that a path names something other than a regular file.
type notRegularError struct {
	path string
	mode fs.FileMode
}

func (e *notRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.path, fileKind(e.mode))
}

// fileKind names what a file mode says a file is.
func fileKind(m fs.FileMode) string { return regularfile.Kind(m) }

// openRegular opens the file at p for reading, refusing anything but a regular file (see
// package regularfile). A missing file gives an error wrapping fs.ErrNotExist, anything else a
// *notRegularError.
func openRegular(p string) (*os.File, fs.FileInfo, error) {
	f, st, err := regularfile.Open(p)
	var re *regularfile.Error
	if errors.As(err, &re) {
		return nil, nil, &notRegularError{re.Path, re.Mode}
	}
	return f, st, err
}

// readRegular reads the regular file at p, of at most limit bytes.
func readRegular(p string, limit int64) ([]byte, error) {
	f, st, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, limit)
	}
	return io.ReadAll(io.LimitReader(f, st.Size()))
}

// ctxReader fails reads once ctx is done, so that a cancelled or timed-out scan stops at its
// next read of a file instead of reading it to the end.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// ctxReadSeeker is ctxReader for a reader that can also seek (archive/tar skips entries by
// seeking).
type ctxReadSeeker struct {
	ctx context.Context
	io.ReadSeeker
}

func (r ctxReadSeeker) Read(p []byte) (int, error) { return ctxReader{r.ctx, r.ReadSeeker}.Read(p) }

// defaultStdinLimit bounds the copy of an archive read from standard input.
const defaultStdinLimit = 16 << 30

// WithStdin sets where an archive named "-" is read from; the default is os.Stdin.
func WithStdin(r io.Reader) Option { return func(o *options) error { o.stdin = r; return nil } }

// WithStdinLimit bounds the size of an archive read from standard input (default 16 GiB): it is
// copied to a temporary file first, since archives are read at random offsets.
func WithStdinLimit(n int64) Option {
	return func(o *options) error {
		if n <= 0 {
			return errors.New("standard input limit must be positive")
		}
		o.stdinLimit = n
		return nil
	}
}

// spoolStdin copies standard input, at most o.stdinLimit bytes of it, to a temporary file in
// o.tempDir and returns that file, opened and already unlinked: nothing is left behind whatever
// happens. The copy gives up when ctx is done, even when standard input never ends.
func spoolStdin(ctx context.Context, o *options, what string) (*os.File, error) {
	in := o.stdin
	if in == nil {
		in = os.Stdin
	}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return nil, fmt.Errorf("%w: %s on standard input: standard input is a terminal", ErrInvalid, what)
	}
	tmp, err := os.CreateTemp(o.tempDir, "rampart-stdin-*.tar")
	if err != nil {
		return nil, fmt.Errorf("%s on standard input: %w", what, err)
	}
	if err := os.Remove(tmp.Name()); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("%s on standard input: %w", what, err)
	}
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := io.Copy(tmp, io.LimitReader(in, o.stdinLimit+1))
		done <- result{n, err}
	}()
	var res result
	select {
	case <-ctx.Done():
		// The copy may still be blocked in a read: closing the file ends it at its next write.
		tmp.Close()
		return nil, fmt.Errorf("%s on standard input: %w", what, ctx.Err())
	case res = <-done:
	}
	switch {
	case res.err != nil:
		err = fmt.Errorf("%s on standard input: %w", what, res.err)
	case res.n > o.stdinLimit:
		err = fmt.Errorf("%w: %s on standard input is larger than %d bytes", ErrInvalid, what, o.stdinLimit)
	}
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Close()
		return nil, err
	}
	return tmp, nil
}
