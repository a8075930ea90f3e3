package kubecmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/result"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/manifest"
	"github.com/rampartsec/rampart/internal/rbac"
	"github.com/rampartsec/rampart/internal/report"
)

// kubeSource holds the flags every `rampart k8s` subcommand shares: where the objects come from.
type kubeSource struct {
	kubeconfig string
	context    string
	manifests  string
	timeout    time.Duration
}

// load reads the snapshot from --manifests, else from the cluster, mapping failures to exit codes.
func (src *kubeSource) load(ctx context.Context, g *cli.Globals) (*kube.Snapshot, error) {
	if src.timeout > 0 {
		var cancel func()
		ctx, cancel = context.WithTimeout(ctx, src.timeout)
		defer cancel()
	}
	var (
		snap *kube.Snapshot
		err  error
	)
	if src.manifests != "" {
		if src.kubeconfig != "" || src.context != "" {
			return nil, cli.WithCode(cli.ExitUsage, errors.New("--manifests reads files: it does not go with --kubeconfig or --context"))
		}
		snap, err = loadManifests(ctx, src.manifests)
	} else {
		snap, err = kube.LoadCluster(ctx, kube.ClusterConfig{Kubeconfig: src.kubeconfig, Context: src.context, Logger: g.Logger})
	}
	if err != nil {
		return nil, withExitCode(err)
	}
	if n := skippedTotal(snap); n > 0 {
		g.Logger.Info("objects of other kinds skipped", "count", n, "kinds", skippedKinds(snap))
	}
	return snap, nil
}

// loadManifests reads --manifests, refusing at once a named pipe, socket or device among the
// files kube.LoadManifests would open (every .yaml, .yml and .json outside hidden directories,
// through symbolic links): opening a named pipe blocks until something writes to it.
func loadManifests(ctx context.Context, path string) (*kube.Snapshot, error) {
	if err := manifest.CheckRegular(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil // kube.LoadManifests reports it
		case d.IsDir():
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		case p == path || !manifest.IsManifestFile(d.Name()):
			return nil
		}
		return manifest.CheckRegular(p)
	})
	if err != nil {
		return nil, err
	}
	return kube.LoadManifests(ctx, path)
}

func skippedTotal(s *kube.Snapshot) int {
	n := 0
	for _, c := range s.Skipped {
		n += c
	}
	return n
}

func skippedKinds(s *kube.Snapshot) string {
	var k []string
	for kind, n := range s.Skipped {
		k = append(k, fmt.Sprintf("%s=%d", kind, n))
	}
	sort.Strings(k)
	return strings.Join(k, ",")
}

// loadRBAC loads the snapshot for a question only complete RBAC data can answer.
func (src *kubeSource) loadRBAC(ctx context.Context, g *cli.Globals) (*kube.Snapshot, error) {
	snap, err := src.load(ctx, g)
	if err != nil {
		return nil, err
	}
	return snap, requireRBAC(snap)
}

// requireRBAC refuses to answer RBAC questions from a snapshot missing RBAC objects: a partial
// answer would look like a complete one.
func requireRBAC(snap *kube.Snapshot) error {
	gaps := rbac.MissingRBAC(snap)
	if len(gaps) == 0 {
		return nil
	}
	var s []string
	for _, g := range gaps {
		s = append(s, g.Verb+" "+g.Resource)
	}
	return cli.WithCode(cli.ExitUnauthorized, fmt.Errorf("not assessed: the credentials lack permission to %s", strings.Join(s, ", ")))
}

func newK8sCmd(g *cli.Globals) *cobra.Command {
	src := &kubeSource{}
	var audit k8sAuditFlags
	cmd := &cobra.Command{
		Use:   "k8s",
		Short: "Audit a Kubernetes cluster: posture (PSS, CIS, NSA), exposure and risky RBAC grants",
		Long: `Audit a Kubernetes cluster, or the manifests it is built from.

Objects are read from the cluster of --kubeconfig/--context (default: $KUBECONFIG or
~/.kube/config and its current context), or with --manifests from a directory of YAML/JSON
manifests or a cluster dump. Secret values are never read. docs/k8s.md has the details.

Without a subcommand, the whole audit: the findings of ` + "`posture`" + ` and ` + "`rbac`" + ` in one report, with the
posture summaries per standard and the checks that could not be assessed.`,
		Example: `  rampart k8s --fail-on HIGH
  rampart k8s posture --manifests ./cluster-dump -f json
  rampart k8s who-can get secrets -n prod
  rampart k8s can system:serviceaccount:prod:web`,
		Args: cli.UsageArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return runK8sAudit(cmd, g, src, &audit) },
	}
	audit.register(cmd)
	pf := cmd.PersistentFlags()
	pf.StringVar(&src.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, else ~/.kube/config)")
	pf.StringVar(&src.context, "context", "", "kubeconfig context (default: the current one)")
	pf.StringVar(&src.manifests, "manifests", "", "read objects from this directory or file of YAML/JSON manifests instead of a cluster")
	pf.DurationVar(&src.timeout, "timeout", 5*time.Minute, "give up after this long")
	cmd.AddCommand(newWhoCanCmd(g, src), newCanCmd(g, src), newRBACCmd(g, src), newPostureCmd(g, src))
	return cmd
}

