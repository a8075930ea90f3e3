package dockerfile

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	maskAWSKey = "AKIA" + "Q7RZ5WX2MB4KJ6TY"
	maskGitHub = "ghp_" + "Zr8mQ2vX7pL4nT9kW1sY6bH3cJ5dF0gA2eR8"
)

// TestErrorsMaskSecrets: a Dockerfile line that is a bare secret is quoted by the parse error
// ("unknown instruction AKIA…"), and a file name can be one: both are masked, and the error is
// still a syntax error or a missing file for the exit code.
func TestErrorsMaskSecrets(t *testing.T) {
	_, err := Parse("Dockerfile", strings.NewReader("FROM debian:12\n"+maskAWSKey+"\n"))
	if err == nil || strings.Contains(err.Error(), maskAWSKey) || !strings.Contains(err.Error(), "AKIA****") || !errors.Is(err, ErrSyntax) {
		t.Errorf("bare secret line: %v (ErrSyntax: %v)", err, errors.Is(err, ErrSyntax))
	}
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 {
		t.Errorf("errors.As SyntaxError: %+v", se)
	}
	_, err = ReadFile(filepath.Join(t.TempDir(), maskGitHub, "Dockerfile"), "")
	if err == nil || strings.Contains(err.Error(), maskGitHub) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file named with a token: %v", err)
	}
	dir := filepath.Join(t.TempDir(), maskGitHub)
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM debian:12\nFROM\n"), 0o644)
	_, err = ReadFile(filepath.Join(dir, "Dockerfile"), "")
	if err == nil || strings.Contains(err.Error(), maskGitHub) {
		t.Errorf("syntax error in a file named with a token: %v", err)
	}
}

// TestFindingsMaskSecrets: a token used as a variable's name, a secret in an instruction quoted as
// evidence, and a secret in the file's name are masked in every finding.
func TestFindingsMaskSecrets(t *testing.T) {
	src := "FROM debian:12\n" +
		"ENV " + maskGitHub + "=1\n" +
		"ARG " + maskGitHub + "=" + maskAWSKey + "\n" +
		"RUN sudo curl -H 'Authorization: token " + maskGitHub + "' https://example.com/" + maskAWSKey + "\n"
	f, err := Parse("srv/"+maskGitHub+"/Dockerfile", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, fd := range newTestLinter(t).Lint(f) {
		ids[fd.ID] = true
		js, _ := json.Marshal(fd)
		if strings.Contains(string(js), maskGitHub) || strings.Contains(string(js), maskAWSKey) {
			t.Errorf("%s holds a secret: %s", fd.ID, js)
		}
	}
	if !ids["DF010"] || !ids["DF011"] {
		t.Errorf("findings %v: want DF010 (secret in ENV/ARG) and DF011 (sudo)", ids)
	}
}
