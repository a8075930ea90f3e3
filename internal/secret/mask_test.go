package secret

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Synthetic values in the formats of the built-in rules.
var (
	tAWSKey    = "AKIA" + "Q7RZ5WX2MB4KJ6TY"
	tAWSSecret = "wJalrXUtnFEMI" + "K7MDENGbPxRfiCYzQ8vT3kLm9Hs"
	tGitHub    = "ghp_" + "Zr8mQ2vX7pL4nT9kW1sY6bH3cJ5dF0gA2eR8"
	tGitHub2   = "ghp_" + "Kq3wE5rT7yU9iO1pA2sD4fG6hJ8kL0zXcV3b"
	tDBPass    = "Tr0ub4dor-" + "x9QmZ2"
	tNPMAuth   = "NpmAuthT0k3n" + "Qz7Wx2Vb9Rt4Ya"
	tPassword  = "Vq8#nR2!wL5z" + "Kp3@xT7m"
	tKeyBody   = strings.Repeat("MIIEowIBAAKCAQEAx8Yq3lT0nR2vB6sK9pW4mZ1cH7fJ5dL8gQ0aE3yU2iO6tN4r", 4)
)

// leaks returns the values of secrets that out holds in full.
func leaks(out string, secrets ...string) []string {
	var found []string
	for _, s := range secrets {
		if strings.Contains(out, s) {
			found = append(found, s)
		}
	}
	return found
}

// TestEvidenceMasksEveryMatch: a finding's evidence line masks every secret on the line, not only
// the finding's own.
func TestEvidenceMasksEveryMatch(t *testing.T) {
	s := newScanner(t)
	tests := []struct {
		name, path, content string
		want                int // findings
		secrets             []string
	}{
		{"two tokens on a line", ".env", "AWS_ACCESS_KEY_ID=" + tAWSKey + " GITHUB_TOKEN=" + tGitHub + "\n", 2, []string{tAWSKey, tGitHub}},
		{"a second copy the rule's context does not match", "deploy.sh",
			"aws_secret_access_key=" + tAWSSecret + " ; echo " + tAWSSecret + " >> log\n", 1, []string{tAWSSecret}},
		{"a copy on a line of its own next to another secret", "deploy.sh",
			"aws_secret_access_key=" + tAWSSecret + "\nexport K=" + tAWSSecret + " T=" + tGitHub + "\n", 2, []string{tAWSSecret, tGitHub}},
		{"a fallback match that yields to a specific rule", "app.ini",
			"db_password = " + tPassword + " ; key = " + tAWSKey + "\n", 1, []string{tPassword, tAWSKey}},
		{"a path-scoped rule's format in another file", "Makefile",
			"\techo //registry.npmjs.org/:_authToken=" + tNPMAuth + " > .npmrc; export GH=" + tGitHub + "\n", 1, []string{tNPMAuth, tGitHub}},
	}
	for _, tt := range tests {
		ms := s.Scan(tt.path, []byte(tt.content))
		if len(ms) != tt.want {
			t.Errorf("%s: %d findings, want %d: %+v", tt.name, len(ms), tt.want, ms)
		}
		for _, m := range ms {
			js, _ := json.Marshal(m.Finding(Location(tt.path, m.Line)))
			if l := leaks(m.Evidence+string(js), tt.secrets...); len(l) > 0 {
				t.Errorf("%s: %s evidence %q holds %q in full", tt.name, m.Rule.ID, m.Evidence, l)
			}
		}
	}
}

// TestScanConfigMasksEverything: findings in the image configuration mask every secret of the
// entry in their evidence, and a secret used as a variable's or label's name in their field.
func TestScanConfigMasksEverything(t *testing.T) {
	s := newScanner(t)
	fs := s.ScanConfig(
		[]string{tGitHub + "=1", "PATH=/usr/bin"},
		map[string]string{tGitHub2: "x", "maintainer": "ops"},
		nil, nil,
		[]string{"ENV AWS_SECRET_ACCESS_KEY=" + tAWSSecret + " DATABASE_URL=postgres://app:" + tDBPass + "@db:5432/app"})
	var fields []string
	for _, f := range fs {
		fields = append(fields, f.ID+"@"+f.Location.Field)
		js, _ := json.Marshal(f)
		if l := leaks(string(js), tGitHub, tGitHub2, tAWSSecret, tDBPass); len(l) > 0 {
			t.Errorf("%s finding %s holds %q in full", f.ID, js, l)
		}
	}
	want := "github-token@env:ghp_******************************** github-token@label:ghp_******************************** " +
		"aws-secret-access-key@history:0 database-url-password@history:0"
	if got := strings.Join(fields, " "); got != want {
		t.Errorf("findings\n%s\nwant\n%s", got, want)
	}
}

