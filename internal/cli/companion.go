package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// The Kubernetes, Helm, Kustomize and BuildKit libraries that `config`, `k8s` and `graph` need
// make a binary five times larger, and their package initialisers touch most of it at start-up:
// with them, `rampart version` alone peaked at 85 MiB resident, against 14 MiB without. Image
// scanning should not pay for that, so those commands live in a companion binary, rampart-kube,
// built and installed next to rampart; rampart hands them over to it, with the same arguments,
// standard streams and exit code. rampart-kube runs every command by itself.

// CompanionName is the companion binary's file name.
const CompanionName = "rampart-kube"

// CompanionCommands are the commands rampart hands over to the companion, with their one-line
// help (kept equal to the companion's by a test in internal/cli/kubecmd).
var CompanionCommands = []struct{ Name, Short string }{
	{"config", "Check Dockerfiles, Kubernetes manifests, Helm charts and Kustomize for misconfigurations"},
	{"graph", "Build the cluster's security graph and rank its attack paths"},
	{"k8s", "Audit a Kubernetes cluster: posture (PSS, CIS, NSA), exposure and risky RBAC grants"},
}

// handedOverBy tells the companion which rampart version handed a command over.
const handedOverBy = "RAMPART_HANDED_OVER_BY"

// warnVersionSkew warns when this process runs a command handed over by a rampart of another
// build: the two binaries are meant to be installed together, and their flags or output may differ.
func warnVersionSkew(g *Globals) {
	if v := os.Getenv(handedOverBy); v != "" && v != Version() {
		g.Logger.Warn("rampart and "+CompanionName+" are different builds; install them together", "rampart", v, CompanionName, Version())
	}
}

// companionExit carries the companion's exit code; the companion has said what went wrong.
type companionExit struct{ code int }

func (e *companionExit) Error() string {
	return fmt.Sprintf("%s exited with code %d", CompanionName, e.code)
}
func (e *companionExit) ExitCode() int { return e.code }

func newHandOverCmd(g *Globals, name, short string) *cobra.Command {
	return &cobra.Command{
		Use:         name,
		Short:       short,
		Annotations: map[string]string{handOverAnnotation: "true"},
		Long: short + ".\n\nProvided by the " + CompanionName + " binary installed next to rampart; `rampart " + name +
			" --help` shows its commands and flags.",
		// Every argument, --help included, is the companion's to parse.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return handOver(cmd.Context(), g)
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			comps, directive := companionCompletions(cmd.Context(), append(append([]string{name}, args...), toComplete))
			if strings.HasPrefix(toComplete, "-") {
				// Cobra has offered rampart's own global flags already; the companion offers them too.
				comps = slices.DeleteFunc(comps, func(c string) bool { return offeredFlag(cmd, c) })
			}
			return comps, directive
		},
	}
}

// offeredFlag reports whether a completion ("--name\tusage") is one of the flags cobra completes
// for cmd by itself: rampart's global flags.
func offeredFlag(cmd *cobra.Command, completion string) bool {
	word, _, _ := strings.Cut(completion, "\t")
	if name, ok := strings.CutPrefix(word, "--"); ok {
		return cmd.InheritedFlags().Lookup(name) != nil || cmd.NonInheritedFlags().Lookup(name) != nil
	}
	if short, ok := strings.CutPrefix(word, "-"); ok && len(short) == 1 {
		return cmd.InheritedFlags().ShorthandLookup(short) != nil || cmd.NonInheritedFlags().ShorthandLookup(short) != nil
	}
	return false
}

// companionPath finds the companion: $RAMPART_KUBE, else next to this executable, else on PATH.
func companionPath() (string, error) {
	if p := os.Getenv("RAMPART_KUBE"); p != "" {
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			p := filepath.Join(filepath.Dir(exe), CompanionName)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	p, err := exec.LookPath(CompanionName)
	if err != nil {
		return "", WithCode(ExitError, fmt.Errorf("this command is provided by %s, which is neither next to rampart nor on PATH "+
			"(make build builds both; go install github.com/rampartsec/rampart/cmd/...@latest installs both)", CompanionName))
	}
	return p, nil
}

// handOver runs the companion with this process's arguments and streams and returns its exit
// code as a *companionExit (nil for success).
func handOver(ctx context.Context, g *Globals) error {
	path, err := companionPath()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path, g.Args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = g.Stdin, g.Stdout, g.Stderr
	cmd.Env = append(os.Environ(), handedOverBy+"="+Version())
	// On cancellation (SIGINT, SIGTERM) ask the companion to stop as rampart would, rather than
	// killing it; it gets a few seconds to finish writing.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.ExitCode() > 0:
		return &companionExit{code: ee.ExitCode()}
	case errors.As(err, &ee):
		// Killed by a signal (SIGPIPE when the reader of its output went away, SIGKILL): exit
		// as a shell reports it, 128+signal, without a message of our own.
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &companionExit{code: 128 + int(ws.Signal())}
		}
	}
	return fmt.Errorf("run %s: %w", path, err)
}

// companionCompletions asks the companion for shell completions (cobra's hidden __complete
// command) and returns them; completion without the companion offers nothing.
func companionCompletions(ctx context.Context, args []string) ([]string, cobra.ShellCompDirective) {
	path, err := companionPath()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out, err := exec.CommandContext(ctx, path, append([]string{cobra.ShellCompRequestCmd}, args...)...).Output()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var comps []string
	directive := cobra.ShellCompDirectiveDefault
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if d, ok := strings.CutPrefix(line, ":"); ok {
			if n, err := strconv.Atoi(d); err == nil {
				directive = cobra.ShellCompDirective(n)
			}
			break
		}
		comps = append(comps, line)
	}
	return comps, directive
}
