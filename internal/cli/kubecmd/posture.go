package kubecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/result"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/manifest"
	"github.com/rampartsec/rampart/internal/mask"
	"github.com/rampartsec/rampart/internal/misconfig"
	"github.com/rampartsec/rampart/internal/misconfig/dockerfile"
	"github.com/rampartsec/rampart/internal/posture"
	"github.com/rampartsec/rampart/internal/report"
)

// kubeConfigFlags are the flags `rampart config` takes for Kubernetes inputs.
type kubeConfigFlags struct {
	values, set, setString []string
	release, namespace     string
	nodeRoot               string
}

func (f *kubeConfigFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.values, "values", nil, "Helm values file merged over each chart's values.yaml (repeatable)")
	fl.StringArrayVar(&f.set, "set", nil, "Helm value a.b=c applied last (repeatable)")
	fl.StringArrayVar(&f.setString, "set-string", nil, "Helm string value a.b=c applied last (repeatable)")
	fl.StringVar(&f.release, "release-name", "release", "release name charts are rendered with")
	fl.StringVar(&f.namespace, "helm-namespace", "default", "release namespace charts are rendered with")
	fl.StringVar(&f.nodeRoot, "node-root", "", "a node's root file system: CIS 1–4 checks of the static pods under etc/kubernetes/manifests and var/lib/kubelet/config.yaml")
}

// kubeConfigResult is what `rampart config` adds to the report: the Dockerfile checks' control
// results and, when Kubernetes inputs were checked, the posture result.
type kubeConfigResult struct {
	// dockerfile holds a control result per Dockerfile check; nil when they did not run (a
	// Kubernetes file named on the command line).
	dockerfile []result.Control
	// posture is nil when there was nothing of Kubernetes to check (and no --node-root).
	posture *posture.Result
	skipped map[string]int
}

// controls are every control result of the run: posture's, then the Dockerfile checks'.
func (kr *kubeConfigResult) controls() []result.Control {
	var cs []result.Control
	if kr.posture != nil {
		cs = append(cs, kr.posture.Controls...)
	}
	return append(cs, kr.dockerfile...)
}

// lintCount counts the Dockerfiles the checks read and names those they could not, so that a
// check is not said to pass on Dockerfiles it never saw.
type lintCount struct {
	read   int
	unread []string
}

// wrap returns kinds with the Dockerfile kind's lint counted.
func (c *lintCount) wrap(kinds []configKind) []configKind {
	out := slices.Clone(kinds)
	for i := range out {
		if out[i].name != "dockerfile" {
			continue
		}
		lint := out[i].lint
		out[i].lint = func(ctx context.Context, path, display string) ([]finding.Finding, error) {
			fs, err := lint(ctx, path, display)
			if err != nil {
				c.unread = append(c.unread, display)
			} else {
				c.read++
			}
			return fs, err
		}
	}
	return out
}

// reason says why a Dockerfile check without findings does not pass: "" when every Dockerfile
// found was read.
func (c *lintCount) reason(root string) string {
	switch {
	case len(c.unread) > 0:
		return "Dockerfiles not read: " + strings.Join(c.unread, ", ")
	case c.read == 0:
		return "no Dockerfile found under " + root
	}
	return ""
}

// isKubeFile reports whether a file named on the command line is a Kubernetes input.
func isKubeFile(base string) bool {
	return manifest.IsManifestFile(base) || base == "Chart.yaml" || base == "Kustomization"
}

