// Package cli is Rampart's command line: it parses flags, wires the packages together and maps
// errors to documented exit codes. It is the only package that writes to stdout.
package cli

import (
	"context"
	"errors"
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

// Globals are the flags every command shares.
type Globals struct {
	Quiet    bool
	Verbose  bool
	CacheDir string
	NoCache  bool
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	Logger   *slog.Logger
	// Args are the command line as given (without the program name), for handing a command
	// over to the companion binary.
	Args []string
}

// Main runs rampart with args (without the program name) and returns the exit code. The
// commands of the companion binary (see [CompanionCommands]) are handed over to it.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return Run(ctx, nil, args, stdin, stdout, stderr)
}

// Run is [Main] for a binary that brings more commands: extra returns them, and they take the
// place of the hand-over commands of the same names.
func Run(ctx context.Context, extra func(*Globals) []*cobra.Command, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if p := os.Getenv("RAMPART_CPUPROFILE"); p != "" {
		// A developer's switch for profiling a real scan; documented in docs/benchmarks.md.
		if f, err := os.Create(p); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	g := &Globals{Stdin: stdin, Stdout: stdout, Stderr: stderr, Args: args}
	root := NewRoot(g, extra)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := CodeFor(err)
	var handed *companionExit
	if code != ExitGate && !errors.As(err, &handed) {
		fmt.Fprintf(stderr, "rampart: %s\n", OneLine(err.Error()))
	}
	return code
}

func OneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// NewRoot returns the command tree: the core commands plus extra's, or hand-over commands
// for the companion's when extra is nil.
func NewRoot(g *Globals, extra func(*Globals) []*cobra.Command) *cobra.Command {
	root := &cobra.Command{
		Use:           "rampart",
		Short:         "Secure the container lifecycle: images, SBOMs, vulnerabilities, secrets, posture",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			level := slog.LevelWarn
			if g.Verbose {
				level = slog.LevelDebug
			}
			if g.Quiet {
				level = slog.LevelError
			}
			g.Logger = slog.New(slog.NewTextHandler(g.Stderr, &slog.HandlerOptions{Level: level}))
			slog.SetDefault(g.Logger)
			warnVersionSkew(g)
			return nil
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return WithCode(ExitUsage, err) })
	pf := root.PersistentFlags()
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "no progress display and only error logs")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "debug logging on stderr")
	pf.StringVar(&g.CacheDir, "cache-dir", defaultCacheDir(), "directory for the layer analysis cache")
	pf.BoolVar(&g.NoCache, "no-cache", false, "neither read nor write the layer cache")
	root.AddCommand(newImageCmd(g), newFSCmd(g), newSBOMCmd(g), newVersionCmd(g))
	root.AddCommand(newDBCmd(g))
	root.AddCommand(newDockerCmd(g))
	root.AddCommand(newRegistryCmd(g))
	root.AddCommand(newVerifyCmd(g))
	if extra != nil {
		root.AddCommand(extra(g)...)
	} else {
		for _, c := range CompanionCommands {
			root.AddCommand(newHandOverCmd(g, c.Name, c.Short))
		}
	}
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

func newVersionCmd(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Rampart's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(g.Stdout, "rampart %s\n", Version())
			return err
		},
	}
}

// UsageArgs checks positional arguments and turns a mismatch into a usage error.
func UsageArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return WithCode(ExitUsage, err)
		}
		return nil
	}
}
