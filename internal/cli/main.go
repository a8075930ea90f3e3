// Package cli is Rampart's command line: it parses flags, wires the packages together and maps
// errors to documented exit codes. It is the only package that writes to stdout.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X github.com/rampartsec/rampart/internal/cli.version=…".
var version = ""

// Version returns the build's version: the ldflags value, else the module version, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// globals are the flags every command shares.
type globals struct {
	quiet    bool
	verbose  bool
	cacheDir string
	noCache  bool
	stdout   io.Writer
	stderr   io.Writer
	logger   *slog.Logger
}

// Main runs rampart with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if p := os.Getenv("RAMPART_CPUPROFILE"); p != "" {
		// A developer's switch for profiling a real scan; documented in docs/benchmarks.md.
		if f, err := os.Create(p); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := codeFor(err)
	if code != ExitGate {
		fmt.Fprintf(stderr, "rampart: %s\n", oneLine(err.Error()))
	}
	return code
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "rampart",
		Short:         "Secure the container lifecycle: images, SBOMs, vulnerabilities, secrets, posture",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			level := slog.LevelWarn
			if g.verbose {
				level = slog.LevelDebug
			}
			if g.quiet {
				level = slog.LevelError
			}
			g.logger = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
			slog.SetDefault(g.logger)
			return nil
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return withCode(ExitUsage, err) })
	pf := root.PersistentFlags()
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "no progress display and only error logs")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "debug logging on stderr")
	pf.StringVar(&g.cacheDir, "cache-dir", defaultCacheDir(), "directory for the layer analysis cache")
	pf.BoolVar(&g.noCache, "no-cache", false, "neither read nor write the layer cache")
	root.AddCommand(newImageCmd(g), newFSCmd(g), newSBOMCmd(g), newVersionCmd(g))
	root.AddCommand(newDBCmd(g))
	root.AddCommand(newDockerCmd(g))
	root.AddCommand(newConfigCmd(g))
	root.AddCommand(newK8sCmd(g))
	root.AddCommand(newGraphCmd(g))
	return root
}

func defaultCacheDir() string {
	if d := os.Getenv("RAMPART_CACHE_DIR"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "rampart-cache")
	}
	return filepath.Join(d, "rampart")
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Rampart's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(g.stdout, "rampart %s\n", Version())
			return err
		},
	}
}

// usageArgs checks positional arguments and turns a mismatch into a usage error.
func usageArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return withCode(ExitUsage, err)
		}
		return nil
	}
}