// scanConfigAndKube runs `rampart config` on root: the Dockerfile checks of scanConfig and, when
// root holds Kubernetes manifests, Helm charts or Kustomize overlays, the posture checks. The
// second result's posture is nil when there was nothing of Kubernetes to check (and no
// --node-root).
func scanConfigAndKube(ctx context.Context, g *cli.Globals, kinds []configKind, root string, f *kubeConfigFlags) (*result.Report, *kubeConfigResult, error) {
	st, err := statRoot(root)
	if err != nil {
		return nil, nil, err
	}
	// Every chart would fail on a values file that is not there: one error, not a warning each.
	// (One that is a pipe, as <(…) makes, is read.)
	for _, v := range f.values {
		if _, err := os.Stat(v); err != nil {
			return nil, nil, withExitCode(fmt.Errorf("--values: %w", err))
		}
	}
	fileOnly := !st.IsDir() && isKubeFile(filepath.Base(root))
	kr := &kubeConfigResult{}
	var rep *result.Report
	if fileOnly {
		rep = &result.Report{
			SchemaVersion: result.SchemaVersion,
			Tool:          result.Tool{Name: "rampart", Version: cli.Version()},
			CreatedAt:     time.Now().UTC().Truncate(time.Second),
			Artifact:      result.Artifact{Name: root, Source: "config"},
		}
	} else {
		lints := &lintCount{}
		if rep, err = scanConfig(ctx, g, lints.wrap(kinds), root); err != nil {
			return nil, nil, err
		}
		// Before --severity filters: a check with findings fails, shown or not.
		kr.dockerfile = misconfig.Controls(dockerfile.Profile, dockerfile.Checks(), rep.Findings, lints.reason(root))
		if !st.IsDir() {
			return rep, kr, nil
		}
	}
	inputs, err := manifest.Discover(root)
	if err != nil {
		return nil, nil, fmt.Errorf("walk %s: %w", root, err)
	}
	opts := manifest.Options{ValuesFiles: f.values, Set: f.set, SetString: f.setString, ReleaseName: f.release, Namespace: f.namespace}
	snap := kube.NewManifestSnapshot(root)
	found := false      // a Kubernetes input, read or not
	var unread []string // inputs whose objects are missing from snap
	for _, in := range inputs {
		err := manifest.LoadInput(ctx, in, opts, snap)
		switch {
		case err == nil:
			found = true
		case ctx.Err() != nil:
			return nil, nil, ctx.Err()
		case errors.Is(err, manifest.ErrNotManifest):
			// A values file, a CI workflow, a package.json: not a problem, not a finding.
			g.Logger.Debug("not a Kubernetes manifest: skipped", "path", in.Name)
			if fileOnly {
				rep.Warnings = append(rep.Warnings, err.Error()+" (no document has apiVersion and kind): nothing checked")
			}
		case fileOnly:
			return nil, nil, withExitCode(err)
		default:
			// As for Dockerfiles: one bad input in a directory is a warning, not the end.
			g.Logger.Warn("kubernetes input not checked", "path", in.Name, "err", err)
			rep.Warnings = append(rep.Warnings, err.Error())
			if !errors.Is(err, manifest.ErrNotRegular) {
				found = true
				unread = append(unread, in.Name)
			}
		}
	}
	if !found && f.nodeRoot == "" {
		return rep, kr, nil
	}
	if !fileOnly {
		// scanConfig's "no Dockerfile found" is not the whole story any more.
		rep.Warnings = slices.DeleteFunc(rep.Warnings, func(w string) bool { return strings.HasPrefix(w, "no configuration file found") })
	}
	res, err := posture.Check(ctx, snap, posture.Options{NodeRoot: f.nodeRoot})
	if err != nil {
		return nil, nil, err
	}
	if len(unread) > 0 {
		if err := markUnread(ctx, res, f.nodeRoot, unread); err != nil {
			return nil, nil, err
		}
	}
	rep.Findings = append(rep.Findings, res.Findings...)
	rep.Warnings = append(rep.Warnings, res.Warnings...)
	misconfig.Sort(rep.Findings)
	kr.posture, kr.skipped = res, snap.Skipped
	return rep, kr, nil
}

// markUnread makes the controls res says pass not assessed when inputs could not be read (a
// chart that does not render or goes past the rendering limits, a manifest that does not
// parse): the objects left out might fail them. Controls whose verdict does not depend on
// objects (the node files' CIS 1–4 checks) keep theirs; they are told apart by checking no
// objects at all, which leaves the others not assessed.
func markUnread(ctx context.Context, res *posture.Result, nodeRoot string, unread []string) error {
	probe, err := posture.Check(ctx, kube.NewManifestSnapshot(""), posture.Options{NodeRoot: nodeRoot})
	if err != nil {
		return err
	}
	type key struct{ standard, profile, control string }
	onObjects := map[key]bool{}
	for _, c := range probe.Controls {
		if c.Status == result.StatusNotAssessed {
			onObjects[key{c.Standard, c.Profile, c.Control}] = true
		}
	}
	reason := "inputs not read: " + strings.Join(unread, ", ")
	for i := range res.Controls {
		c := &res.Controls[i]
		if c.Status != result.StatusPass || !onObjects[key{c.Standard, c.Profile, c.Control}] {
			continue
		}
		c.Status, c.Reason = result.StatusNotAssessed, reason
	}
	res.Summary = result.SummarizeControls(res.Controls, nil)
	return nil
}

// postureAssessedNothing reports whether every control is not assessed, and why.
func postureAssessedNothing(res *posture.Result) (bool, []string) {
	var reasons []string
	for _, c := range res.Controls {
		if c.Status != result.StatusNotAssessed {
			return false, nil
		}
		for _, r := range strings.Split(c.Reason, "; ") {
			if !slices.Contains(reasons, r) {
				reasons = append(reasons, r)
			}
		}
	}
	return len(res.Controls) > 0, reasons
}

// notAssessedError is the error of a scan that assessed none of what it was asked to
// (cli.ExitNotAssessed): its report holds no evidence either way, and a gate must not pass on
// none.
func notAssessedError(what string, reasons []string) error {
	return cli.WithCode(cli.ExitNotAssessed, fmt.Errorf("nothing assessed: every %s is not assessed (%s)", what, strings.Join(reasons, "; ")))
}

