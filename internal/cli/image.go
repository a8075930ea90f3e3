package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/analysis"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/inventory/catalogers"
	"github.com/rampartsec/rampart/internal/report"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/sbom"
)

// Scanner names accepted by --scanners.
const (
	scanPkg       = "pkg"
	scanVuln      = "vuln"
	ScanSecret    = "secret"
	scanMalware   = "malware"
	scanMisconfig = "misconfig"
)

var knownScanners = []string{scanPkg, scanVuln, ScanSecret, scanMalware, scanMisconfig}

// availableScanners are those this build implements; asking for another is a usage error, not a
// silent "nothing found".
var availableScanners = []string{scanPkg, scanVuln, ScanSecret, scanMalware, scanMisconfig}

// defaultScanners run when --scanners is not given.
var defaultScanners = []string{scanVuln, scanPkg, ScanSecret}

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
	fl.StringVar(&f.Source, "source", "", `where a plain image name is looked up: "registry" or "daemon" (default: registry)`)
	fl.StringVar(&f.Platform, "platform", image.HostPlatform(), "platform to select from a multi-platform image (os/arch[/variant])")
	fl.BoolVar(&f.Insecure, "insecure", false, "allow plain HTTP and unverified TLS to the registry")
	fl.StringVar(&f.CACert, "ca-cert", "", "PEM file with extra CA certificates to trust for the registry")
	fl.DurationVar(&f.Timeout, "timeout", 10*time.Minute, "give up on the whole scan after this long")
}

func (f *ArtifactFlags) Ref(arg string) (image.Ref, error) {
	var forced image.Source
	switch f.Source {
	case "":
	case "daemon", "docker":
		forced = image.SourceDaemon
	case "registry", "remote":
		forced = image.SourceRegistry
	default:
		return image.Ref{}, WithCode(ExitUsage, fmt.Errorf("--source %q: want registry or daemon", f.Source))
	}
	r, err := image.ParseRef(arg, forced)
	if err != nil {
		return image.Ref{}, WithCode(ExitUsage, err)
	}
	return r, nil
}

// OutputFlags are the contract other tools script against: --format and -o.
type OutputFlags struct {
	Format string
	Output string
}

func (f *OutputFlags) Register(cmd *cobra.Command, def string, formats []string) {
	cmd.Flags().StringVarP(&f.Format, "format", "f", def, "output format: "+strings.Join(formats, ", "))
	cmd.Flags().StringVarP(&f.Output, "output", "o", "", "write the report to this file instead of stdout")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// CloseOutput finishes an output opened by [outputFlags.writer]: it returns the write error
// when there is one, else the error of closing the file.
func CloseOutput(done func() error, err error) error {
	if cerr := done(); err == nil {
		err = cerr
	}
	return err
}

// Writer returns where the report goes and a function that finishes writing it.
func (f *OutputFlags) Writer(stdout io.Writer) (io.Writer, func() error, error) {
	if f.Output == "" || f.Output == "-" {
		return stdout, func() error { return nil }, nil
	}
	file, err := os.Create(f.Output)
	if err != nil {
		return nil, nil, fmt.Errorf("output: %w", err)
	}
	return file, file.Close, nil
}

var imageFormats = []string{"table", "json", FormatSARIF, sbom.FormatCycloneDXJSON, sbom.FormatSPDXJSON}

const FormatSARIF = "sarif"

// scanCmdSpec distinguishes `rampart image` from `rampart fs`, which share one implementation.
type scanCmdSpec struct {
	use, short, long string
	defaults         []string
	// refPrefix is put before the argument ("dir:" for fs).
	refPrefix string
}

func newImageCmd(g *Globals) *cobra.Command {
	return newScanCmd(g, scanCmdSpec{
		use:   "image REF",
		short: "Scan a container image",
		long: `Scan a container image: list its packages and report what is wrong with it.

REF is a registry reference (127.0.0.1:5000/app:1, app@sha256:…), docker://NAME for the local
Docker engine (or --source daemon), docker-archive:FILE, oci:DIR[:TAG], oci-archive:FILE[:TAG],
dir:PATH, or a path to an existing archive or directory.`,
		defaults: defaultScanners,
	})
}

func newFSCmd(g *Globals) *cobra.Command {
	return newScanCmd(g, scanCmdSpec{
		use:   "fs DIR",
		short: "Scan a directory: packages, vulnerabilities and secrets",
		long: `Scan a directory (a project checkout or a root filesystem) the way ` + "`rampart image`" + ` scans an
image: the same analyzers, scanners, flags and output formats. Symbolic links are not followed.`,
		defaults:  []string{scanVuln, scanPkg, ScanSecret},
		refPrefix: "dir:",
	})
}

func newScanCmd(g *Globals, spec scanCmdSpec) *cobra.Command {
	var af ArtifactFlags
	var of OutputFlags
	var scanners []string
	var vf VulnFlags
	var ff FileScanFlags
	cmd := &cobra.Command{
		Use:   spec.use,
		Short: spec.short,
		Long:  spec.long,
		Args:  UsageArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if spec.refPrefix != "" && !strings.HasPrefix(args[0], spec.refPrefix) {
				args[0] = spec.refPrefix + args[0]
			}
			for _, s := range scanners {
				if !slices.Contains(knownScanners, s) {
					return WithCode(ExitUsage, fmt.Errorf("--scanners: unknown scanner %q (known: %s)", s, strings.Join(knownScanners, ", ")))
				}
				if !slices.Contains(availableScanners, s) {
					return WithCode(ExitUsage, fmt.Errorf("--scanners: scanner %q is not available in this build (available: %s)", s, strings.Join(availableScanners, ", ")))
				}
			}
			if !slices.Contains(imageFormats, of.Format) {
				return WithCode(ExitUsage, fmt.Errorf("--format %q: want one of %s", of.Format, strings.Join(imageFormats, ", ")))
			}
			settings, err := vf.Load()
			if err != nil {
				return err
			}
			if _, err := af.Ref(args[0]); err != nil {
				return err
			}
			plan, err := ff.Plan(scanners, vf.dbDir)
			if err != nil {
				return err
			}
			db, skipped, err := openScanDB(cmd, &vf, settings, scanners)
			if err != nil {
				return err
			}
			if db != nil {
				defer db.Close()
			}
			rep, err := ScanArtifact(cmd.Context(), g, &af, args[0], plan)
			if err != nil {
				return err
			}
			if skipped != "" {
				// Said only once the artifact was read, so that a failed scan has one error line.
				g.Logger.Warn(skipped)
				rep.Warnings = append(rep.Warnings, skipped)
			}
			if db != nil {
				if err := MatchVulns(cmd.Context(), g, db, vf.Offline, rep); err != nil {
					return err
				}
			}
			settings.Filter(g, rep, time.Now())
			if err := WriteReport(g, &of, rep, slices.Contains(scanners, scanPkg)); err != nil {
				return err
			}
			return settings.GateErr(rep)
		},
	}
	af.Register(cmd)
	of.Register(cmd, "table", imageFormats)
	vf.Register(cmd)
	ff.Register(cmd)
	cmd.Flags().StringSliceVar(&scanners, "scanners", spec.defaults, "what to look for: "+strings.Join(knownScanners, ","))
	return cmd
}

