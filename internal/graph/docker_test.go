package graph

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/dockerhost"
	"github.com/rampartsec/rampart/internal/testenv"
)

func container(name, image string, hc *dockerhost.HostConfig, mounts ...dockerhost.Mount) *dockerhost.Container {
	c := &dockerhost.Container{ID: name + "-id", Name: "/" + name, Image: image, HostConfig: hc, Mounts: mounts}
	return c
}

func TestDockerHost(t *testing.T) {
	published := map[string][]dockerhost.PortBinding{"80/tcp": {{HostIP: "0.0.0.0", HostPort: "8080"}}}
	local := map[string][]dockerhost.PortBinding{"80/tcp": {{HostIP: "127.0.0.1", HostPort: "8081"}}}
	f, err := os.Open(filepath.Join("testdata", "shop.images.json"))
	if err != nil {
		t.Fatal(err)
	}
	reps, err := ReadReports(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	host := DockerHost{Name: "build01", Containers: []*dockerhost.Container{
		// Published, exploitable (the web image's KEV vulnerability) and privileged.
		container("shop", "registry.example/shop/web:1", &dockerhost.HostConfig{Privileged: true, PortBindings: published}),
		// Published on loopback only, privileged: not exposed.
		container("local", "registry.example/shop/web:1", &dockerhost.HostConfig{Privileged: true, PortBindings: local}),
		// Not published, mounts the engine's socket.
		container("ci", "registry.example/shop/tool:1", &dockerhost.HostConfig{}, dockerhost.Mount{Type: "bind", Source: "/var/run/docker.sock", Destination: "/var/run/docker.sock", RW: true}),
		// Published but clean and unprivileged: a dead end.
		container("static", "registry.example/shop/tool:1", &dockerhost.HostConfig{PortBindings: published}),
	}}
	g, err := Build(Input{DockerHosts: []DockerHost{host}, Images: reps})
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := DefaultRules()
	got := map[string][]string{}
	for _, is := range Analyze(g, rules) {
		got[is.Rule] = append(got[is.Rule], pathString(is.Path))
	}
	for _, paths := range got {
		slices.Sort(paths)
	}
	want := map[string][]string{
		"RG001": {"Internet internet → Workload(DockerContainer) build01/shop → Container build01/shop → Image registry.example/shop/web:1@sha256:1111111111111111111111111111111111111111111111111111111111111111 → Package(Debian:12) openssl@3.0.1-1 → Vulnerability CVE-2099-0001"},
		"RG002": {"Internet internet → Workload(DockerContainer) build01/shop → Node(docker) build01"},
		"RG013": {"Workload(DockerContainer) build01/ci → Node(docker) build01", "Workload(DockerContainer) build01/local → Node(docker) build01"},
	}
	for rule, paths := range want {
		if strings.Join(got[rule], "\n") != strings.Join(paths, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", rule, got[rule], paths)
		}
	}
	for rule, paths := range got {
		if _, ok := want[rule]; !ok {
			t.Errorf("unexpected %s: %q", rule, paths)
		}
		for _, p := range paths {
			if strings.Contains(p, "static") {
				t.Errorf("%s goes through the dead end static: %s", rule, p)
			}
		}
	}
}

// A container sharing the host's PID namespace, with SYS_ADMIN and the engine's socket, on the
// real engine is found, with every reason as evidence. (This sandbox refuses --privileged.)
func TestDockerHostLive(t *testing.T) {
	if testing.Short() {
		t.Skip("real Docker engine")
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		testenv.Missing(t, "docker is not installed")
	}
	if err := exec.Command(docker, "info").Run(); err != nil {
		t.Skip("the Docker engine is not running")
	}
	img := "rampart-test/debian:12"
	if err := exec.Command(docker, "image", "inspect", img).Run(); err != nil {
		t.Skipf("fixture image %s is not loaded", img)
	}
	name := "rampart-graph-" + strings.ReplaceAll(t.Name(), "/", "-")
	_ = exec.Command(docker, "rm", "-f", name).Run()
	out, err := exec.Command(docker, "run", "-d", "--name", name, "--network", "none", "--pid", "host", "--cap-add", "SYS_ADMIN",
		"-v", "/var/run/docker.sock:/var/run/docker.sock", img, "sleep", "600").CombinedOutput()
	if err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(docker, "rm", "-f", name).Run() })

	e := dockerhost.NewEngine("/var/run/docker.sock")
	ins, err := e.Inspect(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Build(Input{DockerHosts: []DockerHost{{Name: "local", Containers: []*dockerhost.Container{ins}}}})
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := DefaultRules()
	var found []Issue
	for _, is := range Analyze(g, rules) {
		if is.Rule == "RG013" {
			found = append(found, is)
		}
	}
	if len(found) != 1 {
		b, _ := json.Marshal(found)
		t.Fatalf("RG013 issues: %s", b)
	}
	ev := strings.Join(found[0].Evidence, "\n")
	for _, want := range []string{"HostConfig.PidMode: host", "SYS_ADMIN", "mounts /var/run/docker.sock"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence %q lacks %q", ev, want)
		}
	}
}
