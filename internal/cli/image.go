package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/report"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/sbom"
	"github.com/rampartsec/rampart/internal/scan"
)

// FormatSARIF is the SARIF format's --format name.
const FormatSARIF = report.FormatSARIF

// ArtifactFlags are the flags that say how to open an artifact.
type ArtifactFlags struct {
	Source   string
	Platform string
	Insecure bool
	CACert   string
	Timeout  time.Duration
}

func (f *ArtifactFlags) Register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.Source, "source", "", `where a plain image name is read: "daemon" (the local Docker engine) or "registry" (default: the engine when it holds the image, else the registry)`)
	fl.StringVar(&f.Platform, "platform", image.HostPlatform(), "platform to select from a multi-platform image (os/arch[/variant])")
	fl.BoolVar(&f.Insecure, "insecure", false, "allow plain HTTP and unverified TLS to the registry")
	fl.StringVar(&f.CACert, "ca-cert", "", "PEM file with extra CA certificates to trust for the registry")
	fl.DurationVar(&f.Timeout, "timeout", 10*time.Minute, "give up on the whole scan after this long")
}

// Options are the flags as the scan pipeline takes them; --source is a usage error when unknown.
func (f *ArtifactFlags) Options() (scan.ArtifactOptions, error) {
	var forced image.Source
	switch f.Source {
	case "":
	case "daemon", "docker":
		forced = image.SourceDaemon
	case "registry", "remote":
		forced = image.SourceRegistry
	default:
		return scan.ArtifactOptions{}, WithCode(ExitUsage, fmt.Errorf("--source %q: want registry or daemon", f.Source))
	}
	return scan.ArtifactOptions{Source: forced, Platform: f.Platform, Insecure: f.Insecure, CACert: f.CACert, Timeout: f.Timeout}, nil
}

// Ref parses an artifact reference with the forced --source.
func (f *ArtifactFlags) Ref(arg string) (image.Ref, error) {
	o, err := f.Options()
	if err != nil {
		return image.Ref{}, err
	}
	r, err := image.ParseRef(arg, o.Source)
	if err != nil {
		return image.Ref{}, WithCode(ExitUsage, err)
	}
	return r, nil
}

// tool is the tool every report names.
func tool() result.Tool { return result.Tool{Name: "rampart", Version: Version()} }

// scanCmdSpec distinguishes `rampart image` from `rampart fs`, which share one implementation.
type scanCmdSpec struct {
	use, short, long, example string
	defaults                  []string
	// refPrefix is put before the argument ("dir:" for fs).
	refPrefix string
	// input adds --input FILE, an archive to scan in place of REF (Trivy's flag).
	input bool
}

func newImageCmd(g *Globals) *cobra.Command {
	return newScanCmd(g, scanCmdSpec{
		use:   "image REF",
		short: "Scan a container image",
		long: `Scan a container image: list its packages and report what is wrong with it.

REF is a registry reference (127.0.0.1:5000/app:1, app@sha256:…), docker://NAME for the local
Docker engine (or --source daemon), docker-archive:FILE, oci:DIR[:TAG], oci-archive:FILE[:TAG],
dir:PATH, or a path to an existing archive or directory. --input FILE names an archive
(docker save or OCI, told apart by content) in place of REF.

Without --scanners, it looks for vulnerabilities, packages and secrets; a missing vulnerability
database then only skips the vulnerability scan, with a warning. --scanners vuln or --fail-on
make it an error (exit code 8): build the database with "rampart db import" or "rampart db update".`,
		example: `  rampart image alpine:3.20
  rampart image docker://app:1 --scanners vuln,secret,malware,misconfig --fail-on HIGH
  rampart image docker-archive:app.tar -f sarif -o app.sarif
  rampart image oci:./layout:1 --severity HIGH,CRITICAL --ignore-unfixed`,
		defaults: scan.Default,
		input:    true,
	})
}

func newFSCmd(g *Globals) *cobra.Command {
	return newScanCmd(g, scanCmdSpec{
		use:   "fs DIR",
		short: "Scan a directory: packages, vulnerabilities and secrets",
		long: `Scan a directory (a project checkout or a root filesystem) the way ` + "`rampart image`" + ` scans an
image: the same analyzers, scanners, flags and output formats. Symbolic links are not followed.`,
		example: `  rampart fs .
  rampart fs ./checkout --scanners vuln --fail-on HIGH -f json -o report.json
  rampart fs /mnt/rootfs --skip-dirs '**/node_modules'`,
		defaults:  []string{scan.Vuln, scan.Pkg, scan.Secret},
		refPrefix: "dir:",
	})
}

