package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/regaudit"
	"github.com/rampartsec/rampart/internal/report"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/scan"
)

var registryFormats = []string{"table", "json"}

// registryFlags select what of the registry is scanned.
type registryFlags struct {
	repos    string
	tags     string
	maxTags  int
	parallel int
}

func newRegistryCmd(g *Globals) *cobra.Command {
	var af ArtifactFlags
	var of OutputFlags
	var vf VulnFlags
	var ff FileScanFlags
	var rf registryFlags
	var scanners []string
	cmd := &cobra.Command{
		Use:   "registry REGISTRY[/PREFIX]",
		Short: "Scan every image of a Distribution (Docker) registry",
		Long: `Scan every image of a registry that serves the Distribution catalog API (/v2/_catalog), as
` + "`rampart image`" + ` scans one: the repositories under PREFIX (all when none), their tags, each
distinct manifest once. Images share one vulnerability database and the layer cache, so layers
common to several images are analyzed once. An image that cannot be scanned is reported with
its error and the scan goes on; see docs/registry.md for the output and exit codes.`,
		Example: `  rampart registry 127.0.0.1:5000
  rampart registry registry.example.com/team --tags 'v*' --max-tags 3 --fail-on HIGH -f json -o scan.json`,
		Args: UsageArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host, prefix, err := parseRegistryArg(args[0])
			if err != nil {
				return err
			}
			if af.Source != "" && af.Source != "registry" && af.Source != "remote" {
				return WithCode(ExitUsage, fmt.Errorf("--source %q: a registry scan reads the registry only", af.Source))
			}
			for flag, glob := range map[string]string{"--repos": rf.repos, "--tags": rf.tags} {
				if _, err := path.Match(glob, ""); err != nil {
					return WithCode(ExitUsage, fmt.Errorf("%s %q: %w", flag, glob, err))
				}
			}
			if rf.parallel < 1 {
				return WithCode(ExitUsage, fmt.Errorf("--parallel %d: want at least 1", rf.parallel))
			}
			if rf.maxTags < 0 {
				return WithCode(ExitUsage, fmt.Errorf("--max-tags %d: want 0 (all) or more", rf.maxTags))
			}
			// One pipeline for every image, built (and the scanners' files checked) before
			// anything is listed.
			opts, err := scanOptions(g, cmd, &af, &vf, &ff, scanners)
			if err != nil {
				return err
			}
			p, err := scan.New(cmd.Context(), opts)
			if err != nil {
				return err
			}
			defer p.Close()
			if p.Skipped() != "" {
				// Also in every image's report; said here once for the whole run.
				g.Logger.Warn(p.Skipped())
			}
			prog := newCountProgress(g.Stderr, g.Quiet)
			doc, err := p.ScanRegistry(cmd.Context(), host, prefix, scan.RegistryOptions{
				Repos: rf.repos, Tags: rf.tags, MaxTags: rf.maxTags, Parallel: rf.parallel, Step: prog.step,
			})
			prog.finish()
			if err != nil {
				return err
			}
			if err := of.Write(g.Stdout, func(w io.Writer, format string) error { return writeRegistryReport(w, format, doc) }); err != nil {
				return err
			}
			return registryExit(g, doc, opts.Filter.FailOn)
		},
	}
	af.Register(cmd)
	cmd.Flags().MarkHidden("source")
	cmd.Flags().Lookup("timeout").Usage = "give up on listing the registry, and on each image's scan, after this long"
	of.Register(cmd, "table", registryFormats)
	vf.Register(cmd)
	ff.Register(cmd)
	cmd.Flags().StringSliceVar(&scanners, "scanners", scan.Default, "what to look for: "+strings.Join(scan.Known, ","))
	cmd.Flags().StringVar(&rf.repos, "repos", "", "scan only repositories whose full name matches this glob (* does not cross /)")
	cmd.Flags().StringVar(&rf.tags, "tags", "", "scan only tags matching this glob")
	cmd.Flags().IntVar(&rf.maxTags, "max-tags", 0, "scan at most this many tags per repository, the last in version-aware name order (0: all)")
	cmd.Flags().IntVar(&rf.parallel, "parallel", 2, "images scanned at once")
	cmd.AddCommand(newRegistryAuditCmd(g))
	return cmd
}

// RegistryAuditReport is the JSON document of `rampart registry audit`, described in
// docs/registry.md.
type RegistryAuditReport struct {
	Tool      result.Tool `json:"tool"`
	CreatedAt time.Time   `json:"created_at"`
	*regaudit.Report
}

