package image

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
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
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

// openRegular opens the file at p for reading, refusing anything but a regular file: opening a
// named pipe blocks until a writer comes, reading one or a device may never end, and neither
// can be read at an offset. The mode is checked before the open, and the open does not block
// should p be swapped for a pipe in between; the opened file is checked again. A missing file
// gives an error wrapping fs.ErrNotExist, anything else a *notRegularError.
func openRegular(p string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, &notRegularError{p, st.Mode()}
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = &notRegularError{p, st.Mode()}
		}
		return nil, nil, err
	}
	return f, st, nil
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
