// Package kubecmd holds the commands that need the Kubernetes, Helm, Kustomize and BuildKit
// libraries — config, k8s and graph — for the rampart-kube companion binary; internal/cli says
// why they are not in rampart itself.
package kubecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/manifest"
	"github.com/rampartsec/rampart/internal/misconfig/dockerfile"
)

// stopGrace is how long a command may go on once ctx is cancelled (SIGINT, SIGTERM) before Main
// returns without it: a read blocked in the kernel (a named pipe given as a values file, a hung
// network file system) does not see ctx.
const stopGrace = 1500 * time.Millisecond

// Main runs rampart-kube: every rampart command, these included. It returns the exit code, at
// the latest stopGrace after ctx is cancelled.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	done := make(chan int, 1)
	go func() { done <- cli.Run(ctx, Commands, args, stdin, stdout, stderr) }()
	select {
	case code := <-done:
		return code
	case <-ctx.Done():
	}
	select {
	case code := <-done:
		return code
	case <-time.After(stopGrace):
		// The command is stuck where cancellation cannot reach; the process is about to exit.
		fmt.Fprintf(stderr, "rampart: %s: stopped without waiting for the command to finish\n", context.Cause(ctx))
		return cli.ExitError
	}
}

// Commands returns the commands rampart hands over to rampart-kube.
func Commands(g *cli.Globals) []*cobra.Command {
	return []*cobra.Command{newConfigCmd(g), newGraphCmd(g), newK8sCmd(g)}
}

// exitCode is the one mapping of errors to exit codes of config, k8s and graph
// (docs/exit-codes.md): a path that does not exist is ExitNotFound; input that does not parse,
// render or build is ExitInvalid; a path that is not a regular file or a directory (a named
// pipe, a device) is ExitUsage; refused credentials ExitUnauthorized; an API server that does
// not answer, or --timeout, ExitUnreachable. An error that carries its code keeps it.
func exitCode(err error) int {
	var ee interface{ ExitCode() int }
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode()
	case errors.Is(err, manifest.ErrNotRegular):
		return cli.ExitUsage
	case errors.Is(err, kube.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return cli.ExitNotFound
	case errors.Is(err, kube.ErrInvalid), errors.Is(err, manifest.ErrRender), errors.Is(err, manifest.ErrBuild),
		errors.Is(err, dockerfile.ErrSyntax), errors.Is(err, dockerfile.ErrTooLarge):
		return cli.ExitInvalid
	case errors.Is(err, kube.ErrUnauthorized):
		return cli.ExitUnauthorized
	case errors.Is(err, kube.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return cli.ExitUnreachable
	}
	return cli.CodeFor(err)
}

// withExitCode gives err its exit code (see exitCode); nil stays nil.
func withExitCode(err error) error {
	if err == nil {
		return nil
	}
	return cli.WithCode(exitCode(err), err)
}