func newWhoCanCmd(g *cli.Globals, src *kubeSource) *cobra.Command {
	var (
		out       cli.OutputFlags
		namespace string
		name      string
	)
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE[/SUBRESOURCE]|/NON-RESOURCE-URL",
		Short: "List the users, groups and service accounts allowed to make a request",
		Long: `List the subjects that RBAC bindings allow to make a request, as the API server's authorizer
would decide it. RESOURCE is a built-in plural name (pods, deployments, secrets…) or
RESOURCE.GROUP; add /SUBRESOURCE for pods/exec, deployments/scale… A subject allowed only
through a group is reported as that group. Without -n the request is cluster-wide (only
ClusterRoleBindings apply).`,
		Example: `  rampart k8s who-can get secrets -n prod
  rampart k8s who-can create pods/exec -n prod
  rampart k8s who-can get /metrics`,
		Args: cli.UsageArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a := rbac.Attributes{Verb: args[0], Namespace: namespace, Name: name}
			if strings.HasPrefix(args[1], "/") {
				a.Path = args[1]
			} else {
				var err error
				a.APIGroup, a.Resource, a.Subresource, err = rbac.ParseResource(args[1])
				if err != nil {
					return cli.WithCode(cli.ExitUsage, err)
				}
			}
			snap, err := src.loadRBAC(cmd.Context(), g)
			if err != nil {
				return err
			}
			subjects := rbac.Resolve(snap).WhoCan(a)
			if subjects == nil {
				subjects = []rbac.Subject{}
			}
			w, done, err := out.Writer(g.Stdout)
			if err != nil {
				return err
			}
			if out.Format == "json" {
				err = cli.WriteJSON(w, struct {
					Subjects []rbac.Subject `json:"subjects"`
				}{subjects})
			} else {
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "KIND\tNAMESPACE\tNAME")
				for _, s := range subjects {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Kind, orDash(s.Namespace), report.Clean(s.Name))
				}
				err = tw.Flush()
			}
			err = cli.CloseOutput(done, err)
			return err
		},
	}
	out.Register(cmd, "table", []string{"table", "json"})
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the request (default: cluster-wide)")
	cmd.Flags().StringVar(&name, "resource-name", "", "name of the object the request is about")
	return cmd
}

