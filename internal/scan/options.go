package scan

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/rampartsec/rampart/internal/analysis"
	"github.com/rampartsec/rampart/internal/exitcode"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/match"
	"github.com/rampartsec/rampart/internal/result"
)

// Scanner names, as `--scanners` takes them.
const (
	Pkg       = "pkg"
	Vuln      = "vuln"
	Secret    = "secret"
	Malware   = "malware"
	Misconfig = "misconfig"
)

// Known lists every scanner name, in the order help text shows them.
var Known = []string{Pkg, Vuln, Secret, Malware, Misconfig}

// Default are the scanners `rampart image` and `rampart fs` run when not told otherwise.
var Default = []string{Vuln, Pkg, Secret}

// ErrUsage is wrapped by errors in the options themselves (an unknown scanner, a bad rule file).
var ErrUsage = errors.New("scan: invalid options")

// CheckScanners rejects names that are not scanners.
func CheckScanners(names []string) error {
	for _, s := range names {
		if !slices.Contains(Known, s) {
			return exitcode.With(exitcode.Usage, fmt.Errorf("%w: --scanners: unknown scanner %q (known: %s)", ErrUsage, s, strings.Join(Known, ", ")))
		}
	}
	return nil
}

// Options configure a [Pipeline]. The zero value inventories packages only, with no cache.
type Options struct {
	// Scanners say what to look for besides the package inventory (see [Known]).
	Scanners []string
	// RequireDB makes a missing vulnerability database an error. When false and vuln is among
	// the scanners, a missing database skips the vulnerability scan with a warning in each report
	// (listing packages needs no database).
	RequireDB bool
	// DBDir is the vulnerability database directory (also where imported malware hash lists live).
	DBDir string
	// Offline changes the hints of database warnings: never suggest a download.
	Offline bool

	Secret  SecretOptions
	Malware MalwareOptions
	// Filter is applied to every report's findings after matching.
	Filter Filter
	// Paths leaves files and directories out of every analyzer's sight (--skip-dirs, --skip-files).
	Paths analysis.PathFilter

	// Artifact says how artifacts are opened.
	Artifact ArtifactOptions
	// CacheDir holds the layer cache; "" or NoCache disables it.
	CacheDir string
	NoCache  bool

	// Tool is written into every report.
	Tool   result.Tool
	Logger *slog.Logger
}

// SecretOptions configure the secret scanner.
type SecretOptions struct {
	// ConfigFile is a YAML file of extra rules, disabled rule IDs and allow-paths ("" for none).
	ConfigFile      string
	IncludeBinaries bool
	// MaxFileSize is the largest file scanned (bytes); 0 for the scanner's default.
	MaxFileSize int64
}

// MalwareOptions configure the malware scanner, on top of the hash lists imported into the database.
type MalwareOptions struct {
	HashFiles []string // sha256sum lines or MalwareBazaar CSV
	YARAFiles []string // YARA rule files
}

// ArtifactOptions say how an artifact is opened.
type ArtifactOptions struct {
	// Source forces where a plain image name is looked up ("" for the reference's own).
	Source   image.Source
	Platform string
	Insecure bool
	CACert   string
	// Timeout bounds each artifact's whole scan; 0 for none.
	Timeout time.Duration
}

// imageOptions are the options image.Open takes for these settings.
func (a ArtifactOptions) imageOptions(l *slog.Logger) []image.Option {
	opts := []image.Option{image.WithInsecure(a.Insecure), image.WithLogger(l)}
	if a.Platform != "" {
		opts = append(opts, image.WithPlatform(a.Platform))
	}
	if a.CACert != "" {
		opts = append(opts, image.WithCACert(a.CACert))
	}
	return opts
}

// Filter decides which findings a report keeps, and the gate.
type Filter struct {
	// Severities, when not empty, keeps only findings of these severities.
	Severities []finding.Severity
	// IgnoreUnfixed drops vulnerabilities that have no fixed version.
	IgnoreUnfixed bool
	Ignore        *match.IgnoreFile
	VEX           *match.VEX
	// FailOn is the gate's threshold; "" for no gate.
	FailOn finding.Severity
	// PkgTypes, when not empty, keeps only packages of these kinds ([PkgTypeOS],
	// [PkgTypeLibrary]) and the findings about them (--pkg-types).
	PkgTypes []string
}

// Progress is told about one artifact's layer work. Finish is called once analysis ends.
type Progress interface {
	analysis.Progress
	Finish()
}
