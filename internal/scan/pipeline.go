package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rampartsec/rampart/internal/analysis"
	"github.com/rampartsec/rampart/internal/exitcode"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/inventory/catalogers"
	"github.com/rampartsec/rampart/internal/match"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/vulndb"
)

// Pipeline scans artifacts with one set of options. Build it with [New]; it is safe for
// concurrent use by several scans; Close it when done.
type Pipeline struct {
	opts   Options
	plan   *plan
	db     *vulndb.DB
	cache  *analysis.Cache
	logger *slog.Logger
	// skipped says why the vulnerability scan does not run ("" when it does or was not asked for).
	skipped string
	// now is the clock ignore-file expiry dates are read against.
	now func() time.Time
}

// New checks opts, opens the vulnerability database when a scanner needs it, reads every rule
// and hash file, and returns the pipeline. A missing database is an error only with
// opts.RequireDB; otherwise the vulnerability scan is skipped and each report says so.
func New(ctx context.Context, opts Options) (*Pipeline, error) {
	if err := CheckScanners(opts.Scanners); err != nil {
		return nil, err
	}
	p := &Pipeline{opts: opts, logger: opts.Logger, now: time.Now}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	if slices.Contains(opts.Scanners, Vuln) || slices.Contains(opts.Scanners, Malware) {
		db, err := OpenDB(opts.DBDir, opts.Offline)
		switch {
		case err == nil:
			p.db = db
		case slices.Contains(opts.Scanners, Vuln) && (opts.RequireDB || exitcode.Of(err) != exitcode.Database):
			return nil, err
		case slices.Contains(opts.Scanners, Vuln):
			p.skipped = "vulnerability scan skipped: " + err.Error()
		case !errors.Is(err, vulndb.ErrNoDatabase):
			// Malware alone: no database means no imported hash lists, but a damaged one would
			// silently drop them.
			return nil, err
		}
	}
	pl, err := buildPlan(&p.opts, p.db)
	if err != nil {
		p.Close()
		return nil, err
	}
	p.plan = pl
	if !opts.NoCache && opts.CacheDir != "" {
		c, err := analysis.OpenCache(opts.CacheDir)
		if err != nil {
			p.logger.Warn("layer cache disabled", "err", err)
		} else {
			p.cache = c
		}
	}
	return p, nil
}

// Close releases the vulnerability database.
func (p *Pipeline) Close() error {
	if p.db == nil {
		return nil
	}
	err := p.db.Close()
	p.db = nil
	return err
}

// WithSource returns a pipeline that shares p's database, rules and cache but looks plain image
// names up in src (image.SourceDaemon, image.SourceRegistry). Close only p.
func (p *Pipeline) WithSource(src image.Source) *Pipeline {
	q := *p
	q.opts.Artifact.Source = src
	return &q
}

// Ran lists the scanners that run: the options' scanners, less vuln when its database is missing.
func (p *Pipeline) Ran() []string {
	return slices.DeleteFunc(slices.Clone(p.opts.Scanners), func(s string) bool { return s == Vuln && p.db == nil })
}

// Skipped says why the vulnerability scan is skipped, or "".
func (p *Pipeline) Skipped() string { return p.skipped }

// OpenDB opens the vulnerability database in dir, with errors that say how to get one (exit 8).
// The caller must Close it.
func OpenDB(dir string, offline bool) (*vulndb.DB, error) {
	db, err := vulndb.Open(dir)
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, vulndb.ErrNoDatabase):
		hint := "run `rampart db import data/vulndb` (bundled data) or `rampart db update`"
		if offline {
			hint = "run `rampart db import data/vulndb` or import OSV files you downloaded elsewhere"
		}
		return nil, exitcode.With(exitcode.Database, fmt.Errorf("no vulnerability database in %s: %w; %s", dir, err, hint))
	case errors.Is(err, vulndb.ErrCorrupt), errors.Is(err, vulndb.ErrSchema):
		return nil, exitcode.With(exitcode.Database, fmt.Errorf("vulnerability database in %s: %w; rebuild it with `rampart db import` or `rampart db update`", dir, err))
	}
	return nil, exitcode.With(exitcode.Database, fmt.Errorf("open vulnerability database %s: %w", dir, err))
}

// ParseRef reads an artifact reference with the options' forced source; errors are usage errors,
// and a reference that looks like a path (/x, ./x, ../x, x.tar, x.tar.gz, x.tgz) but names
// nothing on disk is "not found" (exit 4), not a registry host.
func (p *Pipeline) ParseRef(s string) (image.Ref, error) {
	forced := p.opts.Artifact.Source
	if forced == "" && looksLikePath(s) {
		if _, err := os.Stat(s); err != nil {
			return image.Ref{}, exitcode.With(exitcode.NotFound, fmt.Errorf("%s: %w", s, image.ErrNotFound))
		}
	}
	r, err := image.ParseRef(s, forced)
	if err != nil {
		return image.Ref{}, exitcode.With(exitcode.Usage, err)
	}
	return r, nil
}

