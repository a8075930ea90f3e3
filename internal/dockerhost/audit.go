package dockerhost

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
)

// Benchmark names the benchmark edition the control numbers refer to.
const Benchmark = "CIS Docker Benchmark v1.6.0"

// StandardCISDocker is the [finding.Compliance] standard of the findings the audit reports.
const StandardCISDocker = "CIS-Docker"

// DocsURL describes every control and rule; a rule's anchor is its lower-case ID.
const DocsURL = "https://github.com/rampartsec/rampart/blob/main/docs/cis-docker.md"

// Result is the outcome of one control for one resource: a [result.Control] of standard
// "CIS-Docker", whose Resource is a host path, "daemon", "host", or a container as "NAME (ID12)".
// A control that does not apply (a file that does not exist, TLS files of a daemon without TLS)
// is not assessed with the reason, never passed. Section 5 results also name their container;
// the JSON form is flat (the control's fields, then "container"), and so are the fields in Go:
// r.Control is the control's number, r.Status its status.
type Result struct {
	control
	Container *ContainerRef `json:"container,omitempty"`
}

// control is embedded under its own name so that Result.Control is the control's number.
type control = result.Control

// ContainerRef identifies the container a section 5 result is about.
type ContainerRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Image string `json:"image,omitempty"`
	State string `json:"state,omitempty"`
}

// HostInfo describes the audited engine.
type HostInfo struct {
	Socket        string `json:"socket"`
	Name          string `json:"name,omitempty"`
	ServerVersion string `json:"server_version,omitempty"`
	APIVersion    string `json:"api_version,omitempty"`
	DaemonPID     int    `json:"daemon_pid,omitempty"`
	DaemonArgs    string `json:"daemon_args,omitempty"`
	DaemonJSON    string `json:"daemon_json,omitempty"`
	Containers    int    `json:"containers"`
}

// Report is the result of one audit.
type Report struct {
	Benchmark string   `json:"benchmark"`
	Host      HostInfo `json:"host"`
	// Summary counts the results' statuses per section of the benchmark.
	Summary []result.ControlSummary `json:"summary"`
	Results []Result                `json:"results"`
	// Findings are the failed results as misconfig findings of the common model.
	Findings []finding.Finding `json:"findings"`
	Warnings []string          `json:"warnings"`
}

// Config says what to audit. The zero value audits running containers of the engine at
// $DOCKER_HOST, else [DefaultSocket], and the files of the host at "/".
type Config struct {
	// Host is the engine's address: a socket path or unix:// URL; empty for the default.
	Host string
	// Root is where the host's filesystem is mounted (default "/"): /etc, /proc and the unit
	// files are read under it. The engine socket itself is always the path Host names.
	Root string
	// All audits created and stopped containers too, not only running ones.
	All bool
	// Jobs bounds concurrent container inspections (default 8).
	Jobs int
	// Logger receives warnings (default slog.Default()).
	Logger *slog.Logger
}

