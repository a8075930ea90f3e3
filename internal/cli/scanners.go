package cli

import (
	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/analysis"
	"github.com/rampartsec/rampart/internal/scan"
)

// FileScanFlags configure the secret and malware scanners, and what every analyzer sees: the
// paths left out (--skip-dirs, --skip-files) and the kinds of package kept (--pkg-types).
type FileScanFlags struct {
	secretConfig   string
	secretBinaries bool
	SecretMaxSize  int64
	malwareHashes  []string
	yaraRules      []string
	skipDirs       []string
	skipFiles      []string
	pkgTypes       []string
}

func (f *FileScanFlags) Register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.secretConfig, "secret-config", "", "YAML file of extra secret rules, disabled rule IDs and allow-paths (see docs/secrets.md)")
	fl.BoolVar(&f.secretBinaries, "secret-include-binaries", false, "also scan files that look binary for secrets")
	fl.Int64Var(&f.SecretMaxSize, "secret-max-size", 10<<20, "largest file (bytes) scanned for secrets")
	fl.StringSliceVar(&f.malwareHashes, "malware-hashes", nil, "files of known-malicious SHA-256 hashes (sha256sum lines or MalwareBazaar CSV)")
	fl.StringSliceVar(&f.yaraRules, "yara-rules", nil, "extra YARA rule files (needs a build with YARA: rampart version says)")
	fl.StringSliceVar(&f.skipDirs, "skip-dirs", nil, "leave out these directories and all below them (globs, ** for any depth: **/node_modules)")
	fl.StringSliceVar(&f.skipFiles, "skip-files", nil, "leave out these files (globs, ** for any depth: **/*.pem)")
	fl.StringSliceVar(&f.pkgTypes, "pkg-types", nil, "keep only these kinds of package and their findings: os, library")
	cmd.RegisterFlagCompletionFunc("pkg-types", cobra.FixedCompletions(scan.PkgTypes, cobra.ShellCompDirectiveNoFileComp))
}

// paths checks --skip-dirs and --skip-files (usage errors) and returns them as the pipeline's.
func (f *FileScanFlags) paths() (analysis.PathFilter, error) {
	pf := analysis.PathFilter{SkipDirs: f.skipDirs, SkipFiles: f.skipFiles}
	if err := pf.Check(); err != nil {
		return analysis.PathFilter{}, WithCode(ExitUsage, err)
	}
	return pf, nil
}

func (f *FileScanFlags) secretOptions() scan.SecretOptions {
	return scan.SecretOptions{ConfigFile: f.secretConfig, IncludeBinaries: f.secretBinaries, MaxFileSize: f.SecretMaxSize}
}

func (f *FileScanFlags) malwareOptions() scan.MalwareOptions {
	return scan.MalwareOptions{HashFiles: f.malwareHashes, YARAFiles: f.yaraRules}
}