func newRegistryAuditCmd(g *Globals) *cobra.Command {
	var of OutputFlags
	var cfg regaudit.Config
	var failOn string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "audit REGISTRY",
		Short: "Audit who may pull from and push to a registry, and how it is served",
		Long: `Audit a Distribution (Docker) registry: whether it is served over TLS with a certificate that
verifies and without TLS below 1.2, how it asks for credentials, and what an anonymous client may
do: call the API, list the catalog, pull a manifest, start a push. With credentials for the
registry in the docker config (docker login), it also says what they may pull and push.

The push probes start a blob upload and cancel it at once: nothing is written to the registry
(--no-push skips them). Each check passes, fails, is information, or is not assessed with the
reason; failed checks are findings. When no check passed, failed or gave information, the exit
code is 9. See docs/registry.md.`,
		Example: `  rampart registry audit 127.0.0.1:5000
  rampart registry audit registry.example.com --ca-cert ca.pem --repo team/app:1 --fail-on HIGH -f json -o audit.json`,
		Args: UsageArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			gate, err := ParseGate(failOn)
			if err != nil {
				return err
			}
			host, prefix, err := parseRegistryArg(args[0])
			if err != nil {
				return err
			}
			if prefix != "" {
				return WithCode(ExitUsage, fmt.Errorf("registry %q: the audit takes HOST[:PORT] (name a repository with --repo)", args[0]))
			}
			if strings.ContainsAny(cfg.Repo, "@ ") || strings.HasPrefix(cfg.Repo, "/") {
				return WithCode(ExitUsage, fmt.Errorf("--repo %q: want NAME[:TAG]", cfg.Repo))
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			cfg.Host, cfg.Logger = host, g.Logger
			rep, err := regaudit.Audit(ctx, cfg)
			if err != nil {
				return err
			}
			finding.SetFingerprints(rep.Findings, "registry:"+host)
			w, done, err := of.Writer(g.Stdout)
			if err != nil {
				return err
			}
			switch of.Format {
			case "json":
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				err = enc.Encode(RegistryAuditReport{Tool: result.Tool{Name: "rampart", Version: Version()},
					CreatedAt: time.Now().UTC().Truncate(time.Second), Report: rep})
			default:
				err = writeRegistryAuditTable(w, rep)
			}
			if err := CloseOutput(done, err); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			if err := GateError(rep.Findings, gate); err != nil {
				return err
			}
			return NothingAssessedError("check", rep.Results)
		},
	}
	of.Register(cmd, "table", registryFormats)
	fl := cmd.Flags()
	fl.StringVar(&cfg.CACert, "ca-cert", "", "PEM file with extra CA certificates to trust for the registry")
	fl.BoolVar(&cfg.Insecure, "insecure", false, "send your credentials even when the registry's certificate does not verify")
	fl.StringVar(&cfg.Repo, "repo", "", "repository (NAME[:TAG]) the pull and push probes use (default: the first the catalog lists)")
	fl.BoolVar(&cfg.NoPush, "no-push", false, "skip the push probes (they start a blob upload and cancel it)")
	fl.StringVar(&failOn, "fail-on", "", "exit with code 3 when a failed check's severity is at or above this")
	fl.DurationVar(&timeout, "timeout", 2*time.Minute, "give up on the audit after this long")
	cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// writeRegistryAuditTable writes one row per check and a summary line. Evidence and reasons