// Audit checks the Docker host against the CIS Docker Benchmark v1.6.0. It lists containers once
// and inspects each once. An engine that cannot be reached returns an error wrapping
// [ErrUnreachable]; one that refuses access, [ErrUnauthorized]. Everything that fails after the
// engine answered (a file that cannot be read, a container that vanished) becomes a
// not_assessed result and a warning, not an error.
func Audit(ctx context.Context, cfg Config) (*Report, error) {
	socket, err := SocketPath(cfg.Host)
	if err != nil {
		return nil, err
	}
	a := &auditor{root: cmp.Or(cfg.Root, "/"), socket: socket, log: cmp.Or(cfg.Logger, slog.Default())}
	eng := NewEngine(socket)
	a.info, err = eng.Info(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{Benchmark: Benchmark, Host: HostInfo{Socket: socket, Name: a.info.Name, ServerVersion: a.info.ServerVersion}}
	ver, err := eng.Version(ctx)
	if err != nil {
		a.warn("engine version unknown", err)
	} else {
		rep.Host.APIVersion = ver.APIVersion
	}
	a.d = readDaemon(a.root, a.info)
	rep.Host.DaemonPID, rep.Host.DaemonJSON = a.d.pid, a.d.jsonPath
	if a.d.argsErr == nil {
		rep.Host.DaemonArgs = strings.Join(a.d.args, " ")
	} else {
		a.warn("dockerd command line not read", a.d.argsErr)
	}
	if a.d.jsonErr != nil {
		a.warn("daemon.json not usable", a.d.jsonErr)
	}

	a.hostChecks(ctx, ver)
	a.daemonChecks()
	a.fileChecks()

	list, err := eng.Containers(ctx, cfg.All)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	rep.Host.Containers = len(list)
	a.swarmAndOps(list, cfg.All)
	per := make([][]Result, len(list))
	warns := make([]string, len(list))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(cfg.Jobs, 8))
	for i, c := range list {
		g.Go(func() error {
			per[i], warns[i] = a.containerChecks(gctx, eng, c)
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, rs := range per {
		a.results = append(a.results, rs...)
		if warns[i] != "" {
			a.log.Warn(warns[i], "container", shortID(list[i].ID))
			a.warnings = append(a.warnings, fmt.Sprintf("%s: %s", shortID(list[i].ID), warns[i]))
		}
	}

	sortResults(a.results)
	rep.Results = a.results
	rep.Summary = summarize(a.results)
	rep.Findings = findings(a.results)
	rep.Warnings = a.warnings
	if rep.Warnings == nil {
		rep.Warnings = []string{}
	}
	return rep, nil
}

// auditor holds what the checks share. Only the container checks run concurrently, and they
// return their results instead of appending.
type auditor struct {
	root     string
	socket   string
	log      *slog.Logger
	info     *Info
	d        *daemonConfig
	results  []Result
	warnings []string
}

func (a *auditor) warn(msg string, err error) {
	a.log.Warn(msg, "error", err)
	a.warnings = append(a.warnings, fmt.Sprintf("%s: %v", msg, err))
}

// path returns the host path p under the configured root.
func (a *auditor) path(p string) string { return filepath.Join(a.root, p) }

// newResult builds the result of control id. The text of a control not assessed is its reason,
// of any other its evidence.
func newResult(id, resource string, st result.Status, text string) Result {
	c := ControlByID(id)
	r := Result{control: control{Standard: StandardCISDocker, Control: id, Rule: c.Rule, Title: c.Title, Status: st,
		Severity: c.Severity, Resource: resource, Evidence: text}}
	switch st {
	case result.StatusFail, result.StatusManual:
		r.Remediation = c.Remediation
	case result.StatusNotAssessed:
		r.Evidence, r.Reason = "", text
	}
	return r
}

func (a *auditor) add(id, resource string, st result.Status, evidence string) {
	a.results = append(a.results, newResult(id, resource, st, evidence))
}

// addf is add with a formatted evidence.
func (a *auditor) addf(id, resource string, st result.Status, format string, args ...any) {
	a.add(id, resource, st, fmt.Sprintf(format, args...))
}

var controlOrder = func() map[string]int {
	m := make(map[string]int, len(Controls))
	for i, c := range Controls {
		m[c.ID] = i
	}
	return m
}()

// sortResults orders results by control, then resource, so that output is stable.
func sortResults(rs []Result) {
	slices.SortStableFunc(rs, func(x, y Result) int {
		return cmp.Or(cmp.Compare(controlOrder[x.Control], controlOrder[y.Control]), cmp.Compare(x.Resource, y.Resource))
	})
}

// Controls returns the results as control results, without their container references.
func (rep *Report) Controls() []result.Control { return controls(rep.Results) }

func controls(rs []Result) []result.Control {
	out := make([]result.Control, len(rs))
	for i := range rs {
		out[i] = rs[i].control
	}
	return out
}

// summarize counts results per section, for the sections that have any, in benchmark order.
func summarize(rs []Result) []result.ControlSummary {
	title := map[string]string{}
	for _, s := range Sections {
		title[s.ID] = s.Title
	}
	return result.SummarizeControls(controls(rs), func(c *result.Control) result.ControlSummary {
		s := section(c.Control)
		return result.ControlSummary{Standard: c.Standard, Section: s, Title: title[s]}
	})
}

func section(control string) string {
	s, _, _ := strings.Cut(control, ".")
	return s
}

// findings turns failed results into misconfig findings.
func findings(rs []Result) []finding.Finding {
	out := []finding.Finding{}
	for _, r := range rs {
		if r.Status != result.StatusFail {
			continue
		}
		f := finding.Finding{
			Kind:        finding.KindMisconfig,
			ID:          r.Rule,
			Title:       r.Title,
			Severity:    r.Severity,
			Evidence:    r.Evidence,
			Remediation: r.Remediation,
			References:  []string{DocsURL + "#" + strings.ToLower(r.Rule)},
			Compliance:  []finding.Compliance{{Standard: StandardCISDocker, Control: r.Control}},
		}
		switch {
		case r.Container != nil:
			f.Resource = &finding.Resource{Kind: "container", Name: r.Container.Name, Container: r.Container.ID}
		case strings.HasPrefix(r.Resource, "/"):
			f.Resource = &finding.Resource{Kind: "file", Name: r.Resource}
			f.Location.Path = strings.TrimPrefix(r.Resource, "/")
		default:
			f.Resource = &finding.Resource{Kind: "docker-" + r.Resource, Name: r.Resource}
		}
		out = append(out, f)
	}
	return out
}

func shortID(id string) string { return id[:min(len(id), 12)] }