// canRule is one line of `rampart k8s can`.
type canRule struct {
	Namespace       string   `json:"namespace,omitempty"`
	Verbs           []string `json:"verbs"`
	APIGroups       []string `json:"api_groups,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	ResourceNames   []string `json:"resource_names,omitempty"`
	NonResourceURLs []string `json:"non_resource_urls,omitempty"`
	Binding         string   `json:"binding"`
	Role            string   `json:"role"`
	AggregatedFrom  string   `json:"aggregated_from,omitempty"`
	// Via is the subject the binding names when it is not the asked one (a group).
	Via string `json:"via,omitempty"`
}

func newCanCmd(g *cli.Globals, src *kubeSource) *cobra.Command {
	var (
		out    cli.OutputFlags
		groups []string
	)
	cmd := &cobra.Command{
		Use:   "can SUBJECT",
		Short: "List what a user, group or service account may do",
		Long: `List every rule granted to SUBJECT, with the namespace it holds in and the binding that grants
it. SUBJECT is system:serviceaccount:NS:NAME, user:NAME or group:NAME. A service account is
also in system:serviceaccounts, system:serviceaccounts:NS and system:authenticated, a user in
system:authenticated; --group adds the groups a user's authenticator would give.`,
		Example: `  rampart k8s can system:serviceaccount:prod:web
  rampart k8s can user:alice --group developers -f json`,
		Args: cli.UsageArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sub, err := rbac.ParseSubject(args[0])
			if err != nil {
				return cli.WithCode(cli.ExitUsage, err)
			}
			snap, err := src.loadRBAC(cmd.Context(), g)
			if err != nil {
				return err
			}
			u := rbac.UserFor(sub, groups...)
			rules := []canRule{}
			for _, gr := range rbac.Resolve(snap).For(u) {
				r := canRule{Namespace: gr.Namespace, Verbs: gr.Rule.Verbs, APIGroups: gr.Rule.APIGroups, Resources: gr.Rule.Resources,
					ResourceNames: gr.Rule.ResourceNames, NonResourceURLs: gr.Rule.NonResourceURLs,
					Binding: gr.Binding.String(), Role: gr.Role.String()}
				if gr.From.Name != "" {
					r.AggregatedFrom = gr.From.String()
				}
				if !slices.Contains(gr.Subjects, sub) {
					r.Via = viaGroup(gr.Subjects, u)
				}
				rules = append(rules, r)
			}
			w, done, err := out.Writer(g.Stdout)
			if err != nil {
				return err
			}
			if out.Format == "json" {
				err = cli.WriteJSON(w, struct {
					Subject rbac.Subject `json:"subject"`
					Groups  []string     `json:"groups"`
					Rules   []canRule    `json:"rules"`
				}{sub, u.Groups, rules})
			} else {
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "NAMESPACE\tVERBS\tRESOURCES\tNAMES\tVIA")
				for _, r := range rules {
					res := r.NonResourceURLs
					if len(res) == 0 {
						res = qualified(r.Resources, r.APIGroups)
					}
					via := r.Binding + " → " + r.Role
					if r.Via != "" {
						via = r.Via + ": " + via
					}
					ns := r.Namespace
					if ns == "" {
						ns = "*"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ns, strings.Join(r.Verbs, ","), report.Clean(strings.Join(res, ",")),
						orDash(report.Clean(strings.Join(r.ResourceNames, ","))), report.Clean(via))
				}
				err = tw.Flush()
			}
			err = cli.CloseOutput(done, err)
			return err
		},
	}
	out.Register(cmd, "table", []string{"table", "json"})
	cmd.Flags().StringSliceVar(&groups, "group", nil, "a group the subject is also in (repeatable)")
	return cmd
}

// viaGroup names the subject of the binding through which u holds it.
func viaGroup(subjects []rbac.Subject, u rbac.User) string {
	for _, s := range subjects {
		if s.Kind == rbac.KindGroup && slices.Contains(u.Groups, s.Name) {
			return s.String()
		}
		if s.Kind == rbac.KindUser && s.Name == u.Name {
			return s.String()
		}
	}
	return ""
}

func qualified(resources, groups []string) []string {
	var out []string
	for _, r := range resources {
		for _, g := range groups {
			out = append(out, rbac.QualifiedResource(r, g))
		}
	}
	return out
}

// logNotAssessed warns once per reason, naming the checks it concerns.
func logNotAssessed(g *cli.Globals, na []rbac.NotAssessed) {
	var reasons []string
	checks := map[string][]string{}
	for _, n := range na {
		if checks[n.Reason] == nil {
			reasons = append(reasons, n.Reason)
		}
		checks[n.Reason] = append(checks[n.Reason], n.Check)
	}
	for _, r := range reasons {
		g.Logger.Warn("not assessed", "checks", strings.Join(checks[r], ","), "reason", r)
	}
}

// rbacJSON is the JSON form of `rampart k8s rbac`: the findings, and a control result per check
// with their summary (rbac.Report).
type rbacJSON struct {
	SchemaVersion int            `json:"schema_version"`
	Tool          result.Tool    `json:"tool"`
	CreatedAt     time.Time      `json:"created_at"`
	Source        string         `json:"source"`
	Origin        string         `json:"origin"`
	Skipped       map[string]int `json:"skipped,omitempty"`
	rbac.Report
}

