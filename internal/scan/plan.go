package scan

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/exitcode"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/malware"
	"github.com/rampartsec/rampart/internal/mask"
	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/misconfig/imageconfig"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/secret"
	"github.com/rampartsec/rampart/internal/vulndb"
)

// plan is what a scan looks for beyond the package inventory: extra layer analyzers, and checks
// of the image configuration that run once the artifact is open. It is built once and shared by
// concurrent scans: nothing in it is written after buildPlan returns.
type plan struct {
	analyzers []inventory.Analyzer
	config    []func(art *image.Artifact, rep *result.Report)
	warnings  []string
	// secrets is the plan's secret scanner, built with the user's rules; it also masks build
	// history and serves the image checks. Nil without the secret scanner.
	secrets *secret.Scanner
}

// buildPlan builds the plan for opts.Scanners. db, when not nil, is the open vulnerability
// database, read for imported malware hash lists.
func buildPlan(opts *Options, db *vulndb.DB) (*plan, error) {
	p := &plan{}
	if slices.Contains(opts.Scanners, Secret) {
		if err := p.addSecret(opts.Secret); err != nil {
			return nil, err
		}
	}
	if slices.Contains(opts.Scanners, Misconfig) {
		p.addImageConfig()
	}
	if slices.Contains(opts.Scanners, Malware) {
		if err := p.addMalware(opts, db); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *plan) addSecret(o SecretOptions) error {
	var user *secret.Config
	if o.ConfigFile != "" {
		c, err := secret.LoadConfig(o.ConfigFile)
		if err != nil {
			return exitcode.With(exitcode.Usage, fmt.Errorf("%w: %w", ErrUsage, err))
		}
		user = c
	}
	s, err := secret.New(user)
	if err != nil {
		return exitcode.With(exitcode.Usage, fmt.Errorf("%w: %w", ErrUsage, err))
	}
	p.secrets = s
	p.analyzers = append(p.analyzers, secret.NewAnalyzer(s, secret.AnalyzerOptions{MaxFileSize: o.MaxFileSize, IncludeBinaries: o.IncludeBinaries}))
	p.config = append(p.config, func(art *image.Artifact, rep *result.Report) {
		if art.Config == nil {
			return
		}
		c := art.Config.Config
		var hist []string
		for _, h := range art.Config.History {
			hist = append(hist, h.CreatedBy)
		}
		rep.Findings = append(rep.Findings, s.ScanConfig(c.Env, c.Labels, c.Cmd, c.Entrypoint, hist)...)
	})
	return nil
}

// addImageConfig adds the image checks (`--scanners misconfig`): the layer analyzer, and the
// check of the configuration that settles the analyzer's candidates.
func (p *plan) addImageConfig() {
	// The plan's secret scanner when there is one, so user rules count here too.
	secrets := p.masker()
	p.analyzers = append(p.analyzers, imageconfig.Analyzer{})
	p.config = append(p.config, func(art *image.Artifact, rep *result.Report) {
		img := imageconfig.Image{
			Config:     art.Config,
			Names:      append([]string{rep.Artifact.Name}, art.RepoTags...),
			Distroless: rep.Artifact.OS.Distroless,
		}
		for _, l := range art.Layers {
			img.Layers = append(img.Layers, l.DiffID)
		}
		rep.Findings = imageconfig.Check(img, rep.Findings, secrets)
		reason := ""
		if art.Config == nil {
			// A directory has no image configuration: its checks cannot pass.
			reason = "no image configuration (" + rep.Artifact.Source + " source)"
		}
		// Before --severity filters: a check with findings fails, shown or not.
		rep.Controls = append(rep.Controls, misconfig.Controls(imageconfig.Profile, imageconfig.Checks(), rep.Findings, reason)...)
	})
}

// addMalware adds the malware scanner: built-in hashes, the lists imported into the database,
// the user's hash files and YARA rules.
func (p *plan) addMalware(opts *Options, db *vulndb.DB) error {
	hashes := map[string]malware.HashEntry{}
	if db != nil {
		known, err := db.MalwareHashes()
		if err != nil {
			return exitcode.With(exitcode.Database, fmt.Errorf("malware hash lists in %s: %w", opts.DBDir, err))
		}
		for h, e := range known {
			hashes[h] = malware.HashEntry{Name: e.Name, Source: e.Source}
		}
	}
	for _, path := range opts.Malware.HashFiles {
		fh, err := os.Open(path)
		if err != nil {
			return exitcode.With(exitcode.NotFound, fmt.Errorf("--malware-hashes: %w", err))
		}
		m, _, err := malware.ParseHashList(fh, path)
		fh.Close()
		if err != nil {
			return exitcode.With(exitcode.Invalid, err)
		}
		for k, v := range m {
			hashes[k] = v
		}
	}
	var rules strings.Builder
	for _, path := range opts.Malware.YARAFiles {
		b, err := os.ReadFile(path)
		if err != nil {
			return exitcode.With(exitcode.NotFound, fmt.Errorf("--yara-rules: %w", err))
		}
		rules.Write(b)
		rules.WriteByte('\n')
	}
	s, yerr := malware.New(hashes, rules.String())
	switch {
	case yerr == nil:
	case errors.Is(yerr, malware.ErrNoYARA) && len(opts.Malware.YARAFiles) == 0:
		// Said in every report, never skipped silently: hash matching still runs.
		p.warnings = append(p.warnings, yerr.Error()+"; only known-hash detection ran")
	default:
		return exitcode.With(exitcode.Usage, fmt.Errorf("%w: %w", ErrUsage, yerr))
	}
	p.analyzers = append(p.analyzers, malware.NewAnalyzer(s, 0))
	return nil
}

// masker is the scanner that masks what the plan's reports print verbatim.
func (p *plan) masker() *secret.Scanner {
	if p.secrets != nil {
		return p.secrets
	}
	// The process's masking rules (built-in, or --secret-config's): built once, shared with the
	// error line and the log handler.
	return mask.Scanner()
}

// Redact masks every secret the plan's rules find in s.
func (p *plan) redact(s string) string {
	if r := p.masker(); r != nil && s != "" {
		return r.Redact(s)
	}
	return s
}
