package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/match"
	"github.com/rampartsec/rampart/internal/regularfile"
	"github.com/rampartsec/rampart/internal/scan"
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
	fl.StringVar(&f.dbDir, "db-dir", vulnDBDefaultDir(), "vulnerability database directory: see rampart db ($RAMPART_DB_DIR)")
	fl.BoolVar(&f.Offline, "offline", false, "use only the local vulnerability database; never suggest or attempt a download")
	fl.StringSliceVar(&f.Severities, "severity", nil, "report only findings of these severities (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)")
	fl.BoolVar(&f.ignoreUnfixed, "ignore-unfixed", false, "do not report vulnerabilities that have no fixed version")
	fl.StringVar(&f.FailOn, "fail-on", "", "exit with code 3 when a reported finding is at or above this severity")
	fl.StringVar(&f.ignoreFile, "ignorefile", "", "findings to ignore: Rampart's YAML (id, package, reason, expires) or a .trivyignore list of IDs")
	fl.StringVar(&f.vexFile, "vex", "", "OpenVEX JSON document: not_affected and fixed statements suppress findings")
	sev := cobra.FixedCompletions([]string{"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}, cobra.ShellCompDirectiveNoFileComp)
	cmd.RegisterFlagCompletionFunc("severity", sev)
	cmd.RegisterFlagCompletionFunc("fail-on", sev)
}

// DBDir is the --db-dir value.
func (f *VulnFlags) DBDir() string { return f.dbDir }

// Filter checks the filter and gate flags and reads the ignore and VEX files. Its errors are
// usage errors.
func (f *VulnFlags) Filter() (scan.Filter, error) {
	s := scan.Filter{IgnoreUnfixed: f.ignoreUnfixed}
	for _, v := range f.Severities {
		sev, err := finding.ParseSeverity(v)
		if err != nil {
			return scan.Filter{}, WithCode(ExitUsage, fmt.Errorf("--severity: %w", err))
		}
		s.Severities = append(s.Severities, sev)
	}
	var err error
	if s.FailOn, err = ParseGate(f.FailOn); err != nil {
		return scan.Filter{}, err
	}
	parseIgnore := func(b []byte) (*match.IgnoreFile, error) { return match.ParseIgnore(filepath.Base(f.ignoreFile), b) }
	if s.Ignore, err = readFlagFile("--ignorefile", f.ignoreFile, parseIgnore); err != nil {
		return scan.Filter{}, err
	}
	if s.VEX, err = readFlagFile("--vex", f.vexFile, match.ParseVEX); err != nil {
		return scan.Filter{}, err
	}
	return s, nil
}

// maxFlagFile bounds the ignore and VEX files a flag names (real ones are kilobytes).
const maxFlagFile = 64 << 20

// readFlagFile reads and parses the file a flag names; nil when the flag is empty. Its errors
// are usage errors.
func readFlagFile[T any](flag, path string, parse func([]byte) (*T, error)) (*T, error) {
	if path == "" {
		return nil, nil
	}
	b, err := regularfile.Read(path, maxFlagFile)
	if err != nil {
		return nil, WithCode(ExitUsage, fmt.Errorf("%s: %w", flag, err))
	}
	v, err := parse(b)
	if err != nil {
		return nil, WithCode(ExitUsage, fmt.Errorf("%s %s: %w", flag, path, err))
	}
	return v, nil
}

// OpenVulnDB opens the database --db-dir names, with errors that say how to get one (exit 8).
// The caller must Close the DB.
func OpenVulnDB(f *VulnFlags) (*vulndb.DB, error) { return scan.OpenDB(f.dbDir, f.Offline) }