func newRBACCmd(g *cli.Globals, src *kubeSource) *cobra.Command {
	var (
		out             cli.OutputFlags
		failOn          string
		includeDefaults bool
	)
	formats := []string{"table", "json", cli.FormatSARIF}
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Report risky RBAC permissions: who holds them, through which binding, in which workloads",
		Long: `Report risky RBAC grants (docs/k8s.md lists the checks RB001–RB013): reading secrets,
creating workloads, exec/attach, escalate/bind/impersonate, token creation, nodes/proxy, CSR
approval, webhook configuration changes, wildcards, cluster-admin for service accounts and
anything granted to unauthenticated or all authenticated users. Each finding names the binding
chain and the workloads running as the service account that holds it. The API server's own
bootstrap bindings are left out unless --include-defaults.

Checks that the credentials cannot assess (a list the API server forbids) are reported as not
assessed, with the missing permission, and never as a pass.`,
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
			rep := rbac.Resolve(snap).Risks(snap, rbac.RiskOptions{IncludeDefaults: includeDefaults})
			logNotAssessed(g, rep.NotAssessed)
			w, done, err := out.Writer(g.Stdout)
			if err != nil {
				return err
			}
			switch out.Format {
			case "json":
				err = cli.WriteJSON(w, rbacJSON{SchemaVersion: result.SchemaVersion, Tool: result.Tool{Name: "rampart", Version: cli.Version()},
					CreatedAt: time.Now().UTC().Truncate(time.Second), Source: snap.Source, Origin: snap.Origin, Skipped: snap.Skipped, Report: rep})
			case cli.FormatSARIF:
				warnings := rep.Warnings
				for _, na := range rep.NotAssessed {
					warnings = append(warnings, "not assessed: "+na.Check+": "+na.Reason)
				}
				err = report.WriteSARIF(w, &result.Report{SchemaVersion: result.SchemaVersion, Tool: result.Tool{Name: "rampart", Version: cli.Version()},
					CreatedAt: time.Now().UTC().Truncate(time.Second), Artifact: result.Artifact{Name: snap.Origin, Source: "k8s-" + snap.Source},
					Findings: rep.Findings, Warnings: warnings})
			default:
				err = writeRBACTable(w, snap, &rep)
			}
			err = cli.CloseOutput(done, err)
			if err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			if err := cli.GateError(rep.Findings, gate); err != nil {
				return err
			}
			if none, reasons := rbacAssessedNothing(&rep); none {
				return notAssessedError("check", reasons)
			}
			return nil
		},
	}
	out.Register(cmd, "table", formats)
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit with code 3 when a finding's severity is at or above this")
	cmd.Flags().BoolVar(&includeDefaults, "include-defaults", false, "also report the API server's bootstrap bindings (system:* roles)")
	return cmd
}

// rbacAssessedNothing reports whether every RBAC check is not assessed, and why.
func rbacAssessedNothing(rep *rbac.Report) (bool, []string) {
	var reasons []string
	for _, c := range rbac.Checks() {
		i := slices.IndexFunc(rep.NotAssessed, func(na rbac.NotAssessed) bool { return na.Check == c.ID })
		if i < 0 {
			return false, nil
		}
		if r := rep.NotAssessed[i].Reason; !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	return true, reasons
}

func writeRBACTable(w io.Writer, snap *kube.Snapshot, rep *rbac.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "RBAC of %s %s: %d findings\n\n", snap.Source, report.Clean(snap.Origin), len(rep.Findings))
	fmt.Fprintln(tw, "SEVERITY\tID\tSUBJECT\tSCOPE\tTITLE\tGRANTED BY\tWORKLOADS")
	for _, f := range rep.Findings {
		sub := rbac.Subject{Kind: f.Resource.Kind, Namespace: f.Resource.Namespace, Name: f.Resource.Name}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Severity, f.ID, cli.TruncateCell(sub.String(), 60), f.Extra["scope"], f.Title,
			cli.TruncateCell(f.Extra["binding"]+" → "+f.Extra["role"], 90), orDash(cli.TruncateCell(f.Extra["workloads"], 80)))
	}
	// A check failed only through wildcard rules has no row of its own: say so.
	for _, c := range rep.Controls {
		if c.Status == result.StatusFail && c.Findings == 0 {
			fmt.Fprintf(tw, "%s fails: %s\n", c.Control, c.Evidence)
		}
	}
	s := result.TotalControls(rep.Summary)
	fmt.Fprintf(tw, "checks: %d fail, %d pass, %d not assessed\n", s.Fail, s.Pass, s.NotAssessed)
	for _, na := range rep.NotAssessed {
		fmt.Fprintf(tw, "not assessed: %s: %s\n", na.Check, cli.OneLine(na.Reason))
	}
	if n := skippedTotal(snap); n > 0 {
		fmt.Fprintf(tw, "skipped: %d objects of kinds not analysed (%s)\n", n, skippedKinds(snap))
	}
	for _, wn := range rep.Warnings {
		fmt.Fprintf(tw, "warning: %s\n", cli.OneLine(wn))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
