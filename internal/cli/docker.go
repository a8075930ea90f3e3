package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
reported as misconfig findings. docs/cis-docker.md lists every control and what is read for it.

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
			w, done, err := out.Writer(g.Stdout)
			if err != nil {
				return err
			}
			switch out.Format {
			case "json":
				err = writeDockerJSON(w, rep)
			case FormatSARIF:
				err = report.WriteSARIF(w, &result.Report{
					SchemaVersion: result.SchemaVersion,
					Tool:          result.Tool{Name: "rampart", Version: Version()},
					CreatedAt:     time.Now().UTC().Truncate(time.Second),
					Artifact:      result.Artifact{Name: "docker host " + rep.Host.Socket, Source: "docker-host"},
					Findings:      rep.Findings,
					Warnings:      rep.Warnings,
				})
			default:
				err = writeDockerTable(w, rep)
			}
			err = CloseOutput(done, err)
			if err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			return GateError(rep.Findings, gate)
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

// writeDockerTable writes the summary, then every result that is not a pass.
func writeDockerTable(w io.Writer, rep *dockerhost.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s: %s (docker %s, %d containers)\n\n", rep.Benchmark, rep.Host.Socket, rep.Host.ServerVersion, rep.Host.Containers)
	fmt.Fprintln(tw, "SECTION\tPASSED\tFAILED\tMANUAL\tNOT ASSESSED")
	var tot dockerhost.SectionSummary
	for _, s := range rep.Summary {
		fmt.Fprintf(tw, "%s %s\t%d\t%d\t%d\t%d\n", s.Section, s.Title, s.Passed, s.Failed, s.Manual, s.NotAssessed)
		tot.Passed += s.Passed
		tot.Failed += s.Failed
		tot.Manual += s.Manual
		tot.NotAssessed += s.NotAssessed
	}
	fmt.Fprintf(tw, "Total\t%d\t%d\t%d\t%d\n\n", tot.Passed, tot.Failed, tot.Manual, tot.NotAssessed)
	fmt.Fprintln(tw, "CONTROL\tSTATUS\tSEVERITY\tRESOURCE\tEVIDENCE")
	for _, r := range rep.Results {
		if r.Status == dockerhost.StatusPass {
			continue
		}
		sev := string(r.Severity)
		if r.Status != dockerhost.StatusFail {
			sev = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Control, r.Status, sev, TruncateCell(r.Resource, 48), TruncateCell(r.Evidence, 100))
	}
	for _, wn := range rep.Warnings {
		fmt.Fprintf(tw, "warning: %s\n", OneLine(wn))
	}
	return tw.Flush()
}

func TruncateCell(s string, n int) string {
	s = OneLine(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
