package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/regaudit"
	"github.com/rampartsec/rampart/internal/report"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/vulndb"
)

var registryFormats = []string{"table", "json"}

// RegistryReport is the JSON document of `rampart registry`, described in docs/registry.md.
type RegistryReport struct {
	Tool     result.Tool `json:"tool"`
	Registry string      `json:"registry"`
	Prefix   string      `json:"prefix,omitempty"`
	// Scanners are those that ran: --scanners, less vuln when its database was missing.
	Scanners  []string  `json:"scanners"`
	CreatedAt time.Time `json:"created_at"`
	// Images are in repository order, then by the first tag of each (version-aware order).
	Images []RegistryImage `json:"images"`
}

// RegistryImage is one distinct manifest of one repository: every tag that points at it, and
// either the scan's report or why there is none.
type RegistryImage struct {
	Repository string   `json:"repository"`
	Tags       []string `json:"tags"`
	// Digest is what the tags point at: an image manifest or a multi-platform index (the
	// report's artifact digest is then the chosen platform's image).
	Digest string         `json:"digest,omitempty"`
	Report *result.Report `json:"report,omitempty"`
	// FailedGate is true when the report has a finding at or above --fail-on.
	FailedGate bool           `json:"failed_gate,omitempty"`
	Error      *RegistryError `json:"error,omitempty"`
}

// RegistryError says why one image has no report: the message, and the exit code (and its
// name) `rampart image` would have ended with on that image.
type RegistryError struct {
	Message  string `json:"message"`
	ExitCode int    `json:"exit_code"`
	Class    string `json:"class"`
}

// exitClasses name the exit codes in a RegistryError.
var exitClasses = map[int]string{
	ExitError: "error", ExitUsage: "usage", ExitNotFound: "not_found", ExitUnauthorized: "unauthorized",
	ExitUnreachable: "unreachable", ExitInvalid: "invalid", ExitDatabase: "database",
}

