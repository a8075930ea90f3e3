package kubecmd

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/scan"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/manifest"
	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/misconfig/dockerfile"
	"github.com/rampartsec/rampart/internal/secret"
)

// configKind is one kind of configuration file `rampart config` understands. A new kind
// (Kubernetes YAML, Helm charts, Kustomize) adds an entry to configKinds: a name test and a lint
// function; the walk, filters, output and gate are shared.
type configKind struct {
	name string
	// match reports whether a file, by its base name, is of this kind.
	match func(base string) bool
	// lint checks the file at path; display is what findings and errors call it. A malformed
	// file is an error that names it.
	lint func(ctx context.Context, path, display string) ([]finding.Finding, error)
}

// configKinds lists the kinds in the order they are tried; the first whose match accepts a file
// reads it.
func configKinds(secrets *secret.Scanner) []configKind {
	lint := dockerfile.NewLinter(secrets)
	return []configKind{{
		name:  "dockerfile",
		match: isDockerfileName,
		lint: func(ctx context.Context, path, display string) ([]finding.Finding, error) {
			f, err := dockerfile.ReadFile(path, display)
			if err != nil {
				return nil, err
			}
			return lint.Lint(f), nil
		},
	}}
}

// isDockerfileName matches Dockerfile, Containerfile, NAME.Dockerfile, NAME.Containerfile and
// Dockerfile.NAME, in any case, but not NAME.dockerignore nor source and text files that only
// start with the word (dockerfile.go, Dockerfile.md).
func isDockerfileName(base string) bool {
	b := strings.ToLower(base)
	switch {
	case strings.HasSuffix(b, ".dockerignore"):
		return false
	case b == "dockerfile" || b == "containerfile" || strings.HasSuffix(b, ".dockerfile") || strings.HasSuffix(b, ".containerfile"):
		return true
	case strings.HasPrefix(b, "dockerfile.") || strings.HasPrefix(b, "containerfile."):
		return !notDockerfileExt[filepath.Ext(b)]
	}
	return false
}

// notDockerfileExt are extensions of files named like "Dockerfile.x" that are something else.
var notDockerfileExt = map[string]bool{
	".go": true, ".md": true, ".txt": true, ".json": true, ".yaml": true, ".yml": true, ".sh": true,
	".py": true, ".js": true, ".ts": true, ".rs": true, ".java": true, ".rb": true, ".toml": true,
	".html": true, ".orig": true, ".rej": true, ".swp": true,
}

// skipDirs are never descended into when PATH is a directory.
var skipDirs = map[string]bool{".git": true, "node_modules": true, ".hg": true, ".svn": true}

var configFormats = []string{"table", "json", cli.FormatSARIF}

func newConfigCmd(g *cli.Globals) *cobra.Command {
	var of cli.OutputFlags
	var vf cli.VulnFlags
	var kf kubeConfigFlags // Kubernetes manifests, Helm charts, Kustomize overlays: posture.go
	cmd := &cobra.Command{
		Use:   "config PATH",
		Short: "Check Dockerfiles, Kubernetes manifests, Helm charts and Kustomize for misconfigurations",
		Long: `Check configuration files for misconfigurations before they ship: Dockerfiles against the CIS
Docker Benchmark (section 4), and Kubernetes manifests, Helm charts and Kustomize overlays against
the Pod Security Standards, the CIS Kubernetes Benchmark and the NSA/CISA hardening guide (the
checks of ` + "`rampart k8s posture`" + `, without a cluster).

PATH is a file or a directory. A directory is searched recursively, skipping .git and
node_modules, for:

- Dockerfiles: Dockerfile, Containerfile, *.Dockerfile, *.Containerfile, Dockerfile.*;
- Helm charts: directories holding Chart.yaml, rendered with --values, --set, --set-string,
  --release-name and --helm-namespace (dependencies must be vendored under charts/);
- Kustomize overlays: directories holding kustomization.yaml, built without plugins or remote
  bases;
- Kubernetes manifests: the other .yaml, .yml and .json files, outside hidden directories and
  vendor; documents without apiVersion and kind are counted, not errors.

A file given by name is read by its name: Chart.yaml renders its chart, kustomization.yaml
builds its overlay, other YAML or JSON is read as manifests, and anything else as a Dockerfile.

A malformed file given by name is an error (exit code 7); one found in a directory is a warning
in the report, and the other files are still checked. docs/misconfig.md and docs/k8s-posture.md
describe every check.`,
		Example: `  rampart config .
  rampart config deploy/chart --values prod.yaml --set image.tag=1.2 --fail-on HIGH
  rampart config Dockerfile -f sarif -o dockerfile.sarif`,
		Args: cli.UsageArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			filter, err := vf.Filter()
			if err != nil {
				return err
			}
			secrets, err := secret.New(nil)
			if err != nil {
				return fmt.Errorf("secret rules: %w", err)
			}
			rep, kr, err := scanConfigAndKube(cmd.Context(), g, configKinds(secrets), args[0], &kf)
			if err != nil {
				return err
			}
			scan.Finish(rep, &filter, time.Now(), g.Logger)
			if err := writeConfigReport(g, &of, rep, kr); err != nil {
				return err
			}
			if err := scan.Gate(rep.Findings, filter.FailOn); err != nil {
				return err
			}
			if filter.FailOn != "" && kr != nil {
				// A gate must not pass on no evidence: nothing found to check is exit 9.
				return cli.NothingAssessedError("check", kr.controls())
			}
			return nil
		},
	}
	of.Register(cmd, "table", configFormats)
	// Only the filter and gate flags of the image scan apply here; they share its parsing,
	// filtering and exit code.
	fl := cmd.Flags()
	fl.StringSliceVar(&vf.Severities, "severity", nil, "report only findings of these severities (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)")
	fl.StringVar(&vf.FailOn, "fail-on", "", "exit with code 3 when a reported finding is at or above this severity")
	kf.register(cmd)
	return cmd
}

