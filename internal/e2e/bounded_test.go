package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rampartsec/rampart/internal/testenv"
)

// boundedRun is one run of a binary under runBounded: what testenv.Result holds (MaxRSS covers
// the companion too: wait4 reports the children a process waited for), how long it ran, and how
// long it ran after the signal.
type boundedRun struct {
	testenv.Result
	took, afterSignal time.Duration
}

// runBounded runs bin with args and fails the test if it has not ended after limit (the hang
// under test). stdin, when not nil, is fed through a real pipe: exec's own copy would keep Wait
// waiting for an endless stdin after the process is gone. When sig is set, it is sent after delay.
func runBounded(t *testing.T, bin string, limit time.Duration, stdin io.Reader, sig os.Signal, delay time.Duration, args ...string) boundedRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var pw *os.File
	if stdin != nil {
		pr, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		cmd.Stdin, pw = pr, w
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if pw != nil {
		go func() { io.Copy(pw, stdin); pw.Close() }()
	}
	var sent time.Time
	if sig != nil {
		time.Sleep(delay)
		sent = time.Now()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatalf("signal: %v (did rampart end before it?)", err)
		}
	}
	err := cmd.Wait()
	res := boundedRun{Result: testenv.Result{Args: args, Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), MaxRSS: testenv.MaxRSSOf(cmd.ProcessState)},
		took: time.Since(start)}
	if sig != nil {
		res.afterSignal = time.Since(sent)
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("rampart %s: still running after %s (killed)\nstderr:\n%s", strings.Join(args, " "), limit, stderr.Bytes())
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return res
}
