package kubecmd

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rampartsec/rampart/internal/cli"
	"github.com/rampartsec/rampart/internal/result"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampartsec/rampart/internal/dockerhost"
	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/graph"
	"github.com/rampartsec/rampart/internal/image"
	"github.com/rampartsec/rampart/internal/kube"
	"github.com/rampartsec/rampart/internal/scan"
)

var graphFormats = []string{"table", "json", "graphml", "dot", "cypher"}

// graphInput are the flags that say what the graph is built from.
type graphInput struct {
	kubeconfig  string
	kubeContext string
	manifests   string
	imagesFrom  []string
	noImages    bool
	insecure    bool
	crownJewels []string
	dockerHosts []string
	namespaces  []string
	vf          cli.VulnFlags
}

func (f *graphInput) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster to read (default $KUBECONFIG, else ~/.kube/config)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context (default: the current one)")
	fl.StringVar(&f.manifests, "manifests", "", "read a directory of manifests or a cluster dump instead of a live cluster")
	fl.StringSliceVar(&f.imagesFrom, "images-from", nil, "JSON image scan reports (rampart image -f json; one, an array, or JSON lines) instead of scanning the images")
	fl.BoolVar(&f.noImages, "no-images", false, "do not scan the workloads' images")
	fl.BoolVar(&f.insecure, "registry-insecure", false, "allow plain HTTP and unverified TLS to the registries the images come from")
	fl.StringSliceVar(&f.crownJewels, "crown-jewel", nil, "namespaces whose objects are attack-path targets")
	fl.StringSliceVar(&f.namespaces, "namespace", nil, "only the workloads, services and namespaced objects of these namespaces (RBAC bindings of the whole cluster still count)")
	fl.StringSliceVar(&f.dockerHosts, "docker-host", nil, "also add the running containers of this Docker engine (unix:///var/run/docker.sock); with neither --manifests nor --kubeconfig, only them")
	f.vf.Register(cmd)
}

func newGraphCmd(g *cli.Globals) *cobra.Command {
	var in graphInput
	var of cli.OutputFlags
	var limit int
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Build the cluster's security graph and rank its attack paths",
		Long: `Connect a cluster's workloads, images, packages, vulnerabilities, identities and exposure into
one graph, run the risk rules over it and print the issues that matter most, each with the path
from its entry point (the Internet, any authenticated user, any pod) to what is at stake and the
evidence of every hop. See docs/graph.md.

The cluster is read live (--kubeconfig, --context) or from --manifests DIR. The images of its
workloads are scanned from their registries once per digest, or read from --images-from, or
skipped with --no-images. --format graphml, dot and cypher export the whole graph.`,
		Example: `  rampart graph --kubeconfig ~/.kube/config --limit 10
  rampart graph --manifests ./cluster-dump --images-from scans.json --fail-on HIGH
  rampart graph --manifests ./cluster-dump --no-images -f dot -o graph.dot`,
		Args: cli.UsageArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			rules, err := graph.DefaultRules()
			if err != nil {
				return err
			}
			gr, warnings, err := in.build(cmd.Context(), g)
			if err != nil {
				return err
			}
			w, done, err := of.Writer(g.Stdout)
			if err != nil {
				return err
			}
			switch of.Format {
			case "graphml":
				err = graph.WriteGraphML(w, gr)
			case "dot":
				err = graph.WriteDOT(w, gr)
			case "cypher":
				err = graph.WriteCypher(w, gr)
			default:
				issues := graph.Analyze(gr, rules)
				res := &graph.Result{Issues: issues, Warnings: warnings, Stats: statsOf(gr, issues)}
				if limit > 0 && len(res.Issues) > limit {
					res.Issues = res.Issues[:limit]
				}
				if of.Format == "json" {
					err = graph.WriteJSON(w, res)
				} else {
					err = graph.WriteTable(w, res)
				}
			}
			err = cli.CloseOutput(done, err)
			return err
		},
	}
	in.register(cmd)
	of.Register(cmd, "table", graphFormats)
	cmd.Flags().IntVar(&limit, "limit", 0, "print only the N highest-scoring issues (stats still count all); 0 prints all")
	cmd.AddCommand(newGraphQueryCmd(g))
	return cmd
}

var graphQuestions = []string{"paths-to", "who-can-reach", "reach"}

