package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/testenv"
)

// TestSecretsInARealImage builds an image with secrets planted in a file, in ENV, in a build
// argument (which leaks into the history), and in a file that a later layer deletes, then checks
// that all are found with the right layers and that no output format prints them in full.
func TestSecretsInARealImage(t *testing.T) {
	env := testenv.Load(t)
	ctx := t.TempDir()
	awsKey := "AKIA" + "Q7RZ5WX2MB4KJ6TY"
	ghToken := "ghp_" + "Zr8mQ2vX7pL4nT9kW1sY6bH3cJ5dF0gA2eR8"
	npmToken := "npm_" + "h4K8pQ2mZ7xV1nB9cT3sW6yL0dR5gF8jE2aU"
	keyBody := strings.Repeat("MIIEowIBAAKCAQEAx8Yq3lT0nR2vB6sK9pW4mZ1cH7fJ5dL8gQ0aE3yU2iO6tN4r\n", 8)
	files := map[string]string{
		"app.env": "AWS_ACCESS_KEY_ID=" + awsKey + "\nREGION=eu-west-1\n",
		"id_rsa":  "-----BEGIN RSA PRIVATE KEY-----\n" + keyBody + "-----END RSA PRIVATE KEY-----\n",
		"Dockerfile": "FROM " + env.Fixtures.Base.Tag + "\n" +
			"COPY app.env /srv/app.env\n" + // layer 1
			"ENV GITHUB_TOKEN=" + ghToken + "\n" +
			"ARG NPM_TOKEN\n" +
			"RUN echo \"//registry.npmjs.org/:_authToken=$NPM_TOKEN\" > /dev/null && mkdir -p /srv/keys\n" + // layer 2
			"COPY id_rsa /srv/keys/id_rsa\n" + // layer 3
			"RUN rm /srv/keys/id_rsa\n", // layer 4
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(ctx, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tag := "rampart-test/secrets:e2e"
	build := exec.Command("docker", "build", "--network", "none", "-q", "-t", tag, "--build-arg", "NPM_TOKEN="+npmToken, ctx)
	build.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	archive := filepath.Join(t.TempDir(), "secrets.tar")
	if out, err := exec.Command("docker", "save", "-o", archive, tag).CombinedOutput(); err != nil {
		t.Fatalf("docker save: %v\n%s", err, out)
	}

	base := []string{"image", "-q", "--scanners", "secret", "--cache-dir", t.TempDir(), "docker-archive:" + archive}
	res := testenv.Run(t, nil, append(base, "-f", "json")...)
	if res.Code != 0 {
		t.Fatalf("%v", res)
	}
	var rep result.Report
	if err := json.Unmarshal(res.Stdout, &rep); err != nil {
		t.Fatal(err)
	}
	layers := rep.Artifact.Layers
	if len(layers) != 5 {
		t.Fatalf("image has %d layers, want 5 (base + 4)", len(layers))
	}
	find := func(id string, match func(finding.Finding) bool) *finding.Finding {
		for i, f := range rep.Findings {
			if f.Kind == finding.KindSecret && f.ID == id && match(f) {
				return &rep.Findings[i]
			}
		}
		t.Errorf("no %s finding matching; findings: %+v", id, rep.Findings)
		return nil
	}
	if f := find("aws-access-key-id", func(f finding.Finding) bool { return f.Location.Path == "srv/app.env" }); f != nil {
		if f.Location.Line != 1 || f.Location.Layer != layers[1].DiffID || f.RemovedInLayer != "" {
			t.Errorf("aws key: line %d layer %s removed %q; want line 1 in layer 1 (%s)", f.Location.Line, f.Location.Layer, f.RemovedInLayer, layers[1].DiffID)
		}
	}
	if f := find("private-key", func(f finding.Finding) bool { return f.Location.Path == "srv/keys/id_rsa" }); f != nil {
		if f.Location.Layer != layers[3].DiffID || f.RemovedInLayer != layers[4].DiffID {
			t.Errorf("deleted key: layer %s removed in %q; want added in layer 3 and removed in layer 4", f.Location.Layer, f.RemovedInLayer)
		}
	}
	find("github-token", func(f finding.Finding) bool { return f.Location.Field == "env:GITHUB_TOKEN" })
	find("npm-token", func(f finding.Finding) bool { return strings.HasPrefix(f.Location.Field, "history:") })

	// No format may print a secret in full.
	for _, format := range []string{"json", "table", "sarif"} {
		out := testenv.Run(t, nil, append(base, "-f", format)...)
		all := string(out.Stdout) + string(out.Stderr)
		for _, s := range []string{awsKey, ghToken, npmToken, strings.TrimSpace(keyBody[:64])} {
			if strings.Contains(all, s) {
				t.Errorf("format %s prints a secret in full (%.8s…)", format, s)
			}
		}
	}
}