// configJSON is the JSON form of `rampart config`: the report, plus every control's status and
// their counts.
type configJSON struct {
	result.Report
	Compliance complianceJSON `json:"compliance"`
}

// configKubeJSON is the JSON form of `rampart config` when it checked Kubernetes inputs: also
// the objects skipped.
type configKubeJSON struct {
	configJSON
	Skipped map[string]int `json:"skipped"`
}

// complianceJSON is the status of every control and the counts per standard.
type complianceJSON struct {
	Summary  []result.ControlSummary `json:"summary"`
	Controls []result.Control        `json:"controls"`
}

// writeConfigReport writes the report of `rampart config`: in JSON with every control's status
// (the Dockerfile checks', posture's), in a table with the compliance summary when Kubernetes
// inputs were checked.
func writeConfigReport(g *cli.Globals, of *cli.OutputFlags, rep *result.Report, kr *kubeConfigResult) error {
	if kr == nil || of.Format == cli.FormatSARIF || of.Format != "json" && kr.posture == nil {
		return cli.WriteReport(g, of, rep, false)
	}
	// Warnings quote what charts and manifests said (a render error may quote a value): masked
	// as report.Write masks every scan report.
	mask.Value(rep)
	mask.Value(kr)
	w, done, err := of.Writer(g.Stdout)
	if err != nil {
		return err
	}
	cs := kr.controls()
	sum := result.SummarizeControls(cs, nil)
	if of.Format == "json" {
		out := configJSON{Report: *rep, Compliance: complianceJSON{Summary: sum, Controls: cs}}
		out.Normalize()
		if out.Compliance.Controls == nil {
			out.Compliance.Controls = []result.Control{}
		}
		if kr.posture == nil {
			err = cli.WriteJSON(w, out)
		} else {
			skipped := kr.skipped
			if skipped == nil {
				skipped = map[string]int{}
			}
			err = cli.WriteJSON(w, configKubeJSON{configJSON: out, Skipped: skipped})
		}
	} else {
		err = report.WriteTable(w, rep, false)
		if err == nil {
			err = writeComplianceTable(w, sum, cs, kr.skipped)
		}
	}
	err = cli.CloseOutput(done, err)
	return err
}

