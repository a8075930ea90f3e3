package analysis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/inventory"
	"github.com/rampartsec/rampart/internal/malware"
	"github.com/rampartsec/rampart/internal/secret"
)

// TestOptionsFlipWithTheCache runs the secret and malware analyzers over one image with one
// layer cache, flipping each option that changes what they report (--yara-rules,
// --malware-hashes, --secret-config, --secret-max-size, --secret-include-binaries) on and off:
// every run must report what a run without the cache reports, whether the layer was last read
// with the option or without it.
func TestOptionsFlipWithTheCache(t *testing.T) {
	eicar := `X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
	aws := "AWS_ACCESS_KEY_ID=AKIA64CFSUOSG2WPIZZX\n"
	listed := "a sample only the test's hash list knows\n"
	art := artifactOf(t, tarBytes(t,
		entry2{name: "app/eicar.com", body: eicar},
		entry2{name: "app/marker.txt", body: "x RAMPART-TEST-MARKER y\n"},
		entry2{name: "app/listed.bin", body: listed},
		entry2{name: "app/notes.txt", body: "see acme_0123456789abcdefghijklmn for access\n"},
		entry2{name: "app/big.env", body: aws + "# " + strings.Repeat("x", 2000) + "\n"},
		entry2{name: "app/blob.dat", body: "\x00\x01\x02" + aws},
	))
	sum := sha256.Sum256([]byte(listed))
	list := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(list, []byte(`
rules:
  - id: acme-token
    title: ACME internal token
    severity: HIGH
    keywords: [acme_]
    regex: '\b(?P<secret>acme_[a-z0-9]{24})\b'
`), 0o644); err != nil {
		t.Fatal(err)
	}
	userRules, err := secret.LoadConfig(list)
	if err != nil {
		t.Fatal(err)
	}

	type config struct {
		name      string
		yara      string
		hashes    map[string]malware.HashEntry
		rules     *secret.Config
		secretOpt secret.AnalyzerOptions
		marker    string // a finding only this configuration reports, "rule@path"; "" for the base
	}
	configs := []config{
		{name: "base"},
		{name: "--malware-hashes", hashes: map[string]malware.HashEntry{hex.EncodeToString(sum[:]): {Name: "Test-Listed", Source: "test"}},
			marker: "hash:Test-Listed@app/listed.bin"},
		{name: "--secret-config", rules: userRules, marker: "acme-token@app/notes.txt"},
		{name: "--secret-include-binaries", secretOpt: secret.AnalyzerOptions{IncludeBinaries: true}, marker: "aws-access-key-id@app/blob.dat"},
		// The base reports the key in big.env; a smaller limit does not.
		{name: "--secret-max-size", secretOpt: secret.AnalyzerOptions{MaxFileSize: 1024}},
	}
	if malware.YARAAvailable {
		configs = append(configs, config{name: "--yara-rules", yara: `rule custom_marker { strings: $a = "RAMPART-TEST-MARKER" condition: $a }`,
			marker: "yara:custom_marker@app/marker.txt"})
	} else {
		t.Log("built without -tags yara: --yara-rules is not flipped")
	}
	analyzers := func(t *testing.T, c config) []inventory.Analyzer {
		s, err := secret.New(c.rules)
		if err != nil {
			t.Fatal(err)
		}
		m, yerr := malware.New(c.hashes, c.yara)
		if yerr != nil && malware.YARAAvailable {
			t.Fatal(yerr)
		}
		return []inventory.Analyzer{secret.NewAnalyzer(s, c.secretOpt), malware.NewAnalyzer(m, 0)}
	}
	findings := func(t *testing.T, c config, cache *Cache) []string {
		t.Helper()
		res, err := New(analyzers(t, c), Config{Cache: cache}).Analyze(context.Background(), art)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range res.Findings {
			out = append(out, f.ID+"@"+f.Location.Path)
		}
		slices.Sort(out)
		return out
	}
	// What each configuration reports without a cache is the truth.
	want := map[string][]string{}
	for _, c := range configs {
		want[c.name] = findings(t, c, nil)
	}
	if !slices.Contains(want["base"], "hash:EICAR-Test-File@app/eicar.com") || !slices.Contains(want["base"], "aws-access-key-id@app/big.env") {
		t.Fatalf("base findings %q lack the EICAR file or the key in big.env", want["base"])
	}
	for _, c := range configs[1:] {
		if c.marker != "" && (!slices.Contains(want[c.name], c.marker) || slices.Contains(want["base"], c.marker)) {
			t.Fatalf("%s: %s is not what tells it from the base: %q", c.name, c.marker, want[c.name])
		}
		if c.marker == "" && slices.Equal(want[c.name], want["base"]) {
			t.Fatalf("%s reports what the base reports: the flip would prove nothing", c.name)
		}
	}
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Each option on after the base was cached, off again, and both once more from the cache.
	for _, c := range configs[1:] {
		for i, run := range []config{configs[0], c, configs[0], c} {
			if diff := cmp.Diff(want[run.name], findings(t, run, cache)); diff != "" {
				t.Errorf("%s, run %d (%s) with the cache (-without +with):\n%s", c.name, i+1, run.name, diff)
			}
		}
	}
}