// TestRedactEverything: Redact masks what every rule matches, wherever the text came from, the
// other copies of matched values, and private-key bodies.
func TestRedactEverything(t *testing.T) {
	s := newScanner(t)
	tests := []struct{ in, want string }{
		{`|1 NPM_TOKEN=x /bin/sh -c echo "//registry.npmjs.org/:_authToken=` + tNPMAuth + `" > .npmrc`,
			`|1 NPM_TOKEN=x /bin/sh -c echo "//registry.npmjs.org/:_authToken=NpmA**********************" > .npmrc`},
		{"aws_secret_access_key=" + tAWSSecret + " again " + tAWSSecret,
			"aws_secret_access_key=wJal******************************** again wJal********************************"},
		{`GOOGLE_CREDENTIALS={"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\n` + tKeyBody[:64] + `\n` + tKeyBody[64:128] + `\n-----END PRIVATE KEY-----\n"}`,
			`GOOGLE_CREDENTIALS={"type": "serv***********", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE********************************\n-----END PRIVATE KEY-----\n"}`},
		{"key: |\n  -----BEGIN RSA PRIVATE KEY-----\n  Proc-Type: 4,ENCRYPTED\n  DEK-Info: AES-128-CBC,0A1B\n\n  " + tKeyBody[:64] + "\n  " + tKeyBody[64:80] + "\n  -----END RSA PRIVATE KEY-----",
			"key: |\n  -----BEGIN RSA PRIVATE KEY-----\n  Proc-Type: 4,ENCRYPTED\n  DEK-Info: AES-128-CBC,0A1B\n\n  MIIE********************************\n  -----END RSA PRIVATE KEY-----"},
		{"the -----BEGIN RSA PRIVATE KEY----- header alone is no key", "the -----BEGIN RSA PRIVATE KEY----- header alone is no key"},
		{"/bin/sh -c apt-get update", "/bin/sh -c apt-get update"},
	}
	for _, tt := range tests {
		if got := s.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestAnalyzerMasksPath: a file whose name is a secret is reported under a masked path: the
// location is printed and stored in the layer cache.
func TestAnalyzerMasksPath(t *testing.T) {
	a := NewAnalyzer(newScanner(t), AnalyzerOptions{})
	res, err := a.Analyze(context.Background(), memFile("srv/"+tGitHub+"/app.env", []byte("KEY="+tAWSKey+"\n")))
	if err != nil || res == nil || len(res.Findings) != 1 {
		t.Fatalf("Analyze: %v, %+v", err, res)
	}
	if p := res.Findings[0].Location.Path; p != "srv/ghp_********************************/app.env" {
		t.Errorf("location path %q", p)
	}
}

// TestConfigUnknownKeys: a misspelt key in a --secret-config file is an error that names the
// file, the line and the keys expected there, not a silently ignored setting.
func TestConfigUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ yaml, want string }{
		{"disabled: [jwt]\n", `rules.yaml:1: unknown key "disabled" at the top level (expected one of: version, rules, disable, allow-paths, no-default-allow-paths)`},
		{"allow_paths: ['^srv/']\n", `rules.yaml:1: unknown key "allow_paths" at the top level`},
		{"rules:\n  - id: acme\n    keywords: [acme_]\n    regx: 'acme_[a-z]{8}'\n", `rules.yaml:4: unknown key "regx" in a rule (expected one of: id, title, severity, keywords, regex, entropy, paths, validate, allow, remediation, lines, fallback, key-deny)`},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, "rules.yaml")
		if err := os.WriteFile(p, []byte(tt.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(p)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrConfig) {
			t.Errorf("LoadConfig(%q) = %v, want an ErrConfig saying %q", tt.yaml, err, tt.want)
		}
	}
	if _, err := parseConfig([]byte("rules:\n  - id: a\n    severity: HIGH\n    keywords: [a]\n    regex: a\ndisable: [jwt]\nallow-paths: []\nno-default-allow-paths: true\n"), "ok"); err != nil {
		t.Errorf("a valid config: %v", err)
	}
}

// TestVersionChangesWithOutputFormat: layer caches written before evidence masked every secret
// must not be served, so the analyzer's version — part of the cache key — is not the old one.
func TestVersionChangesWithOutputFormat(t *testing.T) {
	a := NewAnalyzer(newScanner(t), AnalyzerOptions{})
	h := 1 // the seed of versions before outputFormat
	for _, r := range a.s.rules {
		for _, c := range r.ID + r.Regex + r.Validate + strings.Join(r.Keywords, ",") + strings.Join(r.Allow, ",") {
			h = h*31 + int(c)
		}
	}
	if old := (h&0x7fffffff)*16 + a.opt.ArchiveDepth + 2; a.Version() == old {
		t.Errorf("Version() = %d, the version of the unmasked evidence format", old)
	}
}