// writeComplianceTable writes the pass/fail/not-assessed counts per standard and the reasons
// controls were not assessed.
func writeComplianceTable(w io.Writer, summary []result.ControlSummary, controls []result.Control, skipped map[string]int) error {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STANDARD\tPROFILE\tPASS\tFAIL\tNOT ASSESSED")
	for _, s := range summary {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", s.Standard, orDash(s.Profile), s.Pass, s.Fail, s.NotAssessed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	reasons := map[string]int{}
	for _, c := range controls {
		if c.Status == result.StatusNotAssessed {
			reasons[c.Reason]++
		}
	}
	keys := make([]string, 0, len(reasons))
	for r := range reasons {
		keys = append(keys, r)
	}
	sort.Strings(keys)
	for _, r := range keys {
		fmt.Fprintf(w, "not assessed (%d controls): %s\n", reasons[r], cli.OneLine(r))
	}
	if n := 0; len(skipped) > 0 {
		var kinds []string
		for k, c := range skipped {
			n += c
			kinds = append(kinds, fmt.Sprintf("%s=%d", k, c))
		}
		sort.Strings(kinds)
		fmt.Fprintf(w, "skipped %d objects of other kinds: %s\n", n, report.Clean(strings.Join(kinds, ", ")))
	}
	return nil
}

// postureJSON is the JSON form of `rampart k8s posture`.
type postureJSON struct {
	SchemaVersion int                     `json:"schema_version"`
	Tool          result.Tool             `json:"tool"`
	CreatedAt     time.Time               `json:"created_at"`
	Source        string                  `json:"source"`
	Origin        string                  `json:"origin"`
	ServerVersion string                  `json:"server_version,omitempty"`
	Skipped       map[string]int          `json:"skipped"`
	Gaps          []kube.Gap              `json:"gaps"`
	Findings      []finding.Finding       `json:"findings"`
	Summary       []result.ControlSummary `json:"summary"`
	Controls      []result.Control        `json:"controls"`
	Warnings      []string                `json:"warnings"`
}

func newPostureCmd(g *cli.Globals, src *kubeSource) *cobra.Command {
	var (
		out      cli.OutputFlags
		failOn   string
		nodeRoot string
	)
	formats := []string{"table", "json", cli.FormatSARIF}
	cmd := &cobra.Command{
		Use:   "posture",
		Short: "Check workloads, namespaces and exposure against the Pod Security Standards, CIS and NSA",
		Long: `Check the cluster's (or --manifests') pod templates against every control of the Pod Security
Standards (baseline and restricted, with the API server's own PodSecurity checks), the CIS
Kubernetes Benchmark section 5 and the NSA/CISA hardening guide; compare namespaces with their
pod-security.kubernetes.io/enforce label; report LoadBalancer and NodePort services and
Ingresses without TLS. With --node-root, also the CIS sections 1–4 settings of the static pods
and the kubelet read from that node's files.

Controls are pass, fail or not assessed: a list the API server forbids (403), a kind of object
absent, or no --node-root make controls not assessed, with the reason, never pass.
docs/k8s-posture.md describes every check.`,
		Args: cli.UsageArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			gate, err := cli.ParseGate(failOn)
			if err != nil {
				return err
			}
			snap, err := src.load(cmd.Context(), g)
			if err != nil {
				return err
			}
			res, err := posture.Check(cmd.Context(), snap, posture.Options{NodeRoot: nodeRoot})
			if err != nil {
				return err
			}
			for _, gp := range snap.Gaps {
				g.Logger.Warn("not allowed", "verb", gp.Verb, "resource", gp.Resource)
			}
			w, done, err := out.Writer(g.Stdout)
			if err != nil {
				return err
			}
			now := time.Now().UTC().Truncate(time.Second)
			tool := result.Tool{Name: "rampart", Version: cli.Version()}
			rep := &result.Report{SchemaVersion: result.SchemaVersion, Tool: tool, CreatedAt: now,
				Artifact: result.Artifact{Name: snap.Origin, Source: "k8s-" + snap.Source}, Findings: res.Findings, Warnings: res.Warnings}
			for _, gp := range snap.Gaps {
				rep.Warnings = append(rep.Warnings, "not allowed to "+gp.Verb+" "+gp.Resource+": "+gp.Reason)
			}
			switch out.Format {
			case "json":
				pj := postureJSON{SchemaVersion: result.SchemaVersion, Tool: tool, CreatedAt: now, Source: snap.Source, Origin: snap.Origin,
					ServerVersion: snap.ServerVersion, Skipped: snap.Skipped, Gaps: snap.Gaps, Findings: res.Findings,
					Summary: res.Summary, Controls: res.Controls, Warnings: res.Warnings}
				if pj.Skipped == nil {
					pj.Skipped = map[string]int{}
				}
				if pj.Gaps == nil {
					pj.Gaps = []kube.Gap{}
				}
				if pj.Findings == nil {
					pj.Findings = []finding.Finding{}
				}
				if pj.Warnings == nil {
					pj.Warnings = []string{}
				}
				err = cli.WriteJSON(w, pj)
			case cli.FormatSARIF:
				err = report.WriteSARIF(w, rep)
			default:
				err = writePostureTable(w, snap, res)
			}
			err = cli.CloseOutput(done, err)
			if err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			if err := cli.GateError(res.Findings, gate); err != nil {
				return err
			}
			if none, reasons := postureAssessedNothing(res); none {
				return notAssessedError("control", reasons)
			}
			return nil
		},
	}
	out.Register(cmd, "table", formats)
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit with code 3 when a finding's severity is at or above this")
	cmd.Flags().StringVar(&nodeRoot, "node-root", "", "a node's root file system: CIS 1–4 checks of etc/kubernetes/manifests/*.yaml and var/lib/kubelet/config.yaml")
	return cmd
}

// writePostureTable writes the findings with the object each is about, then the summary.
func writePostureTable(w io.Writer, snap *kube.Snapshot, res *posture.Result) error {
	fmt.Fprintf(w, "Posture of %s %s: %d findings\n\n", snap.Source, report.Clean(snap.Origin), len(res.Findings))
	if len(res.Findings) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tID\tRESOURCE\tCONTAINER\tWHERE\tTITLE")
		for _, f := range res.Findings {
			r := finding.Resource{}
			if f.Resource != nil {
				r = *f.Resource
			}
			obj := r.Kind + "/" + r.Name
			if r.Namespace != "" {
				obj = r.Kind + "/" + r.Namespace + "/" + r.Name
			}
			where := f.Location.Field
			if f.Location.Path != "" {
				where = strings.TrimSpace(fmt.Sprintf("%s:%d %s", f.Location.Path, f.Location.Line, f.Location.Field))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Severity, f.ID, cli.TruncateCell(obj, 60), orDash(report.Clean(r.Container)),
				cli.TruncateCell(where, 90), cli.TruncateCell(f.Title, 70))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, wn := range res.Warnings {
		fmt.Fprintf(w, "warning: %s\n", cli.OneLine(wn))
	}
	for _, g := range snap.Gaps {
		fmt.Fprintf(w, "not allowed: %s %s: %s\n", g.Verb, g.Resource, cli.OneLine(g.Reason))
	}
	return writeComplianceTable(w, res.Summary, res.Controls, snap.Skipped)
}
