package kubecmd

import (
	"fmt"
	"io"
	"time"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/result"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/posture"
	"github.com/rampartsec/rampart/internal/rbac"
	"github.com/rampartsec/rampart/internal/report"
)

// k8sAuditJSON is `rampart k8s --format json`: posture and RBAC findings of one snapshot, with
// the posture summaries per standard and the RBAC checks that could not be assessed.
type k8sAuditJSON struct {
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
	NotAssessed   []rbac.NotAssessed      `json:"not_assessed"`
	Warnings      []string                `json:"warnings"`
}

// k8sAuditFlags are the flags of the bare `rampart k8s`, the whole audit.
type k8sAuditFlags struct {
	out             cli.OutputFlags
	failOn          string
	nodeRoot        string
	includeDefaults bool
}

func (f *k8sAuditFlags) register(cmd *cobra.Command) {
	f.out.Register(cmd, "table", []string{"table", "json", cli.FormatSARIF})
	fl := cmd.Flags()
	fl.StringVar(&f.failOn, "fail-on", "", "exit with code 3 when a finding's severity is at or above this")
	fl.StringVar(&f.nodeRoot, "node-root", "", "a node's root file system: CIS 1–4 checks of its static pods and kubelet config")
	fl.BoolVar(&f.includeDefaults, "include-defaults", false, "also report the API server's bootstrap bindings (system:* roles)")
}

// runK8sAudit loads the cluster (or manifests) once and reports posture and RBAC findings together.
func runK8sAudit(cmd *cobra.Command, g *cli.Globals, src *kubeSource, f *k8sAuditFlags) error {
	gate, err := cli.ParseGate(f.failOn)
	if err != nil {
		return err
	}
	snap, err := src.load(cmd.Context(), g)
	if err != nil {
		return err
	}
	pres, err := posture.Check(cmd.Context(), snap, posture.Options{NodeRoot: f.nodeRoot})
	if err != nil {
		return err
	}
	rrep := rbac.Resolve(snap).Risks(snap, rbac.RiskOptions{IncludeDefaults: f.includeDefaults})
	logNotAssessed(g, rrep.NotAssessed)
	findings := append(append([]finding.Finding{}, pres.Findings...), rrep.Findings...)
	warnings := append(append([]string{}, pres.Warnings...), rrep.Warnings...)
	for _, gp := range snap.Gaps {
		g.Logger.Warn("not allowed", "verb", gp.Verb, "resource", gp.Resource)
		warnings = append(warnings, "not allowed to "+gp.Verb+" "+gp.Resource+": "+gp.Reason)
	}
	w, done, err := f.out.Writer(g.Stdout)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	tool := result.Tool{Name: "rampart", Version: cli.Version()}
	switch f.out.Format {
	case "json":
		j := k8sAuditJSON{SchemaVersion: result.SchemaVersion, Tool: tool, CreatedAt: now, Source: snap.Source, Origin: snap.Origin,
			ServerVersion: snap.ServerVersion, Skipped: snap.Skipped, Gaps: snap.Gaps, Findings: findings,
			// Posture's controls and summaries, then RBAC's checks: every verdict of the audit.
			Summary:     append(append([]result.ControlSummary{}, pres.Summary...), rrep.Summary...),
			Controls:    append(append([]result.Control{}, pres.Controls...), rrep.Controls...),
			NotAssessed: rrep.NotAssessed, Warnings: warnings}
		if j.Skipped == nil {
			j.Skipped = map[string]int{}
		}
		if j.Gaps == nil {
			j.Gaps = []kube.Gap{}
		}
		if j.NotAssessed == nil {
			j.NotAssessed = []rbac.NotAssessed{}
		}
		err = cli.WriteJSON(w, j)
	case cli.FormatSARIF:
		sw := warnings
		for _, na := range rrep.NotAssessed {
			sw = append(sw, "not assessed: "+na.Check+": "+na.Reason)
		}
		err = report.WriteSARIF(w, &result.Report{SchemaVersion: result.SchemaVersion, Tool: tool, CreatedAt: now,
			Artifact: result.Artifact{Name: snap.Origin, Source: "k8s-" + snap.Source}, Findings: findings, Warnings: sw})
	default:
		err = writeK8sAuditTable(w, snap, pres, &rrep)
	}
	err = cli.CloseOutput(done, err)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := cli.GateError(findings, gate); err != nil {
		return err
	}
	pnone, preasons := postureAssessedNothing(pres)
	rnone, rreasons := rbacAssessedNothing(&rrep)
	if pnone && rnone {
		return notAssessedError("control and check", append(preasons, rreasons...))
	}
	return nil
}

func writeK8sAuditTable(w io.Writer, snap *kube.Snapshot, pres *posture.Result, rrep *rbac.Report) error {
	if err := writePostureTable(w, snap, pres); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return writeRBACTable(w, snap, rrep)
}
