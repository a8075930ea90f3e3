package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/match"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/vulndb"
)

// VulnFlags are the flags of the vulnerability scanner and of the filters and gate that apply
// to every reported finding.
type VulnFlags struct {
	dbDir         string
	Offline       bool
	Severities    []string
	ignoreUnfixed bool
	FailOn        string
	ignoreFile    string
	vexFile       string
}

// vulnDBDefaultDir is where `rampart db` keeps the database unless told otherwise:
// $RAMPART_DB_DIR, else "db" under the cache directory.
func vulnDBDefaultDir() string {
	if d := os.Getenv("RAMPART_DB_DIR"); d != "" {
		return d
	}
	return filepath.Join(defaultCacheDir(), "db")
}

func (f *VulnFlags) Register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dbDir, "db-dir", vulnDBDefaultDir(), "vulnerability database directory (see `rampart db`)")
	fl.BoolVar(&f.Offline, "offline", false, "use only the local vulnerability database; never suggest or attempt a download")
	fl.StringSliceVar(&f.Severities, "severity", nil, "report only findings of these severities (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)")
	fl.BoolVar(&f.ignoreUnfixed, "ignore-unfixed", false, "do not report vulnerabilities that have no fixed version")
	fl.StringVar(&f.FailOn, "fail-on", "", "exit with code 3 when a reported finding is at or above this severity")
	fl.StringVar(&f.ignoreFile, "ignorefile", "", "YAML file of findings to ignore (id, package, reason, expires)")
	fl.StringVar(&f.vexFile, "vex", "", "OpenVEX JSON document: not_affected and fixed statements suppress findings")
	sev := cobra.FixedCompletions([]string{"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}, cobra.ShellCompDirectiveNoFileComp)
	cmd.RegisterFlagCompletionFunc("severity", sev)
	cmd.RegisterFlagCompletionFunc("fail-on", sev)
}

// VulnSettings are the flags, checked and with their files read.
type VulnSettings struct {
	severities    map[finding.Severity]bool // nil: every severity
	ignoreUnfixed bool
	failOn        finding.Severity
	gate          bool
	ignore        *match.IgnoreFile
	vex           *match.VEX
}

// Load checks the flags and reads the ignore and VEX files. Its errors are usage errors.
func (f *VulnFlags) Load() (*VulnSettings, error) {
	s := &VulnSettings{ignoreUnfixed: f.ignoreUnfixed}
	for _, v := range f.Severities {
		sev, err := finding.ParseSeverity(v)
		if err != nil {
			return nil, WithCode(ExitUsage, fmt.Errorf("--severity: %w", err))
		}
		if s.severities == nil {
			s.severities = map[finding.Severity]bool{}
		}
		s.severities[sev] = true
	}
	if f.FailOn != "" {
		sev, err := finding.ParseSeverity(f.FailOn)
		if err != nil {
			return nil, WithCode(ExitUsage, fmt.Errorf("--fail-on: %w", err))
		}
		s.failOn, s.gate = sev, true
	}
	var err error
	if s.ignore, err = readFlagFile("--ignorefile", f.ignoreFile, match.ParseIgnoreFile); err != nil {
		return nil, err
	}
	if s.vex, err = readFlagFile("--vex", f.vexFile, match.ParseVEX); err != nil {
		return nil, err
	}
	return s, nil
}

// readFlagFile reads and parses the file a flag names; nil when the flag is empty. Its errors
// are usage errors.
func readFlagFile[T any](flag, path string, parse func([]byte) (*T, error)) (*T, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, WithCode(ExitUsage, fmt.Errorf("%s: %w", flag, err))
	}
	v, err := parse(b)
	if err != nil {
		return nil, WithCode(ExitUsage, fmt.Errorf("%s %s: %w", flag, path, err))
	}
	return v, nil
}

// OpenVulnDB opens the database, mapping its absence or damage to ExitDatabase with a hint.
// The caller must Close the DB.
// openScanDB opens the database before the (long) scan, so a missing one fails fast. When vuln
// is only a default scanner and nothing gates on it, a missing database is not an error: db is
// nil and skipped says why (listing packages needs no database). Without vuln both are zero.
func openScanDB(cmd *cobra.Command, vf *VulnFlags, settings *VulnSettings, scanners []string) (db *vulndb.DB, skipped string, err error) {
	if !slices.Contains(scanners, scanVuln) {
		return nil, "", nil
	}
	db, err = OpenVulnDB(vf)
	if err == nil {
		return db, "", nil
	}
	if cmd.Flags().Changed("scanners") || settings.gate || CodeFor(err) != ExitDatabase {
		return nil, "", err
	}
	return nil, "vulnerability scan skipped: " + err.Error(), nil
}