// carry the registry's own words, so they are escaped.
func writeRegistryAuditTable(w io.Writer, rep *regaudit.Report) error {
	fmt.Fprintf(w, "registry %s (%s)", rep.Registry, rep.URL)
	if rep.Repository != "" {
		fmt.Fprintf(w, ", probes on %s", report.Clean(rep.Repository))
		if rep.Tag != "" {
			fmt.Fprintf(w, ":%s", report.Clean(rep.Tag))
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tSEVERITY\tTITLE\tEVIDENCE OR REASON")
	failed := map[finding.Severity]int{}
	for _, r := range rep.Results {
		if r.Status == result.StatusFail {
			failed[r.Severity]++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Control, r.Status, FailSeverity(r.Status, r.Severity), r.Title,
			report.Clean(ControlText(r.Status, r.Evidence, r.Reason)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := result.TotalControls(rep.Summary)
	_, err := fmt.Fprintf(w, "%d failed (%d critical, %d high, %d medium, %d low), %d passed, %d info, %d not assessed\n",
		s.Fail, failed[finding.SeverityCritical], failed[finding.SeverityHigh], failed[finding.SeverityMedium], failed[finding.SeverityLow],
		s.Pass, s.Info, s.NotAssessed)
	return err
}

// parseRegistryArg splits "host[:port][/prefix]" (an optional scheme-like "registry://" or
// "http(s)://" is dropped).
func parseRegistryArg(arg string) (host, prefix string, err error) {
	s := arg
	for _, p := range []string{"registry://", "https://", "http://"} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimRight(s, "/")
	host, prefix, _ = strings.Cut(s, "/")
	// A tag or digest has no place here: the registry scan lists them itself.
	if host == "" || strings.ContainsAny(host, "@ ") || strings.ContainsAny(prefix, "@: ") {
		return "", "", WithCode(ExitUsage, fmt.Errorf("registry %q: want HOST[:PORT][/PREFIX]", arg))
	}
	return host, prefix, nil
}

// imageOptions are the registry options of the artifact flags.
func imageOptions(g *Globals, af *ArtifactFlags) []image.Option {
	opts := []image.Option{image.WithInsecure(af.Insecure), image.WithLogger(g.Logger)}
	if af.CACert != "" {
		opts = append(opts, image.WithCACert(af.CACert))
	}
	return opts
}

// countProgress draws "images n/m scanned" on a terminal.
type countProgress struct {
	w io.Writer
}

// newCountProgress returns nil unless w is a terminal and the user did not ask for quiet.
func newCountProgress(w io.Writer, quiet bool) *countProgress {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &countProgress{w: w}
}

// step is called after each image, never concurrently.
func (p *countProgress) step(done, total int) {
	if p == nil {
		return
	}
	fmt.Fprintf(p.w, "\r\033[Kimages %d/%d scanned", done, total)
}

func (p *countProgress) finish() {
	if p == nil {
		return
	}
	fmt.Fprint(p.w, "\r\033[K")
}

// writeRegistryReport renders the document of `rampart registry`.
func writeRegistryReport(w io.Writer, format string, doc *result.RegistryReport) error {
	if format == report.FormatJSON {
		return WriteJSON(w, doc)
	}
	return writeRegistryTable(w, doc)
}

// writeRegistryTable writes one row per image: its counts, or its error.
func writeRegistryTable(w io.Writer, doc *result.RegistryReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tTAGS\tDIGEST\tPACKAGES\tCRITICAL\tHIGH\tMEDIUM\tLOW\tUNKNOWN\tSECRETS\tMISCONFIGS\tMALWARE\tSTATUS")
	for _, im := range doc.Images {
		digest := strings.TrimPrefix(im.Digest, "sha256:")
		if len(digest) > 12 {
			digest = digest[:12]
		}
		if digest == "" {
			digest = "-"
		}
		tags := strings.Join(im.Tags, ",")
		if tags == "" {
			tags = "-"
		}
		if im.Report == nil {
			msg := "error"
			if im.Error != nil {
				msg = "error (" + im.Error.Class + "): " + report.Clean(im.Error.Message)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\n", im.Repository, tags, digest, msg)
			continue
		}
		vulns := map[finding.Severity]int{}
		kinds := map[finding.Kind]int{}
		for _, f := range im.Report.Findings {
			kinds[f.Kind]++
			if f.Kind == finding.KindVulnerability {
				vulns[f.Severity]++
			}
		}
		status := "ok"
		if im.FailedGate {
			status = "failed --fail-on"
		}
		// A scanner that did not run shows "-", not a reassuring 0.
		count := func(scanner string, n int) string {
			if !slices.Contains(doc.Scanners, scanner) {
				return "-"
			}
			return strconv.Itoa(n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", im.Repository, tags, digest, len(im.Report.Packages),
			count(scan.Vuln, vulns[finding.SeverityCritical]), count(scan.Vuln, vulns[finding.SeverityHigh]), count(scan.Vuln, vulns[finding.SeverityMedium]),
			count(scan.Vuln, vulns[finding.SeverityLow]), count(scan.Vuln, vulns[finding.SeverityUnknown]),
			count(scan.Secret, kinds[finding.KindSecret]), count(scan.Misconfig, kinds[finding.KindMisconfig]), count(scan.Malware, kinds[finding.KindMalware]), status)
	}
	return tw.Flush()
}

// registryExit is the command's result: ExitGate when an image failed --fail-on, else the
// largest exit code of the images that could not be scanned, else success.
func registryExit(g *Globals, doc *result.RegistryReport, failOn finding.Severity) error {
	gated, failed, code := 0, 0, ExitOK
	var first string
	for _, im := range doc.Images {
		switch {
		case im.FailedGate:
			gated++
		case im.Error != nil:
			failed++
			code = max(code, im.Error.ExitCode)
			if first == "" {
				first = im.Error.Message
			}
		}
	}
	if failed > 0 && gated > 0 {
		// The gate's code wins, but the failures are still said.
		g.Logger.Error("images not scanned", "registry", doc.Registry, "count", failed, "first", first)
	}
	switch {
	case gated > 0:
		return WithCode(ExitGate, fmt.Errorf("registry %s: %d images with findings at or above %s", doc.Registry, gated, failOn))
	case failed > 0:
		return WithCode(code, fmt.Errorf("registry %s: %d of %d images not scanned; first: %s", doc.Registry, failed, len(doc.Images), first))
	}
	return nil
}
