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
)

// Benchmark names the benchmark edition the control numbers refer to.
const Benchmark = "CIS Docker Benchmark v1.6.0"

// StandardCISDocker is the [finding.Compliance] standard of the findings the audit reports.
const StandardCISDocker = "CIS-Docker"

// DocsURL describes every control and rule; a rule's anchor is its lower-case ID.
const DocsURL = "https://github.com/rampartsec/rampart/blob/main/docs/cis-docker.md"

// Status is the outcome of one control for one resource. Stored as a string.
type Status string

// Outcomes. A control that does not apply (a file that does not exist, TLS files of a daemon
// without TLS) is StatusNotAssessed with the reason in the evidence, never StatusPass.
const (
	StatusPass        Status = "pass"
	StatusFail        Status = "fail"
	StatusManual      Status = "manual"
	StatusNotAssessed Status = "not_assessed"
)

// Result is the outcome of one control for one resource.
type Result struct {
	Control string `json:"control"`
	Rule    string `json:"rule"`
	Title   string `json:"title"`
	Status  Status `json:"status"`
	// Resource is a host path, "daemon", "host", or a container as "NAME (ID12)".
	Resource    string           `json:"resource"`
	Container   *ContainerRef    `json:"container,omitempty"`
	Severity    finding.Severity `json:"severity"`
	Evidence    string           `json:"evidence"`
	Remediation string           `json:"remediation,omitempty"`
}

// ContainerRef identifies the container a section 5 result is about.
type ContainerRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Image string `json:"image,omitempty"`
	State string `json:"state,omitempty"`
}

// SectionSummary counts the results of one benchmark section.
type SectionSummary struct {
	Section     string `json:"section"`
	Title       string `json:"title"`
	Passed      int    `json:"passed"`
	Failed      int    `json:"failed"`
	Manual      int    `json:"manual"`
	NotAssessed int    `json:"not_assessed"`
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
	Benchmark string           `json:"benchmark"`
	Host      HostInfo         `json:"host"`
	Summary   []SectionSummary `json:"summary"`
	Results   []Result         `json:"results"`
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

// result builds the result of control id.
func result(id, resource string, st Status, evidence string) Result {
	c := ControlByID(id)
	r := Result{Control: id, Rule: c.Rule, Title: c.Title, Status: st, Resource: resource, Severity: c.Severity, Evidence: evidence}
	if st == StatusFail || st == StatusManual {
		r.Remediation = c.Remediation
	}
	return r
}

func (a *auditor) add(id, resource string, st Status, evidence string) {
	a.results = append(a.results, result(id, resource, st, evidence))
}

// addf is add with a formatted evidence.
func (a *auditor) addf(id, resource string, st Status, format string, args ...any) {
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

// summarize counts results per section, for the sections that have any.
func summarize(rs []Result) []SectionSummary {
	var out []SectionSummary
	for _, s := range Sections {
		sum := SectionSummary{Section: s.ID, Title: s.Title}
		n := 0
		for _, r := range rs {
			if section(r.Control) != s.ID {
				continue
			}
			n++
			switch r.Status {
			case StatusPass:
				sum.Passed++
			case StatusFail:
				sum.Failed++
			case StatusManual:
				sum.Manual++
			case StatusNotAssessed:
				sum.NotAssessed++
			}
		}
		if n > 0 {
			out = append(out, sum)
		}
	}
	return out
}

func section(control string) string {
	s, _, _ := strings.Cut(control, ".")
	return s
}

// findings turns failed results into misconfig findings.
func findings(rs []Result) []finding.Finding {
	out := []finding.Finding{}
	for _, r := range rs {
		if r.Status != StatusFail {
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