var sbomFormats = []string{sbom.FormatCycloneDXJSON, sbom.FormatSPDXJSON, "json", "table"}

func newSBOMCmd(g *Globals) *cobra.Command {
	var af ArtifactFlags
	var of OutputFlags
	cmd := &cobra.Command{
		Use:   "sbom REF",
		Short: "Write a CycloneDX 1.6 or SPDX 2.3 SBOM of an image or directory",
		Long:  "Write a software bill of materials for REF (same reference syntax as `rampart image`).",
		Args:  UsageArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(sbomFormats, of.Format) {
				return WithCode(ExitUsage, fmt.Errorf("--format %q: want one of %s", of.Format, strings.Join(sbomFormats, ", ")))
			}
			rep, err := ScanArtifact(cmd.Context(), g, &af, args[0], &ScanPlan{})
			if err != nil {
				return err
			}
			return WriteReport(g, &of, rep, true)
		},
	}
	af.Register(cmd)
	of.Register(cmd, sbom.FormatCycloneDXJSON, sbomFormats)
	return cmd
}

// ScanArtifact opens the artifact, inventories it and runs the plan's extra analyzers and config checks.
func ScanArtifact(ctx context.Context, g *Globals, af *ArtifactFlags, arg string, plan *ScanPlan) (*result.Report, error) {
	ref, err := af.Ref(arg)
	if err != nil {
		return nil, err
	}
	if af.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, af.Timeout)
		defer cancel()
	}
	opts := []image.Option{image.WithInsecure(af.Insecure), image.WithLogger(g.Logger)}
	if af.Platform != "" {
		opts = append(opts, image.WithPlatform(af.Platform))
	}
	if af.CACert != "" {
		opts = append(opts, image.WithCACert(af.CACert))
	}
	art, err := image.Open(ctx, ref, opts...)
	if err != nil {
		return nil, err
	}
	defer art.Close()

	cfg := analysis.Config{Logger: g.Logger}
	if !g.NoCache {
		c, err := analysis.OpenCache(g.CacheDir)
		if err != nil {
			g.Logger.Warn("layer cache disabled", "err", err)
		} else {
			cfg.Cache = c
		}
	}
	prog := newProgress(g.Stderr, len(art.Layers), g.Quiet)
	if prog != nil {
		cfg.Progress = prog
	}
	res, err := analysis.New(append(catalogers.Analyzers(), plan.analyzers...), cfg).Analyze(ctx, art)
	prog.finish()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	rep := &result.Report{
		SchemaVersion: result.SchemaVersion,
		Tool:          result.Tool{Name: "rampart", Version: Version()},
		CreatedAt:     time.Now().UTC().Truncate(time.Second),
		Artifact: result.Artifact{
			Name: arg, Source: string(ref.Source), Digest: art.Digest, ID: art.ID,
			RepoTags: art.RepoTags, Platform: art.Platform, OS: res.Inventory.OS,
		},
		Packages: res.Inventory.Packages,
		Findings: res.Findings,
		// A copy: the plan may serve several scans at once (rampart registry).
		Warnings: append(slices.Clone(plan.warnings), res.Warnings...),
	}
	for _, check := range plan.config {
		check(art, rep)
	}
	mask := plan.masker()
	for _, l := range art.Layers {
		// Build history is printed as it is: mask what it leaks (build arguments, tokens).
		rep.Artifact.Layers = append(rep.Artifact.Layers, result.Layer{Index: l.Index, DiffID: l.DiffID, Digest: l.Digest, Size: l.Size, CreatedBy: redact(mask, l.CreatedBy)})
	}
	return rep, nil
}

func WriteReport(g *Globals, of *OutputFlags, rep *result.Report, listPackages bool) error {
	w, done, err := of.Writer(g.Stdout)
	if err != nil {
		return err
	}
	switch of.Format {
	case "json":
		err = report.WriteJSON(w, rep)
	case "table":
		err = report.WriteTable(w, rep, listPackages)
	case FormatSARIF:
		err = report.WriteSARIF(w, rep)
	default:
		err = sbom.Encode(w, of.Format, rep)
	}
	err = CloseOutput(done, err)
	return err
}
