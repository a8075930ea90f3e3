// Command rampart-kube is rampart's companion: it runs every rampart command, including those
// that need the Kubernetes, Helm and Kustomize libraries (config, k8s, graph), which rampart
// hands over to it. Install it next to rampart.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/rampartsec/rampart/internal/cli/kubecmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := kubecmd.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
