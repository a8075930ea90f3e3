package cli

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/malware"
	"github.com/rampartsec/rampart/internal/misconfig/imageconfig"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/secret"
	"github.com/rampartsec/rampart/internal/vulndb"
)

// ScanPlan is what a scan looks for beyond the package inventory: extra layer analyzers, and
// checks of the image configuration that run once the artifact is open.
type ScanPlan struct {
	analyzers []inventory.Analyzer
	config    []func(art *image.Artifact, rep *result.Report)
	warnings  []string
	// secrets is the plan's secret scanner, built with the user's --secret-config; it also
	// masks build history and serves the image checks. Nil without the secret scanner.
	secrets *secret.Scanner
}

// FileScanFlags configure the secret and malware scanners.
type FileScanFlags struct {
	secretConfig   string
	secretBinaries bool
	SecretMaxSize  int64
	malwareHashes  []string
	yaraRules      []string
}

func (f *FileScanFlags) Register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.secretConfig, "secret-config", "", "YAML file of extra secret rules, disabled rule IDs and allow-paths (see docs/secrets.md)")
	fl.BoolVar(&f.secretBinaries, "secret-include-binaries", false, "also scan files that look binary for secrets")
	fl.Int64Var(&f.SecretMaxSize, "secret-max-size", 10<<20, "largest file (bytes) scanned for secrets")
	fl.StringSliceVar(&f.malwareHashes, "malware-hashes", nil, "files of known-malicious SHA-256 hashes (sha256sum lines or MalwareBazaar CSV)")
	fl.StringSliceVar(&f.yaraRules, "yara-rules", nil, "extra YARA rule files")
}

// Plan builds the scan Plan for the chosen scanners. Errors are usage or input errors about the
// scanners' own configuration files.
func (f *FileScanFlags) Plan(scanners []string, dbDir string) (*ScanPlan, error) {
	p := &ScanPlan{}
	if slices.Contains(scanners, ScanSecret) {
		var user *secret.Config
		if f.secretConfig != "" {
			c, err := secret.LoadConfig(f.secretConfig)
			if err != nil {
				return nil, WithCode(ExitUsage, err)
			}
			user = c
		}
		s, err := secret.New(user)
		if err != nil {
			return nil, WithCode(ExitUsage, err)
		}
		p.secrets = s
		p.analyzers = append(p.analyzers, secret.NewAnalyzer(s, secret.AnalyzerOptions{MaxFileSize: f.SecretMaxSize, IncludeBinaries: f.secretBinaries}))
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
	}
	if slices.Contains(scanners, scanMisconfig) {
		if err := imageMisconfig(p); err != nil {
			return nil, err
		}
	}
	if slices.Contains(scanners, scanMalware) {
		hashes := map[string]malware.HashEntry{}
		// Hash lists imported with `rampart db import` live in the vulnerability database.
		if db, err := vulndb.Open(dbDir); err == nil {
			known, err := db.MalwareHashes()
			db.Close()
			if err != nil {
				return nil, WithCode(ExitDatabase, err)
			}
			for h, e := range known {
				hashes[h] = malware.HashEntry{Name: e.Name, Source: e.Source}
			}
		}
		for _, path := range f.malwareHashes {
			fh, err := os.Open(path)
			if err != nil {
				return nil, WithCode(ExitNotFound, fmt.Errorf("--malware-hashes: %w", err))
			}
			m, _, err := malware.ParseHashList(fh, path)
			fh.Close()
			if err != nil {
				return nil, WithCode(ExitInvalid, err)
			}
			for k, v := range m {
				hashes[k] = v
			}
		}
		var rules strings.Builder
		for _, path := range f.yaraRules {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, WithCode(ExitNotFound, fmt.Errorf("--yara-rules: %w", err))
			}
			rules.Write(b)
			rules.WriteByte('\n')
		}
		s, yerr := malware.New(hashes, rules.String())
		if yerr != nil {
			if len(f.yaraRules) > 0 || !strings.Contains(yerr.Error(), "not built in") {
				return nil, WithCode(ExitUsage, yerr)
			}
			// Said in the report, never skipped silently: hash matching still runs.
			p.warnings = append(p.warnings, "malware: "+yerr.Error()+"; only known-hash detection ran")
		}
		p.analyzers = append(p.analyzers, malware.NewAnalyzer(s, 0))
	}
	return p, nil
}

// redactor masks secrets in strings that reports print verbatim when the plan has no secret
// scanner of its own: the built-in rules, built once, on first use.
var redactor = sync.OnceValue(func() *secret.Scanner {
	s, err := secret.New(nil)
	if err != nil {
		// The built-in rules compile in every test; this cannot happen in a released build.
		return nil
	}
	return s
})

// masker is the scanner that masks what the plan's reports print verbatim.
func (p *ScanPlan) masker() *secret.Scanner {
	if p.secrets != nil {
		return p.secrets
	}
	return redactor()
}

func redact(r *secret.Scanner, s string) string {
	if r != nil && s != "" {
		return r.Redact(s)
	}
	return s
}

// imageMisconfig adds the image checks to a scan plan (`rampart image --scanners misconfig`): the
// layer analyzer, and the check of the configuration that settles the analyzer's candidates.
func imageMisconfig(p *ScanPlan) error {
	// The plan's secret scanner when there is one, so --secret-config rules count here too.
	secrets := p.masker()
	if secrets == nil {
		return errors.New("secret rules do not compile")
	}
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
	})
	return nil
}
