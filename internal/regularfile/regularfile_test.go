package regularfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenAndRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(file, 5); err != nil || string(b) != "hello" {
		t.Errorf("Read(file, 5) = %q, %v", b, err)
	}
	if _, err := Read(file, 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Read(file, 4): %v, want ErrTooLarge", err)
	}
	// A named pipe is refused at once, never opened (that would block until a writer came).
	for _, p := range []string{fifo, dir, "/dev/null"} {
		var e *Error
		if _, _, err := Open(p); !errors.As(err, &e) || !errors.Is(err, ErrNotRegular) {
			t.Errorf("Open(%s): %v, want *Error", p, err)
		}
	}
	if _, _, err := Open(filepath.Join(dir, "nosuch")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}
