package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/dockerhost"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/report"
	"github.com/rampartsec/rampart/internal/result"
)

var dockerFormats = []string{"table", "json", FormatSARIF}

func newDockerCmd(g *Globals) *cobra.Command {
	var (
		out     OutputFlags
		host    string
		root    string
		all     bool
		failOn  string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "docker",
		Short: "Audit the local Docker host against the CIS Docker Benchmark v1.6.0",
		Long: `Audit the local Docker host against the CIS Docker Benchmark v1.6.0: host items (section 1),
the daemon's configuration from its command line, daemon.json and the Engine API (section 2), the
ownership and permissions of its files (section 3) and every container's runtime settings
(section 5). Each control gets pass, fail, manual or not_assessed per resource; failures are also
reported as misconfig findings. When no control could be passed or failed, the exit code is 9.
docs/cis-docker.md lists every control and what is read for it.

The engine is reached on the unix socket named by --host, else $DOCKER_HOST, else
/var/run/docker.sock. Run it as root (or a docker group member) on the Docker host itself.`,
		Args: UsageArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			gate, err := ParseGate(failOn)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			rep, err := dockerhost.Audit(ctx, dockerhost.Config{Host: host, Root: root, All: all, Logger: g.Logger})
			switch {
			case errors.Is(err, dockerhost.ErrBadHost):
				return WithCode(ExitUsage, err)
			case errors.Is(err, dockerhost.ErrUnauthorized):
				return WithCode(ExitUnauthorized, err)
			case errors.Is(err, dockerhost.ErrUnreachable):
				return WithCode(ExitUnreachable, err)
			case err != nil:
				return err
			}
			finding.SetFingerprints(rep.Findings, "docker-host:"+rep.Host.Name)
			if err := out.Write(g.Stdout, func(w io.Writer, format string) error { return writeDockerReport(w, format, rep) }); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			if err := GateError(rep.Findings, gate); err != nil {
				return err
			}
			return NothingAssessedError("control", rep.Controls())
		},
	}
	out.Register(cmd, "table", dockerFormats)
	fl := cmd.Flags()
	fl.StringVarP(&host, "host", "H", "", "docker engine socket (unix:///path or /path; default $DOCKER_HOST, else /var/run/docker.sock)")
	fl.StringVar(&root, "root", "/", "where the host's filesystem is mounted (/etc, /proc and unit files are read under it)")
	fl.BoolVarP(&all, "all", "a", false, "audit created and stopped containers too, not only running ones")
	fl.StringVar(&failOn, "fail-on", "", "exit with code 3 when a failed control's severity is at or above this")
	fl.DurationVar(&timeout, "timeout", 2*time.Minute, "give up on the audit after this long")
	cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// writeDockerReport renders the document of `rampart docker` in format (table, json, sarif).
func writeDockerReport(w io.Writer, format string, rep *dockerhost.Report) error {
	switch format {
	case report.FormatJSON:
		return writeDockerJSON(w, rep)
	case report.FormatSARIF:
		return report.WriteSARIF(w, &result.Report{
			SchemaVersion: result.SchemaVersion,
			Tool:          result.Tool{Name: "rampart", Version: Version()},
			CreatedAt:     time.Now().UTC().Truncate(time.Second),
			Artifact:      result.Artifact{Name: "docker host " + rep.Host.Socket, Source: "docker-host"},
			Findings:      rep.Findings,
			Warnings:      rep.Warnings,
		})
	}
	return writeDockerTable(w, rep)
}

// dockerJSON is the JSON form of `rampart docker`.
type dockerJSON struct {
	SchemaVersion int         `json:"schema_version"`
	Tool          result.Tool `json:"tool"`
	CreatedAt     time.Time   `json:"created_at"`
	*dockerhost.Report
}

func writeDockerJSON(w io.Writer, rep *dockerhost.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(dockerJSON{
		SchemaVersion: result.SchemaVersion,
		Tool:          result.Tool{Name: "rampart", Version: Version()},
		CreatedAt:     time.Now().UTC().Truncate(time.Second),
		Report:        rep,
	})
}

// writeDockerTable writes the summary, then every result that is not a pass: its evidence, or
// why it was not assessed.
func writeDockerTable(w io.Writer, rep *dockerhost.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s: %s (docker %s, %d containers)\n\n", rep.Benchmark, rep.Host.Socket, rep.Host.ServerVersion, rep.Host.Containers)
	fmt.Fprintln(tw, "SECTION\tPASS\tFAIL\tMANUAL\tNOT ASSESSED")
	for _, s := range rep.Summary {
		fmt.Fprintf(tw, "%s %s\t%d\t%d\t%d\t%d\n", s.Section, s.Title, s.Pass, s.Fail, s.Manual, s.NotAssessed)
	}
	tot := result.TotalControls(rep.Summary)
	fmt.Fprintf(tw, "Total\t%d\t%d\t%d\t%d\n\n", tot.Pass, tot.Fail, tot.Manual, tot.NotAssessed)
	fmt.Fprintln(tw, "CONTROL\tSTATUS\tSEVERITY\tTITLE\tRESOURCE\tEVIDENCE OR REASON")
	for _, r := range rep.Results {
		if r.Status == result.StatusPass {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Control, r.Status, FailSeverity(r.Status, r.Severity), TruncateCell(r.Title, 50),
			TruncateCell(r.Resource, 48), TruncateCell(ControlText(r.Status, r.Evidence, r.Reason), 100))
	}
	for _, wn := range rep.Warnings {
		fmt.Fprintf(tw, "warning: %s\n", OneLine(wn))
	}
	return tw.Flush()
}

// FailSeverity is a control's severity as a table shows it: only a failure weighs anything, the
// other statuses show "-".
func FailSeverity(st result.Status, sev finding.Severity) string {
	if st != result.StatusFail || sev == "" {
		return "-"
	}
	return string(sev)
}

// ControlText is what a table shows of a control: why it was not assessed, else its evidence.
func ControlText(st result.Status, evidence, reason string) string {
	if st == result.StatusNotAssessed {
		return reason
	}
	return evidence
}

// NothingAssessedError is the error (exit code 9) of an audit that could pass or fail none of
// its controls: every one is not assessed or left to a person. Its report holds no evidence
// either way, and no gate passes on none. nil when any control was assessed.
func NothingAssessedError(what string, cs []result.Control) error {
	if !result.NothingAssessed(cs) {
		return nil
	}
	var reasons []string
	for _, c := range cs {
		if c.Reason != "" && !slices.Contains(reasons, c.Reason) {
			reasons = append(reasons, c.Reason)
		}
	}
	why := ""
	if len(reasons) > 3 {
		reasons = append(reasons[:3], fmt.Sprintf("%d more reasons", len(reasons)-3))
	}
	if len(reasons) > 0 {
		why = " (" + OneLine(strings.Join(reasons, "; ")) + ")"
	}
	t := result.Count(cs)
	return WithCode(ExitNotAssessed, fmt.Errorf("nothing assessed: no %s passed or failed; %d not assessed, %d manual%s",
		what, t[result.StatusNotAssessed], t[result.StatusManual], why))
}

func TruncateCell(s string, n int) string {
	// Text from hosts, images and clusters: escape sequences are shown, never run.
	s = report.Clean(OneLine(s))
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