func newGraphQueryCmd(g *cli.Globals) *cobra.Command {
	var in graphInput
	var of cli.OutputFlags
	cmd := &cobra.Command{
		Use:   "query QUESTION SELECTOR",
		Short: "Answer a question about the security graph",
		Long: `Answer one of the built-in questions about the security graph:

  paths-to SELECTOR       the most likely path to SELECTOR from the Internet, any authenticated
                          user and any pod
  who-can-reach SELECTOR  every entry point, workload and identity with an attack path to SELECTOR
  reach SELECTOR          every crown jewel SELECTOR (an identity or workload) has a path to

SELECTOR is KIND/NAME or KIND/NAMESPACE/NAME (ClusterRole/cluster-admin, sa/prod/web,
Deployment/prod/web, Secret/prod/db), internet, authenticated, or a crown-jewel class:
cluster-admin, node, secret, crown-jewel.`,
		Example: `  rampart graph query paths-to Secret/prod/db --manifests ./cluster-dump --no-images
  rampart graph query who-can-reach cluster-admin
  rampart graph query reach sa/prod/web -f json`,
		Args: cli.UsageArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(graphQuestions, args[0]) {
				return cli.WithCode(cli.ExitUsage, fmt.Errorf("question %q: want one of %s", args[0], strings.Join(graphQuestions, ", ")))
			}
			if of.Format != "table" && of.Format != "json" {
				return cli.WithCode(cli.ExitUsage, fmt.Errorf("--format %q: want table or json", of.Format))
			}
			gr, _, err := in.build(cmd.Context(), g)
			if err != nil {
				return err
			}
			ids, err := gr.Select(args[1])
			if err != nil {
				if errors.Is(err, graph.ErrNoNode) {
					return cli.WithCode(cli.ExitError, err)
				}
				return cli.WithCode(cli.ExitUsage, err)
			}
			var answers []graph.Answer
			switch args[0] {
			case "paths-to":
				answers = gr.PathsTo(ids)
			case "who-can-reach":
				answers = gr.WhoCanReach(ids)
			case "reach":
				answers = gr.Reach(ids)
			}
			w, done, err := of.Writer(g.Stdout)
			if err != nil {
				return err
			}
			err = graph.WriteAnswers(w, of.Format, answers)
			err = cli.CloseOutput(done, err)
			return err
		},
	}
	in.register(cmd)
	of.Register(cmd, "table", []string{"table", "json"})
	return cmd
}

// build reads the cluster, gets the image scans and builds the graph.
func (f *graphInput) build(ctx context.Context, g *cli.Globals) (*graph.Graph, []string, error) {
	var snap *kube.Snapshot
	var err error
	switch {
	case f.manifests != "":
		snap, err = loadManifests(ctx, f.manifests)
	case len(f.dockerHosts) > 0 && f.kubeconfig == "" && f.kubeContext == "":
		snap = &kube.Snapshot{}
	default:
		snap, err = kube.LoadCluster(ctx, kube.ClusterConfig{Kubeconfig: f.kubeconfig, Context: f.kubeContext, Logger: g.Logger})
	}
	if err != nil {
		return nil, nil, withExitCode(err)
	}
	if len(f.namespaces) > 0 {
		scopeSnapshot(snap, f.namespaces)
	}
	var warnings []string
	for _, gap := range snap.Gaps {
		warnings = append(warnings, "not read: "+gap.String())
	}
	in := graph.Input{Snapshot: snap, CrownJewels: f.crownJewels, Logger: g.Logger, Resolved: map[string]string{}}
	for _, h := range f.dockerHosts {
		dh, err := readDockerHost(ctx, h)
		if err != nil {
			return nil, nil, err
		}
		in.DockerHosts = append(in.DockerHosts, dh)
	}
	switch {
	case len(f.imagesFrom) > 0:
		for _, name := range f.imagesFrom {
			file, err := os.Open(name)
			if err != nil {
				return nil, nil, withExitCode(fmt.Errorf("--images-from: %w", err))
			}
			reps, err := graph.ReadReports(file)
			file.Close()
			if err != nil {
				return nil, nil, cli.WithCode(cli.ExitInvalid, fmt.Errorf("--images-from %s: %w", name, err))
			}
			in.Images = append(in.Images, reps...)
		}
	case !f.noImages:
		reps, ws, err := f.scanImages(ctx, g, snap, in.DockerHosts, in.Resolved)
		if err != nil {
			return nil, nil, err
		}
		in.Images = reps
		warnings = append(warnings, ws...)
	}
	gr, err := graph.Build(in)
	return gr, warnings, err
}

