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
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/mask"
	"github.com/rampartsec/rampart/internal/report"
	"github.com/rampartsec/rampart/internal/secret"
)

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
	// companion is true in the companion binary, which runs every command itself.
	companion bool
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
	g := &Globals{Stdin: stdin, Stdout: stdout, Stderr: stderr, Args: args, companion: extra != nil}
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
		fmt.Fprintf(stderr, "rampart: %s\n", ErrorLine(err))
	}
	return code
}

// ErrorLine is the text of the final "rampart: …" line for err: on one line, with every secret
// masked (the built-in rules, and the user's --secret-config rules once read: see [mask.String])
// and terminal control sequences escaped as the table escapes them ([report.Clean]). A message
// quotes what the user gave and what the scanned artifact holds: file names, Dockerfile lines,
// registry answers.
func ErrorLine(err error) string {
	return report.Clean(mask.String(OneLine(err.Error())))
}

func OneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// NewRoot returns the command tree: the core commands plus extra's, or hand-over commands
// for the companion's when extra is nil.
func NewRoot(g *Globals, extra func(*Globals) []*cobra.Command) *cobra.Command {
	root := &cobra.Command{
		Use:   "rampart",
		Short: "Secure the container lifecycle: images, SBOMs, vulnerabilities, secrets, posture",
		Long: `Rampart scans container images, directories and configuration files for vulnerabilities,
secrets, malware and misconfigurations, writes SBOMs (CycloneDX 1.6, SPDX 2.3), and audits Docker
hosts, registries and Kubernetes clusters. Vulnerabilities are matched offline against a local
database: build it first with "rampart db import data/vulndb" (the bundled data) or
"rampart db update" (downloads). "rampart version" says where it is and how old.

Exit codes: 0 success, 1 other error, 2 usage error, 3 a finding at or above --fail-on, 4 not
found, 5 unauthorized, 6 unreachable, 7 invalid artifact, 8 vulnerability database missing or
unusable, 9 nothing assessed (docs/exit-codes.md). Every command and flag: docs/commands.md.`,
		Example: `  rampart db import data/vulndb                        # the bundled vulnerability data, offline
  rampart image alpine:3.20                            # an image from a registry
  rampart image docker://app:1 --fail-on HIGH          # from the local Docker engine; exit 3 on HIGH or worse
  rampart image app.tar -f sarif -o app.sarif          # a docker save archive, as SARIF
  rampart fs . --scanners vuln,secret                  # a directory
  rampart sbom app.tar -f spdx-json -o app.spdx.json   # an SBOM
  rampart config ./deploy                              # Dockerfiles, Kubernetes YAML, Helm, Kustomize`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd); err != nil {
				return err
			}
			level := slog.LevelWarn
			if g.Verbose {
				level = slog.LevelDebug
			}
			if g.Quiet {
				level = slog.LevelError
			}
			useSecretConfig(cmd)
			// Log records quote paths, errors and registry answers: secrets in them are masked,
			// with the same rules as the final error line.
			g.Logger = slog.New(mask.Handler(slog.NewTextHandler(g.Stderr, &slog.HandlerOptions{Level: level})))
			slog.SetDefault(g.Logger)
			warnVersionSkew(g)
			return nil
		},
	}
	root.SetFlagErrorFunc(flagError)
	pf := root.PersistentFlags()
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "no progress display and only error logs")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "debug logging on stderr")
	pf.StringVar(&g.CacheDir, "cache-dir", defaultCacheDir(), "directory for the layer analysis cache ($RAMPART_CACHE_DIR)")
	pf.BoolVar(&g.NoCache, "no-cache", false, "neither read nor write the layer cache")
	registerConfigFlag(pf)
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
	root.SetHelpCommand(newHelpCmd(g))
	root.InitDefaultCompletionCmd()
	guardSubcommands(root)
	root.SetUsageTemplate(usageTemplate(root))
	return root
}

// useSecretConfig makes the masking of errors, logs and warnings use the command's
// --secret-config rules too, when it has that flag and the file loads; a file that does not is
// the command's own error to report.
func useSecretConfig(cmd *cobra.Command) {
	mask.Use(nil) // the built-in rules, whatever an earlier Run in this process read
	f := cmd.Flags().Lookup("secret-config")
	if f == nil || f.Value.String() == "" {
		return
	}
	c, err := secret.LoadConfig(f.Value.String())
	if err != nil {
		return
	}
	if s, err := secret.New(c); err == nil {
		mask.Use(s)
	}
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
