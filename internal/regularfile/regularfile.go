// Package regularfile opens and reads files a user named, refusing anything but a regular file:
// opening a named pipe blocks until a writer comes, reading a device or a pipe may never end, and
// neither has a size to bound. It is the one place every reader of a user-named path (archives,
// layouts, manifests, ignore files, templates, keys, configuration) goes through. It imports
// nothing of Rampart.
package regularfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is wrapped by [*Error].
var ErrNotRegular = errors.New("not a regular file")

// Error says that Path names something other than a regular file.
type Error struct {
	Path string
	Mode fs.FileMode
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: not a regular file: it is %s", e.Path, Kind(e.Mode))
}
func (e *Error) Unwrap() error { return ErrNotRegular }

// Kind names what a file mode says a file is: "a named pipe", "a socket", ….
func Kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	}
	return "an irregular file"
}

// Open opens the file at p for reading if it is a regular file (symbolic links followed). The
// mode is checked before the open, and the open does not block should p be swapped for a pipe in
// between; the opened file is checked again. A missing file gives os.Stat's error (fs.ErrNotExist),
// anything but a regular file an [*Error].
func Open(p string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, &Error{p, st.Mode()}
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = &Error{p, st.Mode()}
		}
		return nil, nil, err
	}
	return f, st, nil
}

// ErrTooLarge is wrapped by [Read]'s error for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// Read reads the regular file at p, of at most limit bytes.
func Read(p string, limit int64) ([]byte, error) {
	f, st, err := Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", p, ErrTooLarge, limit)
	}
	// The size again while reading: the file may grow.
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", p, ErrTooLarge, limit)
	}
	return b, nil
}
