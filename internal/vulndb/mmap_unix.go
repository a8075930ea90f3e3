//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vulndb

import (
	"bytes"
	"io"
	"os"
	"syscall"
)

// mapForCheck maps f read-only for checkFile, whose many small reads would otherwise each be a
// system call. The returned function unmaps it.
func mapForCheck(f *os.File, size int64) (io.ReaderAt, func()) {
	if size <= 0 || int64(int(size)) != size {
		return f, func() {}
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return f, func() {} // reading through the file works too, only slower
	}
	return bytes.NewReader(data), func() { syscall.Munmap(data) }
}