// workloadImages returns the distinct image references the snapshot's workloads run, sorted.
func workloadImages(snap *kube.Snapshot) []string {
	seen := map[string]bool{}
	for _, w := range snap.Workloads() {
		for _, cs := range [][]corev1.Container{w.PodSpec.InitContainers, w.PodSpec.Containers} {
			for _, c := range cs {
				if c.Image != "" {
					seen[c.Image] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// scanImages scans each distinct image digest the workloads run once: references are first
// resolved to digests (a manifest request), then each digest is scanned, reusing the layer cache.
// An image that cannot be read is a warning, not a failure: the graph is still worth having.
func (f *graphInput) scanImages(ctx context.Context, g *cli.Globals, snap *kube.Snapshot, hosts []graph.DockerHost, resolved map[string]string) ([]*result.Report, []string, error) {
	var warnings []string
	// Workload images are read from their registries; a Docker host's containers run images its
	// engine already holds.
	opts := scan.Options{
		Scanners: []string{scan.Vuln, scan.Secret},
		DBDir:    f.vf.DBDir(),
		Offline:  f.vf.Offline,
		Artifact: scan.ArtifactOptions{Source: image.SourceRegistry, Platform: image.HostPlatform(), Insecure: f.insecure, Timeout: 10 * time.Minute},
		CacheDir: g.LayerCacheDir(),
		Tool:     result.Tool{Name: "rampart", Version: cli.Version()},
		Logger:   g.Logger,
	}
	registry, err := scan.New(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	defer registry.Close()
	if s := registry.Skipped(); s != "" {
		warnings = append(warnings, strings.Replace(s, "vulnerability scan skipped", "vulnerability matching skipped", 1))
		g.Logger.Warn("vulnerability matching skipped", "err", strings.TrimPrefix(s, "vulnerability scan skipped: "))
	}
	daemon := registry.WithSource(image.SourceDaemon)
	byDigest := map[string]*result.Report{}
	var out []*result.Report
	type job struct {
		ref string
		p   *scan.Pipeline
	}
	var jobs []job
	for _, ref := range workloadImages(snap) {
		jobs = append(jobs, job{ref, registry})
	}
	for _, ref := range dockerImages(hosts) {
		jobs = append(jobs, job{ref, daemon})
	}
	for _, j := range jobs {
		ref, p := j.ref, j.p
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		digest, err := resolveDigest(ctx, g, p, ref, f.insecure)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("image %s not scanned: %v", ref, err))
			g.Logger.Warn("image not scanned", "image", ref, "err", err)
			continue
		}
		resolved[ref] = digest
		if _, ok := byDigest[digest]; ok {
			continue
		}
		// No progress display: one per image would drown the output.
		rep, err := p.Inventory(ctx, ref, nil)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("image %s not scanned: %v", ref, err))
			g.Logger.Warn("image not scanned", "image", ref, "err", err)
			continue
		}
		if err := p.Match(ctx, rep); err != nil {
			return nil, nil, err
		}
		// The skipped-scan warning is the graph's, said once above, not each image's.
		rep.Warnings = slices.DeleteFunc(rep.Warnings, func(w string) bool { return w == p.Skipped() })
		finding.SetFingerprints(rep.Findings, scan.Subject(rep.Artifact))
		if rep.Artifact.Digest == "" {
			rep.Artifact.Digest = digest
		}
		byDigest[digest] = rep
		out = append(out, rep)
	}
	return out, warnings, nil
}

// resolveDigest asks the registry (or the engine) which manifest digest ref names.
func resolveDigest(ctx context.Context, g *cli.Globals, p *scan.Pipeline, ref string, insecure bool) (string, error) {
	r, err := p.ParseRef(ref)
	if err != nil {
		return "", err
	}
	art, err := image.Open(ctx, r, image.WithInsecure(insecure), image.WithLogger(g.Logger), image.WithPlatform(image.HostPlatform()))
	if err != nil {
		return "", err
	}
	defer art.Close()
	if art.Digest == "" {
		return ref, nil
	}
	return art.Digest, nil
}

// scopeSnapshot drops the namespaced objects outside namespaces, except RBAC objects: a
// ClusterRoleBinding or a RoleBinding elsewhere may still grant a kept service account.
func scopeSnapshot(snap *kube.Snapshot, namespaces []string) {
	in := func(m *metav1.ObjectMeta) bool { return slices.Contains(namespaces, m.Namespace) }
	keep := func(n *corev1.Namespace) bool { return slices.Contains(namespaces, n.Name) }
	snap.Namespaces = slices.DeleteFunc(snap.Namespaces, func(n corev1.Namespace) bool { return !keep(&n) })
	snap.Pods = slices.DeleteFunc(snap.Pods, func(o corev1.Pod) bool { return !in(&o.ObjectMeta) })
	snap.Deployments = slices.DeleteFunc(snap.Deployments, func(o appsv1.Deployment) bool { return !in(&o.ObjectMeta) })
	snap.StatefulSets = slices.DeleteFunc(snap.StatefulSets, func(o appsv1.StatefulSet) bool { return !in(&o.ObjectMeta) })
	snap.DaemonSets = slices.DeleteFunc(snap.DaemonSets, func(o appsv1.DaemonSet) bool { return !in(&o.ObjectMeta) })
	snap.ReplicaSets = slices.DeleteFunc(snap.ReplicaSets, func(o appsv1.ReplicaSet) bool { return !in(&o.ObjectMeta) })
	snap.Jobs = slices.DeleteFunc(snap.Jobs, func(o batchv1.Job) bool { return !in(&o.ObjectMeta) })
	snap.CronJobs = slices.DeleteFunc(snap.CronJobs, func(o batchv1.CronJob) bool { return !in(&o.ObjectMeta) })
	snap.Services = slices.DeleteFunc(snap.Services, func(o corev1.Service) bool { return !in(&o.ObjectMeta) })
	snap.Ingresses = slices.DeleteFunc(snap.Ingresses, func(o networkingv1.Ingress) bool { return !in(&o.ObjectMeta) })
	snap.Secrets = slices.DeleteFunc(snap.Secrets, func(o kube.SecretMeta) bool { return !in(&o.ObjectMeta) })
	snap.ServiceAccounts = slices.DeleteFunc(snap.ServiceAccounts, func(o corev1.ServiceAccount) bool { return !in(&o.ObjectMeta) })
}

// readDockerHost inspects the running containers of one Docker engine.
func readDockerHost(ctx context.Context, host string) (graph.DockerHost, error) {
	sock, err := dockerhost.SocketPath(host)
	if err != nil {
		return graph.DockerHost{}, cli.WithCode(cli.ExitUsage, fmt.Errorf("--docker-host: %w", err))
	}
	e := dockerhost.NewEngine(sock)
	dh := graph.DockerHost{Name: sock}
	if info, err := e.Info(ctx); err == nil && info.Name != "" {
		dh.Name = info.Name
	}
	list, err := e.Containers(ctx, false)
	if err != nil {
		return graph.DockerHost{}, cli.WithCode(cli.ExitUnreachable, fmt.Errorf("docker host %s: %w", host, err))
	}
	for _, c := range list {
		ins, err := e.Inspect(ctx, c.ID)
		if errors.Is(err, dockerhost.ErrNoSuchContainer) {
			continue // gone since it was listed
		}
		if err != nil {
			return graph.DockerHost{}, fmt.Errorf("docker host %s: %w", host, err)
		}
		dh.Containers = append(dh.Containers, ins)
	}
	return dh, nil
}

// dockerImages returns the distinct image references the Docker hosts' containers run, sorted.
func dockerImages(hosts []graph.DockerHost) []string {
	seen := map[string]bool{}
	for _, h := range hosts {
		for _, c := range h.Containers {
			if c.Config != nil && c.Config.Image != "" {
				seen[c.Config.Image] = true
			} else if c.Image != "" {
				seen[c.Image] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func statsOf(gr *graph.Graph, issues []graph.Issue) map[string]any {
	st := gr.Stats()
	bySev := map[string]int{}
	for _, is := range issues {
		bySev[string(is.Severity)]++
	}
	return map[string]any{
		"nodes": st.Nodes, "edges": st.Edges, "attack_edges": st.AttackEdges,
		"node_kinds": st.NodeKinds, "edge_kinds": st.EdgeKinds,
		"issues": len(issues), "issues_by_severity": bySev,
	}
}