func newScanCmd(g *Globals, spec scanCmdSpec) *cobra.Command {
	var af ArtifactFlags
	var of OutputFlags
	var vf VulnFlags
	var ff FileScanFlags
	var scanners []string
	var listAll bool
	var exitCode int
	var input string
	args := UsageArgs(1)
	if spec.input {
		// REF or --input, which may come from the environment or a config file: checked in RunE.
		args = func(cmd *cobra.Command, args []string) error {
			if err := cobra.MaximumNArgs(1)(cmd, args); err != nil {
				return WithCode(ExitUsage, err)
			}
			return nil
		}
	}
	cmd := &cobra.Command{
		Use:     spec.use,
		Short:   spec.short,
		Long:    spec.long,
		Example: spec.example,
		Args:    args,
		RunE: func(cmd *cobra.Command, args []string) error {
			if spec.input {
				ref, err := inputRef(args, input, af.Source)
				if err != nil {
					return err
				}
				args = []string{ref}
			}
			if spec.refPrefix != "" && !strings.HasPrefix(args[0], spec.refPrefix) {
				args[0] = spec.refPrefix + args[0]
			}
			if exitCode < 0 || exitCode > 255 {
				return WithCode(ExitUsage, fmt.Errorf("--exit-code %d: want 0 to 255", exitCode))
			}
			opts, err := scanOptions(g, cmd, &af, &vf, &ff, scanners)
			if err != nil {
				return err
			}
			if _, err := af.Ref(args[0]); err != nil {
				return err
			}
			p, err := scan.New(cmd.Context(), opts)
			if err != nil {
				return err
			}
			defer p.Close()
			rep, err := p.Scan(cmd.Context(), args[0], g.layerProgress)
			if err != nil {
				return err
			}
			// The table shows findings; the inventory when asked for (--list-all-pkgs, or pkg named in --scanners).
			list := listAll || (cmd.Flags().Changed("scanners") && slices.Contains(scanners, scan.Pkg))
			if err := WriteReport(g, &of, rep, list); err != nil {
				return err
			}
			return gate(g, p, rep, exitCode)
		},
	}
	af.Register(cmd)
	if spec.refPrefix == "dir:" {
		// A directory has no registry, platform or Docker engine: fs accepts those flags of
		// image and hides them from its help.
		for _, name := range []string{"source", "platform", "insecure", "ca-cert"} {
			cmd.Flags().MarkHidden(name)
		}
	}
	of.Register(cmd, "table", report.ScanFormats)
	vf.Register(cmd)
	ff.Register(cmd)
	cmd.Flags().StringSliceVar(&scanners, "scanners", spec.defaults, "what to look for: "+strings.Join(scan.Known, ","))
	cmd.Flags().BoolVar(&listAll, "list-all-pkgs", false, "list every package in the table, not only the findings (JSON and SBOM formats always have them)")
	cmd.Flags().IntVar(&exitCode, "exit-code", 0, "exit with this code when findings remain after filtering; with --fail-on, the code the gate exits with (default 3)")
	if spec.input {
		cmd.Flags().StringVar(&input, "input", "", "scan this image archive (docker save or OCI archive) instead of REF")
	}
	return cmd
}

// inputRef is the reference to scan: REF, or --input's file, which must exist. A file name with
// neither "/" nor "." gets "./" so that it is not read as a registry image name.
func inputRef(args []string, input, source string) (string, error) {
	switch {
	case input == "" && len(args) == 0:
		return "", WithCode(ExitUsage, errors.New("want an image reference (REF) or --input FILE"))
	case input == "":
		return args[0], nil
	case len(args) > 0:
		return "", WithCode(ExitUsage, fmt.Errorf("give REF (%s) or --input (%s), not both", args[0], input))
	case source != "":
		return "", WithCode(ExitUsage, errors.New("--input names a file; --source does not apply to it"))
	}
	if _, err := os.Stat(input); err != nil {
		return "", WithCode(ExitNotFound, fmt.Errorf("--input: %w", err))
	}
	if !strings.ContainsAny(input, "/.") {
		input = "./" + input
	}
	return input, nil
}

