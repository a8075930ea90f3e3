package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Rampart returns the path of a rampart binary built from this checkout's ./cmd/rampart, with
// its companion ./cmd/rampart-kube in the same directory. They are built once per test process, into a temporary directory that [Cleanup] removes. A build error
// fails the test; under -short the test is skipped instead of building. Safe for concurrent use.
func Rampart(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the rampart binary: skipped with -short")
	}
	binary.once.Do(func() { binary.dir, binary.path, binary.err = buildRampart() })
	if binary.err != nil {
		t.Fatalf("build rampart: %v", binary.err)
	}
	return binary.path
}

// Cleanup removes the binary [Rampart] built, if any. Call it from TestMain after m.Run.
func Cleanup() {
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
}

func buildRampart() (dir, path string, err error) {
	gobin := goCommand()
	// The test runs in its package's directory; the go command finds the module from there.
	out, err := exec.Command(gobin, "env", "GOMOD").Output()
	if err != nil {
		return "", "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", "", errors.New("not inside the rampart module")
	}
	dir, err = os.MkdirTemp("", "rampart-test-bin-")
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "rampart")
	cmd := exec.Command(gobin, "build", "-o", dir+string(filepath.Separator), "./cmd/rampart", "./cmd/rampart-kube")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", "", fmt.Errorf("go build ./cmd/rampart ./cmd/rampart-kube: %w\n%s", err, out)
	}
	return dir, path, nil
}

// goCommand is the go command running the tests: the one in GOROOT, else the one on PATH.
func goCommand() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Result is what one run of the binary did.
type Result struct {
	Args   []string
	Code   int
	Stdout []byte
	Stderr []byte
	// MaxRSS is the process's peak resident set size in bytes (0 when unknown), for tests
	// that hold a run to bounded memory.
	MaxRSS int64
}

// MaxRSSOf is the peak resident set size of a finished process, in bytes; 0 when unknown.
func MaxRSSOf(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // kilobytes on Linux
	}
	return 0
}

// String describes the run for failure messages: command, exit code and the end of stderr.
func (r Result) String() string {
	errs := r.Stderr
	if len(errs) > 2000 {
		errs = errs[len(errs)-2000:]
	}
	return fmt.Sprintf("rampart %s: exit %d\nstderr:\n%s", strings.Join(r.Args, " "), r.Code, errs)
}

// RunTimeout bounds one run of the binary.
const RunTimeout = 5 * time.Minute

// Run runs the rampart binary with args and extra environment variables ("K=V", added to the
// test's own environment) and returns what it did; a non-zero exit is not a test failure, but a
// binary that cannot be started or outlives [RunTimeout] is.
func Run(t testing.TB, env []string, args ...string) Result {
	t.Helper()
	return RunBinary(t, Rampart(t), env, args...)
}

// RunBinary is [Run] for the binary at bin.
func RunBinary(t testing.TB, bin string, env []string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Args: args, Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), MaxRSS: MaxRSSOf(cmd.ProcessState)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("rampart %s: no result within %v\nstderr:\n%s", strings.Join(args, " "), RunTimeout, stderr.Bytes())
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("rampart %s: %v", strings.Join(args, " "), err)
	}
	return res
}
