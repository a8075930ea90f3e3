//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vulndb

import (
	"errors"
	"os"
	"syscall"
)

// lockedByOther reports whether another open file holds a lock on path, as bbolt holds an
// exclusive flock on a database it writes. known is false when that cannot be told.
func lockedByOther(path string) (locked, known bool) {
	f, err := os.Open(path)
	if err != nil {
		return false, false
	}
	defer f.Close() // releases the lock taken below
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		return false, true
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, true
	}
	return false, false
}
