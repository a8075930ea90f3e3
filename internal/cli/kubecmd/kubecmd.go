// Package kubecmd holds the commands that need the Kubernetes, Helm, Kustomize and BuildKit
// libraries — config, k8s and graph — for the rampart-kube companion binary; internal/cli says
// why they are not in rampart itself.
package kubecmd

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/cli"
)

// Main runs rampart-kube: every rampart command, these included. It returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Run(ctx, Commands, args, stdin, stdout, stderr)
}

// Commands returns the commands rampart hands over to rampart-kube.
func Commands(g *cli.Globals) []*cobra.Command {
	return []*cobra.Command{newConfigCmd(g), newGraphCmd(g), newK8sCmd(g)}
}
