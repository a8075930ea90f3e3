package imageconfig

import (
	"encoding/json"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/rampartsec/rampart/internal/secret"
)

// TestChecksMaskSecrets: a token used as an environment variable's name is masked in the image checks' findings, and a variable the secret scanner reported
// under its masked name is still not reported twice.
func TestChecksMaskSecrets(t *testing.T) {
	s, err := secret.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	gh := "ghp_" + "Zr8mQ2vX7pL4nT9kW1sY6bH3cJ5dF0gA2eR8"
	aws := "AKIA" + "Q7RZ5WX2MB4KJ6TY"
	cfg := &v1.ConfigFile{Config: v1.Config{
		User: "app",
		Env:  []string{gh + "=1", aws + "=Zx9!qWm2#Lp7$Rt4"},
	}}
	// What the secret scanner reports for the first variable.
	found := s.ScanConfig(cfg.Config.Env[:1], nil, nil, nil, nil)
	if len(found) != 1 {
		t.Fatalf("secret scanner: %+v", found)
	}
	out := Check(Image{Config: cfg, Names: []string{"app"}}, found, s)
	var got []string
	for _, f := range out {
		got = append(got, f.ID+"@"+f.Location.Field)
		js, _ := json.Marshal(f)
		if strings.Contains(string(js), gh) || strings.Contains(string(js), aws) {
			t.Errorf("%s holds a secret: %s", f.ID, js)
		}
	}
	if n := strings.Count(strings.Join(got, " "), "@env:ghp_"); n != 1 {
		t.Errorf("findings %v: want the token-named variable once (the secret scanner's)", got)
	}
	if !strings.Contains(strings.Join(got, " "), SecretEnv.ID+"@env:AKIA****") {
		t.Errorf("findings %v: want %s for the AKIA… variable", got, SecretEnv.ID)
	}
}
