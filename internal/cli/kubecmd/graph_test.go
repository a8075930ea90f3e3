package kubecmd

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/cli"

	"github.com/google/go-cmp/cmp"
)

const (
	graphShop       = "../../graph/testdata/shop"
	graphShopImages = "../../graph/testdata/shop.images.json"
)

type graphJSON struct {
	Issues []struct {
		Rule     string  `json:"rule"`
		Title    string  `json:"title"`
		Score    float64 `json:"score"`
		Severity string  `json:"severity"`
		Path     []struct {
			Kind      string `json:"kind"`
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"path"`
		Evidence []string `json:"evidence"`
	} `json:"issues"`
	Stats map[string]any `json:"stats"`
}

func TestGraphManifestsJSON(t *testing.T) {
	out, stderr, code := runCLI(t, "graph", "--manifests", graphShop, "--images-from", graphShopImages, "--crown-jewel", "payments", "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res graphJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Issues) == 0 || res.Issues[0].Rule != "RG004" {
		t.Fatalf("first issue %+v, want RG004 (Internet to cluster-admin)", res.Issues)
	}
	first := res.Issues[0]
	if p := first.Path; p[0].Kind != "Internet" || p[len(p)-1].Kind != "ClusterRole" || p[len(p)-1].Name != "cluster-admin" {
		t.Errorf("RG004 path %+v: want Internet … ClusterRole cluster-admin", p)
	}
	for i, is := range res.Issues {
		if i > 0 && is.Score > res.Issues[i-1].Score {
			t.Errorf("issue %d (%v) scores above issue %d", i, is.Score, i-1)
		}
		if len(is.Path) == 0 || len(is.Evidence) < len(is.Path)-1 || is.Title == "" || is.Severity == "" {
			t.Errorf("incomplete issue %+v", is)
		}
	}
	if n, _ := res.Stats["issues"].(float64); int(n) != len(res.Issues) { // no --limit
		t.Errorf("stats.issues = %v, %d issues", res.Stats["issues"], len(res.Issues))
	}
}

func TestGraphLimit(t *testing.T) {
	out, stderr, code := runCLI(t, "graph", "--manifests", graphShop, "--images-from", graphShopImages, "--limit", "2", "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res graphJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if n, _ := res.Stats["issues"].(float64); len(res.Issues) != 2 || n <= 2 {
		t.Errorf("%d issues printed, stats count %v: want 2 printed of more", len(res.Issues), res.Stats["issues"])
	}
}

// Without image facts nothing is exploitable from the Internet: only the rules that need no
// vulnerability fire.
func TestGraphNoImages(t *testing.T) {
	out, stderr, code := runCLI(t, "graph", "--manifests", graphShop, "--no-images", "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res graphJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, is := range res.Issues {
		rules = append(rules, is.Rule)
	}
	// RG003 (web's service account reads every secret), RG011 (admin-tool is cluster-admin),
	// RG013 (the privileged node agent).
	if diff := cmp.Diff([]string{"RG011", "RG003", "RG013"}, rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}

// --namespace keeps one namespace's workloads; cluster-wide RBAC still counts.
func TestGraphNamespaceScope(t *testing.T) {
	out, stderr, code := runCLI(t, "graph", "--manifests", graphShop, "--images-from", graphShopImages, "--namespace", "prod", "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res graphJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, is := range res.Issues {
		rules[is.Rule] = true
		for _, p := range is.Path {
			if p.Namespace != "" && p.Namespace != "prod" {
				t.Errorf("%s path leaves prod: %+v", is.Rule, is.Path)
			}
		}
	}
	// The node agent (kube-system) and the debug pod (tools) are out of scope; the cluster-admin
	// binding of prod's admin-sa is not.
	if rules["RG013"] || rules["RG014"] || !rules["RG004"] || !rules["RG011"] {
		t.Errorf("rules %v: want RG004 and RG011, neither RG013 nor RG014", rules)
	}
}

func TestGraphExportsAndQuery(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct{ format, prefix string }{{"dot", "digraph rampart {"}, {"graphml", "<?xml"}, {"cypher", "// rampart security graph"}, {"table", "SCORE"}} {
		file := filepath.Join(dir, "g."+f.format)
		_, stderr, code := runCLI(t, "graph", "--manifests", graphShop, "--images-from", graphShopImages, "--format", f.format, "-o", file)
		if code != cli.ExitOK {
			t.Fatalf("%s: exit %d: %s", f.format, code, stderr)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), f.prefix) {
			t.Errorf("%s output starts %q", f.format, string(data[:min(len(data), 40)]))
		}
	}

	out, stderr, code := runCLI(t, "graph", "query", "paths-to", "ClusterRole/cluster-admin", "--manifests", graphShop, "--images-from", graphShopImages, "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("query: exit %d: %s", code, stderr)
	}
	var ans struct {
		Answers []struct {
			From struct{ Kind, Name string } `json:"from"`
		} `json:"answers"`
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatal(err)
	}
	var from []string
	for _, a := range ans.Answers {
		from = append(from, a.From.Kind+"/"+a.From.Name)
	}
	// Any pod (admin-tool itself, certain) ranks above the Internet (through the frontend's
	// vulnerability); every authenticated user has no way there.
	if diff := cmp.Diff([]string{"Workload/admin-tool", "Internet/internet"}, from); diff != "" {
		t.Errorf("paths-to cluster-admin from (-want +got):\n%s", diff)
	}

	out, _, code = runCLI(t, "graph", "query", "reach", "sa/prod/web-sa", "--manifests", graphShop, "--no-images")
	if code != cli.ExitOK || !strings.Contains(out, "Secret payments/card-key") || !strings.Contains(out, "Secret prod/db-password") {
		t.Errorf("reach web-sa: exit %d\n%s", code, out)
	}
}

// TestGraphUsageErrors: usage errors exit 2, and what the graph is built from follows the exit
// codes of every Kubernetes command: missing 4, unparsable 7.
func TestGraphUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"bad format", []string{"graph", "--manifests", graphShop, "--no-images", "--format", "svg"}, cli.ExitUsage},
		{"missing manifests", []string{"graph", "--manifests", "testdata/no-such-dir", "--no-images"}, cli.ExitNotFound},
		{"malformed manifests", []string{"graph", "--manifests", "../../kube/testdata/bad", "--no-images"}, cli.ExitInvalid},
		{"missing images file", []string{"graph", "--manifests", graphShop, "--images-from", "testdata/no-such.json"}, cli.ExitNotFound},
		{"bad images file", []string{"graph", "--manifests", graphShop, "--images-from", "graph_test.go"}, cli.ExitInvalid},
		{"bad question", []string{"graph", "query", "why", "internet", "--manifests", graphShop, "--no-images"}, cli.ExitUsage},
		{"bad selector", []string{"graph", "query", "reach", "Planet/x", "--manifests", graphShop, "--no-images"}, cli.ExitUsage},
		{"no such node", []string{"graph", "query", "reach", "sa/prod/nobody", "--manifests", graphShop, "--no-images"}, cli.ExitError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
		})
	}
}

// --docker-host reads the real engine's running containers: one sharing the host's PID namespace
// with the engine's socket mounted can take over the host.
func TestGraphDockerHost(t *testing.T) {
	if testing.Short() {
		t.Skip("real Docker engine")
	}
	docker, err := exec.LookPath("docker")
	if err != nil || exec.Command(docker, "image", "inspect", "rampart-test/debian:12").Run() != nil {
		t.Skip("no Docker engine with the fixture base image")
	}
	name := "rampart-graph-cli"
	_ = exec.Command(docker, "rm", "-f", name).Run()
	if out, err := exec.Command(docker, "run", "-d", "--name", name, "--network", "none", "--pid", "host",
		"-v", "/var/run/docker.sock:/var/run/docker.sock", "rampart-test/debian:12", "sleep", "600").CombinedOutput(); err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(docker, "rm", "-f", name).Run() })
	out, stderr, code := runCLI(t, "graph", "--docker-host", "unix:///var/run/docker.sock", "--no-images", "--format", "json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res graphJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, is := range res.Issues {
		if is.Rule == "RG013" && strings.HasSuffix(is.Path[0].Name, "/"+name) && is.Path[len(is.Path)-1].Kind == "Node" {
			found = true
			if ev := strings.Join(is.Evidence, " "); !strings.Contains(ev, "PidMode: host") || !strings.Contains(ev, "docker.sock") {
				t.Errorf("evidence %q", ev)
			}
		}
	}
	if !found {
		t.Errorf("no RG013 for container %s in %+v", name, res.Issues)
	}
	if _, _, code := runCLI(t, "graph", "--docker-host", "tcp://127.0.0.1:2375", "--no-images"); code != cli.ExitUsage {
		t.Errorf("tcp docker host: exit %d, want %d", code, cli.ExitUsage)
	}
}