// looksLikePath reports whether a reference with no source prefix is meant as a file or directory.
func looksLikePath(s string) bool {
	for _, prefix := range []string{"docker://", "registry://", "docker-archive:", "oci-archive:", "oci:", "dir:"} {
		if strings.HasPrefix(s, prefix) {
			return false
		}
	}
	for _, prefix := range []string{"/", "./", "../"} {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	for _, suffix := range []string{".tar", ".tar.gz", ".tgz"} {
		if strings.HasSuffix(s, suffix) {
			return true
		}
	}
	return false
}

// implicitName reports whether s is a plain image name whose source nobody chose: no prefix, no
// --source. Such a name is looked up in the local engine first, then in its registry.
func (p *Pipeline) implicitName(s string, r image.Ref) bool {
	return p.opts.Artifact.Source == "" && r.Source == image.SourceRegistry && !strings.HasPrefix(s, "registry://")
}

// open opens r; a plain name is tried in the local Docker engine first (as Trivy and Grype do),
// and read from its registry when the engine is not running or does not hold it.
func (p *Pipeline) open(ctx context.Context, r image.Ref, implicit bool) (*image.Artifact, image.Ref, error) {
	opts := p.opts.Artifact.imageOptions(p.logger)
	if implicit {
		local := image.Ref{Source: image.SourceDaemon, Name: r.Name}
		art, err := image.Open(ctx, local, opts...)
		if err == nil {
			if _, d, ok := strings.Cut(r.Name, "@"); ok && art.Digest == "" {
				// The engine found it by this manifest digest (a RepoDigest): it is the one named.
				art.Digest = d
			}
			return art, local, nil
		}
		if ctx.Err() != nil {
			return nil, r, ctx.Err()
		}
		p.logger.Debug("not read from the local Docker engine; trying the registry", "image", r.Name, "err", err)
	}
	art, err := image.Open(ctx, r, opts...)
	return art, r, err
}

// Scan is the whole pipeline on one artifact: inventory, findings of every scanner,
// vulnerability matching, filters and fingerprints. name is the reference as the user gave it;
// progress may be nil.
func (p *Pipeline) Scan(ctx context.Context, name string, progress func(layers int) Progress) (*result.Report, error) {
	rep, err := p.Inventory(ctx, name, progress)
	if err != nil {
		return nil, err
	}
	if err := p.Match(ctx, rep); err != nil {
		return nil, err
	}
	p.Finish(rep)
	return rep, nil
}

// Inventory opens the artifact name names, analyzes its layers and runs the image
// configuration checks: the report before vulnerability matching and filters.
func (p *Pipeline) Inventory(ctx context.Context, name string, progress func(layers int) Progress) (*result.Report, error) {
	ref, err := p.ParseRef(name)
	if err != nil {
		return nil, err
	}
	if t := p.opts.Artifact.Timeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	art, ref, err := p.open(ctx, ref, p.implicitName(name, ref))
	if err != nil {
		return nil, err
	}
	defer art.Close()
	p.logger.Debug("artifact opened", "ref", ref.String(), "source", ref.Source, "digest", art.Digest)

	cfg := analysis.Config{Logger: p.logger, Cache: p.cache}
	var prog Progress
	if progress != nil {
		if prog = progress(len(art.Layers)); prog != nil {
			cfg.Progress = prog
		}
	}
	res, err := analysis.New(analysis.SkipPaths(append(catalogers.Analyzers(), p.plan.analyzers...), p.opts.Paths), cfg).Analyze(ctx, art)
	if prog != nil {
		prog.Finish()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	rep := &result.Report{
		SchemaVersion: result.SchemaVersion,
		Tool:          p.opts.Tool,
		CreatedAt:     time.Now().UTC().Truncate(time.Second),
		Artifact: result.Artifact{
			Name: name, Source: string(ref.Source), Digest: art.Digest, ID: art.ID,
			RepoTags: art.RepoTags, Platform: art.Platform, OS: res.Inventory.OS,
		},
		Packages: res.Inventory.Packages,
		Findings: res.Findings,
		// A copy: the plan serves concurrent scans.
		Warnings: append(slices.Clone(p.plan.warnings), res.Warnings...),
	}
	for _, check := range p.plan.config {
		check(art, rep)
	}
	for _, l := range art.Layers {
		// Build history is printed as it is: mask what it leaks (build arguments, tokens).
		rep.Artifact.Layers = append(rep.Artifact.Layers, result.Layer{Index: l.Index, DiffID: l.DiffID, Digest: l.Digest, Size: l.Size, CreatedBy: p.plan.redact(l.CreatedBy)})
	}
	return rep, nil
}

// Match adds the vulnerability findings of rep's packages, with the matcher's warnings and a
// warning when the database is old. Without a database it adds the reason the scan was skipped.
func (p *Pipeline) Match(ctx context.Context, rep *result.Report) error {
	if p.skipped != "" {
		rep.Warnings = append(rep.Warnings, p.skipped)
	}
	if p.db == nil || !slices.Contains(p.opts.Scanners, Vuln) {
		return nil
	}
	fs, warnings, err := MatchPackages(ctx, p.db, p.logger, p.opts.Offline, rep.Artifact.OS, rep.Packages)
	if err != nil {
		return err
	}
	rep.Findings = append(rep.Findings, fs...)
	rep.Warnings = append(rep.Warnings, warnings...)
	return nil
}

// MatchPackages matches packages against db, with KEV and EPSS, and returns the findings and
// warnings: the matcher's, and one when the database is old.
func MatchPackages(ctx context.Context, db *vulndb.DB, logger *slog.Logger, offline bool, os inventory.OS, pkgs []inventory.Package) ([]finding.Finding, []string, error) {
	st, stErr := db.Status()
	opts := match.Options{
		KEV: func(cve string) bool { _, ok := db.KEV(cve); return ok },
		EPSS: func(cve string) (float64, bool) {
			e, ok := db.EPSS(cve)
			return e.Score, ok
		},
		Logger: logger,
	}
	if stErr == nil {
		opts.Covered = st.Covers
	}
	fs, warnings, err := match.New(db, opts).Match(ctx, &inventory.Inventory{OS: os, Packages: pkgs})
	if err != nil {
		return nil, nil, exitcode.With(exitcode.Database, fmt.Errorf("match vulnerabilities: %w", err))
	}
	if stErr == nil {
		if w := vulndb.CheckAge(st, vulndb.DefaultMaxAge); w != "" {
			if offline {
				w = strings.Replace(w, "run `rampart db update`", "import newer data with `rampart db import`", 1)
			}
			warnings = append(warnings, w)
		}
	}
	return fs, warnings, nil
}

// Finish applies the filter (VEX, ignore rules, --ignore-unfixed, --severity, in that order),
// sorts the findings and sets their fingerprints.
func (p *Pipeline) Finish(rep *result.Report) {
	Finish(rep, &p.opts.Filter, p.now(), p.logger)
}

// Finish is the last step of every scan, of an artifact or of configuration files: it applies
// the filter (its warnings go into the report), sorts the findings and sets their fingerprints.
func Finish(rep *result.Report, f *Filter, now time.Time, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rep.Warnings = append(rep.Warnings, f.Apply(rep, now, logger)...)
	finding.SetFingerprints(rep.Findings, Subject(rep.Artifact))
}

// FailOn is the gate's threshold ("" for none).
func (p *Pipeline) FailOn() finding.Severity { return p.opts.Filter.FailOn }

// Gate returns an exit-code-3 error when a finding of rep is at or above the filter's FailOn.
func (p *Pipeline) Gate(rep *result.Report) error {
	return Gate(rep.Findings, p.opts.Filter.FailOn)
}

// Gate is the --fail-on gate every command shares: exit code 3 when any finding is at or above
// threshold, nil otherwise; an empty threshold never gates.
func Gate(findings []finding.Finding, threshold finding.Severity) error {
	if threshold == "" {
		return nil
	}
	n := 0
	for _, f := range findings {
		if f.Severity.Rank() >= threshold.Rank() {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d findings at or above %s", n, threshold)
	if u := UnjudgedUnknowns(findings, threshold); u > 0 {
		msg += fmt.Sprintf(" (and %d of UNKNOWN severity, not judged)", u)
	}
	return exitcode.With(exitcode.Gate, errors.New(msg))
}

// Apply filters rep's findings, sorts what is left and sets rep.Summary; it returns the ignore
// file's warnings.
func (f *Filter) Apply(rep *result.Report, now time.Time, logger *slog.Logger) []string {
	f.keepPkgTypes(rep)
	fs := rep.Findings
	before := len(fs)
	var warnings []string
	if f.VEX != nil {
		var n int
		fs, n = f.VEX.Apply(fs, rep.Artifact.Digest, rep.Artifact.ID)
		f.markVEX(fs, rep.Artifact)
		logger.Debug("VEX statements suppressed findings", "count", n)
	}
	if f.Ignore != nil {
		var n int
		fs, n, warnings = f.Ignore.Apply(fs, now)
		logger.Debug("ignore file suppressed findings", "count", n)
	}
	suppressed := before - len(fs)
	kept := fs[:0:0]
	for _, x := range fs {
		if f.IgnoreUnfixed && x.Kind == finding.KindVulnerability && x.FixedVersion == nil {
			continue
		}
		if len(f.Severities) > 0 && !slices.Contains(f.Severities, x.Severity) {
			continue
		}
		kept = append(kept, x)
	}
	match.Sort(kept)
	rep.Summary = result.Summarize(kept)
	rep.Summary.Suppressed, rep.Summary.Hidden = suppressed, len(fs)-len(kept)
	rep.Findings = kept
	return warnings
}

// UnjudgedUnknowns counts the findings of UNKNOWN severity a gate at threshold does not judge:
// every one of them when the threshold is above UNKNOWN. They are said, so that a passing gate
// is not mistaken for a clean image.
func UnjudgedUnknowns(findings []finding.Finding, threshold finding.Severity) int {
	if threshold == "" || threshold == finding.SeverityUnknown {
		return 0
	}
	n := 0
	for _, f := range findings {
		if f.Severity.Rank() == 0 {
			n++
		}
	}
	return n
}