// gate is the --fail-on verdict on rep; when it passes with findings of UNKNOWN severity left
// unjudged, it says how many, so that a pass is not mistaken for a clean scan. A non-zero
// exitCode (--exit-code, Trivy's) is the code of a tripped gate, and without --fail-on the code
// for any finding left after filtering.
func gate(g *Globals, p *scan.Pipeline, rep *result.Report, exitCode int) error {
	err := p.Gate(rep)
	if exitCode != 0 {
		if err != nil {
			return WithCode(exitCode, err)
		}
		if p.FailOn() == "" && len(rep.Findings) > 0 {
			return WithCode(exitCode, fmt.Errorf("%d findings reported (--exit-code %d)", len(rep.Findings), exitCode))
		}
	}
	if err == nil {
		if n := scan.UnjudgedUnknowns(rep.Findings, p.FailOn()); n > 0 && !g.Quiet {
			fmt.Fprintf(g.Stderr, "rampart: --fail-on %s passed; %d findings of UNKNOWN severity were not judged (add --fail-on UNKNOWN to gate on them)\n", p.FailOn(), n)
		}
	}
	return err
}

// scanOptions gathers the flags of a scanning command into the pipeline's options.
func scanOptions(g *Globals, cmd *cobra.Command, af *ArtifactFlags, vf *VulnFlags, ff *FileScanFlags, scanners []string) (scan.Options, error) {
	if err := scan.CheckScanners(scanners); err != nil {
		return scan.Options{}, err
	}
	filter, err := vf.Filter()
	if err != nil {
		return scan.Options{}, err
	}
	ao, err := af.Options()
	if err != nil {
		return scan.Options{}, err
	}
	paths, err := ff.paths()
	if err != nil {
		return scan.Options{}, err
	}
	if err := scan.CheckPkgTypes(ff.pkgTypes); err != nil {
		return scan.Options{}, err
	}
	filter.PkgTypes = ff.pkgTypes
	return scan.Options{
		Scanners: scanners,
		// Asked for by name, or gated on: a missing database must not pass silently.
		RequireDB: cmd.Flags().Changed("scanners") || filter.FailOn != "",
		DBDir:     vf.dbDir,
		Offline:   vf.Offline,
		Secret:    ff.secretOptions(),
		Malware:   ff.malwareOptions(),
		Filter:    filter,
		Paths:     paths,
		Artifact:  ao,
		CacheDir:  g.LayerCacheDir(),
		Tool:      tool(),
		Logger:    g.Logger,
	}, nil
}

// LayerCacheDir is the layer cache's directory, or "" with --no-cache.
func (g *Globals) LayerCacheDir() string {
	if g.NoCache {
		return ""
	}
	return g.CacheDir
}

// layerProgress is the scan pipeline's progress display: a status line on a terminal.
func (g *Globals) layerProgress(layers int) scan.Progress {
	if p := newProgress(g.Stderr, layers, g.Quiet); p != nil {
		return p
	}
	return nil
}

func newSBOMCmd(g *Globals) *cobra.Command {
	var af ArtifactFlags
	var of OutputFlags
	cmd := &cobra.Command{
		Use:   "sbom REF",
		Short: "Write a CycloneDX 1.6 or SPDX 2.3 SBOM of an image or directory",
		Long: "Write a software bill of materials (the packages, with their package URLs, licenses where known and the\n" +
			"files that prove them) for REF: an image or a directory, with the reference syntax of `rampart image`.",
		Example: "  rampart sbom alpine:3.20 -o alpine.cdx.json\n  rampart sbom ./checkout --format spdx-json -o checkout.spdx.json",
		Args:    UsageArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ao, err := af.Options()
			if err != nil {
				return err
			}
			p, err := scan.New(cmd.Context(), scan.Options{Artifact: ao, CacheDir: g.LayerCacheDir(), Tool: tool(), Logger: g.Logger})
			if err != nil {
				return err
			}
			defer p.Close()
			rep, err := p.Inventory(cmd.Context(), args[0], g.layerProgress)
			if err != nil {
				return err
			}
			return WriteReport(g, &of, rep, true)
		},
	}
	af.Register(cmd)
	of.Register(cmd, sbom.FormatCycloneDXJSON, []string{sbom.FormatCycloneDXJSON, sbom.FormatSPDXJSON, report.FormatJSON, report.FormatTable})
	return cmd
}

// WriteReport writes a scan report in the format --format names.
func WriteReport(g *Globals, of *OutputFlags, rep *result.Report, listPackages bool) error {
	return of.Write(g.Stdout, func(w io.Writer, format string) error {
		return report.Write(w, format, rep, report.Options{ListPackages: listPackages, Template: of.Template})
	})
}