// statRoot stats PATH, refusing what is neither a regular file nor a directory: opening a named
// pipe blocks until something writes to it.
func statRoot(root string) (fs.FileInfo, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, withExitCode(err)
	}
	if !st.Mode().IsRegular() && !st.IsDir() {
		return nil, withExitCode(manifest.NotRegularError(root, st.Mode()))
	}
	return st, nil
}

// scanConfig checks PATH, a file or a directory, and returns the report.
func scanConfig(ctx context.Context, g *cli.Globals, kinds []configKind, root string) (*result.Report, error) {
	st, err := statRoot(root)
	if err != nil {
		return nil, err
	}
	rep := &result.Report{
		SchemaVersion: result.SchemaVersion,
		Tool:          result.Tool{Name: "rampart", Version: cli.Version()},
		CreatedAt:     time.Now().UTC().Truncate(time.Second),
		Artifact:      result.Artifact{Name: root, Source: "config"},
	}
	if !st.IsDir() {
		kind := kinds[0] // a file named explicitly is read as the first kind unless another claims it
		for _, k := range kinds {
			if k.match(filepath.Base(root)) {
				kind = k
				break
			}
		}
		found, err := kind.lint(ctx, root, filepath.ToSlash(root))
		if err != nil {
			return nil, withExitCode(err)
		}
		rep.Findings = found
		return rep, nil
	}
	checked := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			g.Logger.Debug("config file unreadable", "path", p, "err", err) // a warning in the report, said once
			rep.Warnings = append(rep.Warnings, err.Error())
			return nil
		}
		if d.IsDir() {
			if p != root && skipDirs[d.Name()] {
				return fs.SkipDir
			}
			return nil
		}
		i := slices.IndexFunc(kinds, func(k configKind) bool { return k.match(d.Name()) })
		if i < 0 || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			// Never opened; said, so that a file left unchecked is not taken for a clean one.
			err := manifest.NotRegularError(filepath.ToSlash(rel), d.Type())
			g.Logger.Debug("config file not checked", "path", rel, "err", err) // a warning in the report, said once
			rep.Warnings = append(rep.Warnings, err.Error())
			return nil
		}
		checked++
		found, err := kinds[i].lint(ctx, p, filepath.ToSlash(rel))
		if err != nil {
			g.Logger.Debug("config file not checked", "path", rel, "err", err) // a warning in the report, said once
			rep.Warnings = append(rep.Warnings, err.Error())
			return nil
		}
		rep.Findings = append(rep.Findings, found...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", root, err)
	}
	if checked == 0 {
		// Said, so that an empty report is not mistaken for a clean one.
		w := fmt.Sprintf("no configuration file found under %s (looked for Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*)", root)
		rep.Warnings = append(rep.Warnings, w) // said once, in the report (Kubernetes inputs found later take it back)
	}
	misconfig.Sort(rep.Findings)
	return rep, nil
}
