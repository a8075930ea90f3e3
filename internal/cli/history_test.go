package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestHistoryMaskedWithUserRules checks that build history is masked with the rules of
// --secret-config too, not only the built-in ones: the history line leaks a token that only the
// user's rule knows, and no output may contain it.
func TestHistoryMaskedWithUserRules(t *testing.T) {
	const token = "acme_q7x2m9k4v8b1n6c3z5r0t2w4"
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.History = []v1.History{{CreatedBy: "/bin/sh -c /opt/acme/install --site main " + token}}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	archive := filepath.Join(dir, "img.tar")
	if err := tarball.WriteToFile(archive, name.MustParseReference("example.invalid/leak:1"), img); err != nil {
		t.Fatal(err)
	}
	rules := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rules, []byte(`rules:
  - id: acme-internal-token
    title: ACME internal token
    severity: HIGH
    keywords: [acme_]
    regex: '\b(?P<secret>acme_[a-z0-9]{24})\b'
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "table", "sarif", "cyclonedx-json"} {
		t.Run(format, func(t *testing.T) {
			res := runImage(t, "--scanners", "secret,misconfig", "--secret-config", rules, "--format", format, "docker-archive:"+archive)
			if res.code != ExitOK {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			if strings.Contains(res.stdout, token) || strings.Contains(res.stderr, token) {
				t.Errorf("the token is in the %s output:\n%s", format, res.stdout)
			}
			if format == "json" {
				rep := decodeReport(t, res)
				if len(rep.Artifact.Layers) == 0 || !strings.Contains(rep.Artifact.Layers[0].CreatedBy, "/opt/acme/install --site main ") {
					t.Errorf("layers: %+v, want the masked history line", rep.Artifact.Layers)
				}
				found := false
				for _, f := range rep.Findings {
					found = found || f.ID == "acme-internal-token"
				}
				if !found {
					t.Errorf("the user rule found nothing in the history; findings: %+v", rep.Findings)
				}
			}
		})
	}
}