func newRegistryError(err error) *RegistryError {
	code := CodeFor(err)
	return &RegistryError{Message: OneLine(err.Error()), ExitCode: code, Class: exitClasses[code]}
}

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
			if err := checkScanners(scanners); err != nil {
				return err
			}
			if !slices.Contains(registryFormats, of.Format) {
				return WithCode(ExitUsage, fmt.Errorf("--format %q: want one of %s", of.Format, strings.Join(registryFormats, ", ")))
			}
			if af.Source != "" && af.Source != "registry" && af.Source != "remote" {
				return WithCode(ExitUsage, fmt.Errorf("--source %q: a registry scan reads the registry only", af.Source))
			}
			af.Source = "registry"
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
			settings, err := vf.Load()
			if err != nil {
				return err
			}
			// One plan for every image, built (and the scanners' files checked) before anything is
			// listed: its analyzers and checks are safe for concurrent use, and ScanArtifact does
			// not write to it.
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
			if skipped != "" {
				g.Logger.Warn(skipped)
			}
			ctx := cmd.Context()
			opts := imageOptions(g, &af)
			images, err := listRegistry(ctx, host, prefix, &rf, af.Timeout, opts)
			if err != nil {
				return err
			}
			ran := slices.DeleteFunc(slices.Clone(scanners), func(s string) bool { return s == scanVuln && db == nil })
			if len(images) == 0 {
				g.Logger.Warn("no image matched", "registry", host, "prefix", prefix)
			}
			s := &registryScan{g: g, af: &af, vf: &vf, plan: plan, scanners: scanners, settings: settings, db: db, skipped: skipped, host: host}
			s.run(ctx, images, rf.parallel)
			doc := &RegistryReport{
				Tool:      result.Tool{Name: "rampart", Version: Version()},
				Registry:  host,
				Prefix:    prefix,
				Scanners:  ran,
				CreatedAt: time.Now().UTC().Truncate(time.Second),
				Images:    images,
			}
			if err := writeRegistryReport(g, &of, doc); err != nil {
				return err
			}
			return registryExit(g, doc, settings)
		},
	}
	af.Register(cmd)
	cmd.Flags().MarkHidden("source")
	cmd.Flags().Lookup("timeout").Usage = "give up on listing the registry, and on each image's scan, after this long"
	of.Register(cmd, "table", registryFormats)
	vf.Register(cmd)
	ff.Register(cmd)
	cmd.Flags().StringSliceVar(&scanners, "scanners", defaultScanners, "what to look for: "+strings.Join(knownScanners, ","))
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
reason; failed checks are findings. See docs/registry.md.`,
		Example: `  rampart registry audit 127.0.0.1:5000
  rampart registry audit registry.example.com --ca-cert ca.pem --repo team/app:1 --fail-on HIGH -f json -o audit.json`,
		Args: UsageArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			gate, err := ParseGate(failOn)
			if err != nil {
				return err
			}
			if !slices.Contains(registryFormats, of.Format) {
				return WithCode(ExitUsage, fmt.Errorf("--format %q: want one of %s", of.Format, strings.Join(registryFormats, ", ")))
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
			return GateError(rep.Findings, gate)
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

// writeRegistryAuditTable writes one row per check and a summary line. Evidence carries the
// registry's own words, so it is escaped.
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
	fmt.Fprintln(tw, "ID\tSTATUS\tSEVERITY\tTITLE\tEVIDENCE")
	for _, r := range rep.Results {
		sev := string(r.Severity)
		if r.Status != regaudit.StatusFail {
			sev = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, sev, r.Title, report.Clean(r.Evidence))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := rep.Summary
	_, err := fmt.Fprintf(w, "%d failed (%d critical, %d high, %d medium, %d low), %d passed, %d info, %d not assessed\n",
		s.Failed, s.Critical, s.High, s.Medium, s.Low, s.Passed, s.Info, s.NotAssessed)
	return err
}

// checkScanners rejects --scanners values that are unknown or not in this build.
func checkScanners(scanners []string) error {
	for _, s := range scanners {
		if !slices.Contains(knownScanners, s) {
			return WithCode(ExitUsage, fmt.Errorf("--scanners: unknown scanner %q (known: %s)", s, strings.Join(knownScanners, ", ")))
		}
		if !slices.Contains(availableScanners, s) {
			return WithCode(ExitUsage, fmt.Errorf("--scanners: scanner %q is not available in this build (available: %s)", s, strings.Join(availableScanners, ", ")))
		}
	}
	return nil
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

// underPrefix reports whether repo is prefix itself or lies below it.
func underPrefix(repo, prefix string) bool {
	return prefix == "" || repo == prefix || strings.HasPrefix(repo, prefix+"/")
}

// listRegistry lists the repositories, their tags and the tags' digests, and groups the tags
// of one repository by digest. A repository whose tags cannot be listed, or a tag that cannot
// be resolved, becomes an image with an error; only the catalog's failure is fatal.
func listRegistry(ctx context.Context, host, prefix string, rf *registryFlags, timeout time.Duration, opts []image.Option) ([]RegistryImage, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	repos, err := image.Catalog(ctx, host, opts...)
	if err != nil {
		return nil, err
	}
	slices.Sort(repos)
	type tagRef struct {
		repo, tag string
		digest    string
		err       error
	}
	var images []RegistryImage
	var refs []*tagRef
	for _, repo := range repos {
		if !underPrefix(repo, prefix) {
			continue
		}
		if ok, _ := path.Match(rf.repos, repo); rf.repos != "" && !ok {
			continue
		}
		tags, err := image.Tags(ctx, host+"/"+repo, opts...)
		if err != nil {
			images = append(images, RegistryImage{Repository: repo, Tags: []string{}, Error: newRegistryError(err)})
			continue
		}
		tags = slices.DeleteFunc(tags, func(t string) bool { ok, _ := path.Match(rf.tags, t); return rf.tags != "" && !ok })
		slices.SortFunc(tags, compareVersionish)
		if rf.maxTags > 0 && len(tags) > rf.maxTags {
			tags = tags[len(tags)-rf.maxTags:]
		}
		for _, t := range tags {
			refs = append(refs, &tagRef{repo: repo, tag: t})
		}
	}
	// HEAD requests are cheap for the registry: a few at once.
	forEach(refs, 4, func(r *tagRef) {
		r.digest, r.err = image.Resolve(ctx, host+"/"+r.repo+":"+r.tag, opts...)
	})
	byDigest := map[string]int{}
	for _, r := range refs {
		if r.err != nil {
			images = append(images, RegistryImage{Repository: r.repo, Tags: []string{r.tag}, Error: newRegistryError(r.err)})
			continue
		}
		key := r.repo + "@" + r.digest
		if i, ok := byDigest[key]; ok {
			images[i].Tags = append(images[i].Tags, r.tag)
			continue
		}
		byDigest[key] = len(images)
		images = append(images, RegistryImage{Repository: r.repo, Tags: []string{r.tag}, Digest: r.digest})
	}
	slices.SortStableFunc(images, func(a, b RegistryImage) int { return cmp.Compare(a.Repository, b.Repository) })
	return images, nil
}

// forEach calls f on every item, n at a time, and returns when all calls have.
func forEach[T any](items []T, n int, f func(T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range min(n, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				f(it)
			}
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}

// compareVersionish orders tags by name with runs of digits compared as numbers, so that
// "1.10" comes after "1.9" and "v2" after "v10" does not.
func compareVersionish(a, b string) int {
	for a != "" && b != "" {
		da, db := leadingDigits(a), leadingDigits(b)
		if da != "" && db != "" {
			// Numbers of any length: fewer significant digits is smaller, else compare the digits.
			na, nb := strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// registryScan is what every image's scan shares.
type registryScan struct {
	g        *Globals
	af       *ArtifactFlags
	vf       *VulnFlags
	plan     *ScanPlan
	scanners []string
	settings *VulnSettings
	db       *vulndb.DB
	skipped  string
	host     string
}

// run scans the images that have a digest, parallel at a time, filling in their reports or errors.
func (s *registryScan) run(ctx context.Context, images []RegistryImage, parallel int) {
	var todo []*RegistryImage
	for i := range images {
		if images[i].Error == nil {
			todo = append(todo, &images[i])
		}
	}
	prog := newCountProgress(s.g.Stderr, len(todo), s.g.Quiet)
	forEach(todo, parallel, func(im *RegistryImage) {
		rep, err := s.scan(ctx, im)
		if err != nil {
			im.Error = newRegistryError(err)
			s.g.Logger.Debug("image not scanned", "repository", im.Repository, "digest", im.Digest, "err", err)
		} else {
			im.Report = rep
			im.FailedGate = s.settings.GateErr(rep) != nil
		}
		prog.step()
	})
	prog.finish()
}

// scan is `rampart image` on one image of the registry.
func (s *registryScan) scan(ctx context.Context, im *RegistryImage) (*result.Report, error) {
	// Per-layer progress lines would interleave between parallel scans: the count of images
	// is the progress here.
	quiet := *s.g
	quiet.Quiet = true
	rep, err := ScanArtifact(ctx, &quiet, s.af, s.host+"/"+im.Repository+"@"+im.Digest, s.plan)
	if err != nil {
		return nil, err
	}
	// The tags, not the digest-pinned name the image was opened by (that is artifact.name).
	rep.Artifact.RepoTags = nil
	for _, t := range im.Tags {
		rep.Artifact.RepoTags = append(rep.Artifact.RepoTags, s.host+"/"+im.Repository+":"+t)
	}
	if s.skipped != "" {
		rep.Warnings = append(rep.Warnings, s.skipped)
	}
	if s.db != nil {
		if err := MatchVulns(ctx, s.g, s.db, s.vf.Offline, rep); err != nil {
			return nil, err
		}
	}
	s.settings.Filter(s.g, rep, time.Now())
	// The same empty arrays as `rampart image --format json` writes.
	if rep.Packages == nil {
		rep.Packages = []inventory.Package{}
	}
	if rep.Findings == nil {
		rep.Findings = []finding.Finding{}
	}
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	return rep, nil
}

// countProgress draws "images n/m scanned" on a terminal.
type countProgress struct {
	mu          sync.Mutex
	w           io.Writer
	done, total int
}

// newCountProgress returns nil unless w is a terminal and the user did not ask for quiet.
func newCountProgress(w io.Writer, total int, quiet bool) *countProgress {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	p := &countProgress{w: w, total: total}
	p.draw()
	return p
}

func (p *countProgress) draw() {
	fmt.Fprintf(p.w, "\r\033[Kimages %d/%d scanned", p.done, p.total)
}

func (p *countProgress) step() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.draw()
}

func (p *countProgress) finish() {
	if p == nil {
		return
	}
	fmt.Fprint(p.w, "\r\033[K")
}

func writeRegistryReport(g *Globals, of *OutputFlags, doc *RegistryReport) error {
	w, done, err := of.Writer(g.Stdout)
	if err != nil {
		return err
	}
	if doc.Images == nil {
		doc.Images = []RegistryImage{}
	}
	switch of.Format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(doc)
	default:
		err = writeRegistryTable(w, doc)
	}
	return CloseOutput(done, err)
}

// writeRegistryTable writes one row per image: its counts, or its error.
func writeRegistryTable(w io.Writer, doc *RegistryReport) error {
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
			count(scanVuln, vulns[finding.SeverityCritical]), count(scanVuln, vulns[finding.SeverityHigh]), count(scanVuln, vulns[finding.SeverityMedium]),
			count(scanVuln, vulns[finding.SeverityLow]), count(scanVuln, vulns[finding.SeverityUnknown]),
			count(ScanSecret, kinds[finding.KindSecret]), count(scanMisconfig, kinds[finding.KindMisconfig]), count(scanMalware, kinds[finding.KindMalware]), status)
	}
	return tw.Flush()
}

// registryExit is the command's result: ExitGate when an image failed --fail-on, else the
// largest exit code of the images that could not be scanned, else success.
func registryExit(g *Globals, doc *RegistryReport, settings *VulnSettings) error {
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
		return WithCode(ExitGate, fmt.Errorf("registry %s: %d images with findings at or above %s", doc.Registry, gated, settings.failOn))
	case failed > 0:
		return WithCode(code, fmt.Errorf("registry %s: %d of %d images not scanned; first: %s", doc.Registry, failed, len(doc.Images), first))
	}
	return nil
}
