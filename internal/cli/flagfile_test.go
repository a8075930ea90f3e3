package cli

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFlagFilesRefuseNamedPipes: a named pipe given as an ignore file, VEX document, template,
// key or config file is a usage error at once; opening it would block until a writer came.
func TestFlagFilesRefuseNamedPipes(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--ignorefile", fifo},
		{"--vex", fifo},
		{"--format", "template", "--template", "@" + fifo},
		{"--config", fifo},
	} {
		res := runImage(t, append(append([]string{"--scanners", "pkg"}, args...), "dir:"+dir)...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, "named pipe") {
			t.Errorf("%v: exit %d, stderr %q; want %d naming the named pipe", args, res.code, res.stderr, ExitUsage)
		}
	}
}