func OpenVulnDB(f *VulnFlags) (*vulndb.DB, error) {
	db, err := vulndb.Open(f.dbDir)
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, vulndb.ErrNoDatabase):
		hint := "run `rampart db import data/vulndb` (bundled data) or `rampart db update`"
		if f.Offline {
			hint = "run `rampart db import data/vulndb` or import OSV files you downloaded elsewhere"
		}
		return nil, WithCode(ExitDatabase, fmt.Errorf("no vulnerability database in %s: %w; %s", f.dbDir, err, hint))
	case errors.Is(err, vulndb.ErrCorrupt), errors.Is(err, vulndb.ErrSchema):
		return nil, WithCode(ExitDatabase, fmt.Errorf("vulnerability database in %s: %w; rebuild it with `rampart db import` or `rampart db update`", f.dbDir, err))
	}
	return nil, WithCode(ExitDatabase, fmt.Errorf("open vulnerability database %s: %w", f.dbDir, err))
}

// MatchVulns adds the vulnerability findings of rep's packages to rep, with the matcher's
// warnings and a warning when the database is old.
func MatchVulns(ctx context.Context, g *Globals, db *vulndb.DB, offline bool, rep *result.Report) error {
	st, stErr := db.Status()
	opts := match.Options{
		KEV: func(cve string) bool { _, ok := db.KEV(cve); return ok },
		EPSS: func(cve string) (float64, bool) {
			e, ok := db.EPSS(cve)
			return e.Score, ok
		},
		Logger: g.Logger,
	}
	if stErr == nil {
		opts.Covered = st.Covers
	}
	m := match.New(db, opts)
	inv := &inventory.Inventory{OS: rep.Artifact.OS, Packages: rep.Packages}
	fs, warnings, err := m.Match(ctx, inv)
	if err != nil {
		return WithCode(ExitDatabase, fmt.Errorf("match vulnerabilities: %w", err))
	}
	rep.Findings = append(rep.Findings, fs...)
	rep.Warnings = append(rep.Warnings, warnings...)
	if stErr == nil {
		if w := vulndb.CheckAge(st, vulndb.DefaultMaxAge); w != "" {
			if offline {
				w = strings.Replace(w, "run `rampart db update`", "import newer data with `rampart db import`", 1)
			}
			// Said once, in the report (the table prints its warnings; JSON carries them).
			g.Logger.Debug(w)
			rep.Warnings = append(rep.Warnings, w)
		}
	}
	return nil
}

// Filter applies VEX, the ignore file, --ignore-unfixed and --severity to rep's findings, in
// that order, and sorts what is left.
func (s *VulnSettings) Filter(g *Globals, rep *result.Report, now time.Time) {
	fs := rep.Findings
	if s.vex != nil {
		var n int
		fs, n = s.vex.Apply(fs, rep.Artifact.Digest, rep.Artifact.ID)
		g.Logger.Debug("VEX statements suppressed findings", "count", n)
	}
	if s.ignore != nil {
		var n int
		var warnings []string
		fs, n, warnings = s.ignore.Apply(fs, now)
		for _, w := range warnings {
			g.Logger.Warn(w)
		}
		rep.Warnings = append(rep.Warnings, warnings...)
		g.Logger.Debug("ignore file suppressed findings", "count", n)
	}
	kept := fs[:0:0]
	for _, f := range fs {
		if s.ignoreUnfixed && f.Kind == finding.KindVulnerability && f.FixedVersion == nil {
			continue
		}
		if s.severities != nil && !s.severities[f.Severity] {
			continue
		}
		kept = append(kept, f)
	}
	match.Sort(kept)
	rep.Findings = kept
}

// GateErr returns an ExitGate error when a reported finding is at or above --fail-on.
func (s *VulnSettings) GateErr(rep *result.Report) error {
	if !s.gate {
		return nil
	}
	return GateError(rep.Findings, s.failOn)
}
