package imageconfig

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/testenv"
)

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// findIn lists, with a real find(1) inside a container of img, the files or directories that
// match the find expression: the independent truth for what the layer walk saw.
func findIn(t *testing.T, img string, expr ...string) []string {
	t.Helper()
	args := append([]string{"run", "--rm", "--network", "none", "--user", "0", "--entrypoint", "find", img, "/", "-xdev"}, expr...)
	var out []string
	for _, l := range strings.Fields(docker(t, args...)) {
		out = append(out, strings.TrimPrefix(l, "/"))
	}
	slices.Sort(out)
	return out
}

// TestRealImage builds an image FROM the fixtures' Debian image with the real Docker engine, adds
// a setuid binary and a world-writable directory as root, saves it, and checks the findings
// against find(1) run in the base and in the new image.
func TestRealImage(t *testing.T) {
	env := testenv.Load(t)
	if _, err := exec.LookPath("docker"); err != nil {
		testenv.Missing(t, "no docker client")
	}
	base := env.Fixtures.Base.Tag
	dir := t.TempDir()
	dockerfile := fmt.Sprintf(`FROM %s
RUN cp /bin/true /usr/local/bin/suid-true && chmod 4755 /usr/local/bin/suid-true \
 && mkdir -p /srv/drop && chmod 0777 /srv/drop
EXPOSE 22
`, base)
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("rampart-test/misconfig-suid:%d", os.Getpid())
	cmd := exec.Command("docker", "build", "--network", "none", "-t", tag, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0") // the classic builder needs no network
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	archive := filepath.Join(dir, "img.tar")
	docker(t, "save", "-o", archive, tag)

	fs, layers := scanArchive(t, archive, tag)
	got := map[string][]string{}
	for _, f := range fs {
		where := f.Location.Path
		if where == "" {
			where = f.Location.Field
		}
		got[f.ID] = append(got[f.ID], where)
		if f.Location.Path != "" && f.Location.Layer != layers[len(layers)-1] {
			t.Errorf("%s %s: layer %s, want the RUN layer %s", f.ID, where, f.Location.Layer, layers[len(layers)-1])
		}
	}
	for _, v := range got {
		slices.Sort(v)
	}

	special := []string{"-type", "f", "(", "-perm", "-4000", "-o", "-perm", "-2000", ")"}
	writable := []string{"-type", "d", "-perm", "-0002", "!", "-perm", "-1000"}
	newIn := func(expr []string) []string {
		before := findIn(t, base, expr...)
		var added []string
		for _, p := range findIn(t, tag, expr...) {
			if !slices.Contains(before, p) {
				added = append(added, p)
			}
		}
		return added
	}
	baseSetuid := findIn(t, base, special...)
	if len(baseSetuid) == 0 {
		t.Fatal("the Debian base has no setuid files: the test would not show that base layers are skipped")
	}
	want := map[string][]string{
		"IC001": {"config.User"}, // no USER: root
		"IC002": {"config.ExposedPorts"},
		"IC003": {"config.Healthcheck"},
		"IC005": newIn(special),
		"IC006": newIn(writable),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s\n(base setuid files, not reported: %v)", diff, baseSetuid)
	}
	if !slices.Equal(want["IC005"], []string{"usr/local/bin/suid-true"}) || !slices.Equal(want["IC006"], []string{"srv/drop"}) {
		t.Errorf("find(1) oracle disagrees with the Dockerfile: %v", want)
	}
}
