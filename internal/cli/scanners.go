package cli

import (
	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/scan"
)

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

func (f *FileScanFlags) secretOptions() scan.SecretOptions {
	return scan.SecretOptions{ConfigFile: f.secretConfig, IncludeBinaries: f.secretBinaries, MaxFileSize: f.SecretMaxSize}
}

func (f *FileScanFlags) malwareOptions() scan.MalwareOptions {
	return scan.MalwareOptions{HashFiles: f.malwareHashes, YARAFiles: f.yaraRules}
}
