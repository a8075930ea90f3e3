package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rampartsec/rampart/internal/finding"
)

// parsed returns the command of the real tree that args name, with args parsed and the
// configuration applied as the root's PersistentPreRunE does.
func parsed(t *testing.T, args ...string) (*cobra.Command, error) {
	t.Helper()
	root := NewRoot(&Globals{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}, nil)
	cmd, rest, err := root.Find(args)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatal(err)
	}
	return cmd, applyConfig(cmd)
}

func flagValue(t *testing.T, cmd *cobra.Command, name string) string {
	t.Helper()
	f := cmd.Flags().Lookup(name)
	if f == nil {
		t.Fatalf("%s has no --%s", cmd.CommandPath(), name)
	}
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return f.Value.String()
}

func writeConfig(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A flag on the command line wins over the environment, which wins over the file, which wins
// over the default; a command's section wins over the top level.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeConfig(t, dir, ConfigFileName, `
severity: [LOW, MEDIUM]
fail-on: HIGH
timeout: 3m
ignore-unfixed: true
skip-dirs: "**/node_modules,**/vendor"
quiet: true
image:
  timeout: 4m
registry:
  audit:
    timeout: 7m
`)
	t.Setenv("RAMPART_FAIL_ON", "CRITICAL")
	t.Setenv("RAMPART_SCANNERS", "vuln,secret")

	cmd, err := parsed(t, "image", "--severity", "HIGH", "x")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"severity":       "HIGH",                        // flag
		"fail-on":        "CRITICAL",                    // environment over file
		"scanners":       "vuln,secret",                 // environment over default
		"timeout":        "4m0s",                        // image's section over the top level
		"ignore-unfixed": "true",                        // file
		"skip-dirs":      "**/node_modules,**/vendor",   // file, comma-separated as on the command line
		"quiet":          "true",                        // file, a persistent flag
		"platform":       flagValue(t, cmd, "platform"), // default
	}
	for name, v := range want {
		if got := flagValue(t, cmd, name); got != v {
			t.Errorf("--%s = %q, want %q", name, got, v)
		}
	}
	if !cmd.Flags().Changed("scanners") || cmd.Flags().Changed("platform") {
		t.Error("a flag set by the environment must count as given, a default must not")
	}

	// The top level applies to every command that has the flag; sections to theirs only.
	for args, timeout := range map[string]string{"fs x": "3m0s", "registry audit x": "7m0s", "registry x": "3m0s"} {
		cmd, err := parsed(t, strings.Fields(args)...)
		if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		if got := flagValue(t, cmd, "timeout"); got != timeout {
			t.Errorf("%s: --timeout %s, want %s", args, got, timeout)
		}
	}
	// db status has none of the scan flags: they are not errors there.
	if _, err := parsed(t, "db", "status"); err != nil {
		t.Errorf("db status: %v", err)
	}

	// --config names another file; $RAMPART_CONFIG too.
	other := writeConfig(t, dir, "other.yaml", "severity: CRITICAL\n")
	for _, viaEnv := range []bool{false, true} {
		args := []string{"image", "x"}
		if viaEnv {
			t.Setenv("RAMPART_CONFIG", other)
		} else {
			args = append(args, "--config", other)
		}
		cmd, err := parsed(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		if got := flagValue(t, cmd, "severity"); got != "CRITICAL" {
			t.Errorf("config from %s: --severity %q", map[bool]string{false: "--config", true: "$RAMPART_CONFIG"}[viaEnv], got)
		}
	}
}

// Every flag of every command can be set from the environment.
func TestEveryFlagHasAnEnvironmentVariable(t *testing.T) {
	t.Chdir(t.TempDir())
	root := NewRoot(&Globals{}, nil)
	n := 0
	walkCommands(root, func(c *cobra.Command) {
		if c.DisableFlagParsing {
			return
		}
		args := strings.Fields(strings.TrimPrefix(c.CommandPath(), root.Name()))
		probe, _, _ := NewRoot(&Globals{}, nil).Find(args)
		probe.ParseFlags(nil)
		probe.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" || f.Name == configFlag {
				return
			}
			value := f.Value.String()
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				value = strings.Join(sv.GetSlice(), ",")
			}
			if value == "" || f.Value.Type() == "string" || strings.HasPrefix(f.Value.Type(), "string") {
				value = "x"
			}
			t.Setenv(EnvName(f.Name), value)
			cmd, err := parsed(t, args...)
			os.Unsetenv(EnvName(f.Name))
			if err != nil {
				t.Errorf("%s: $%s=%s: %v", c.CommandPath(), EnvName(f.Name), value, err)
				return
			}
			if !cmd.Flags().Changed(f.Name) || flagValue(t, cmd, f.Name) != strings.TrimPrefix(strings.TrimSuffix(value, "]"), "[") {
				t.Errorf("%s: $%s=%s did not set --%s (got %q)", c.CommandPath(), EnvName(f.Name), value, f.Name, flagValue(t, cmd, f.Name))
			}
			n++
		})
	})
	if n < 50 {
		t.Errorf("only %d flags checked", n)
	}
}

// Mistakes in the file or the environment are usage errors that name the file, line and key.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tests := []struct {
		name, file string
		env        []string
		args       []string
		want       string
	}{
		{"unknown key", "severity: HIGH\nseverty: HIGH\n", nil, []string{"version"}, `rampart.yaml:2: unknown key "severty"`},
		{"unknown key in a section", "image:\n  fail-on: HIGH\n  ignore-unfxed: true\n", nil, []string{"version"}, `rampart.yaml:3: unknown key "ignore-unfxed" for ` + "`rampart image`"},
		{"unknown section", "imgae:\n  fail-on: HIGH\n", nil, []string{"version"}, `unknown key "imgae"`},
		{"section not a mapping", "image: HIGH\n", nil, []string{"version"}, `rampart.yaml:1: "image" is a section`},
		{"bad value", "timeout: soon\n", nil, []string{"image", "x"}, `rampart.yaml:1: timeout: invalid argument "soon"`},
		{"list for a single value", "fail-on: [HIGH, LOW]\n", nil, []string{"image", "x"}, "fail-on: want a single value"},
		{"not a mapping", "- severity\n", nil, []string{"version"}, "rampart.yaml:1: want a mapping"},
		{"a config naming another", "config: other.yaml\n", nil, []string{"version"}, `"config" is a section`},
		{"not YAML", "severity: [HIGH\n", nil, []string{"version"}, "config file rampart.yaml"},
		{"missing --config", "", nil, []string{"version", "--config", "missing.yaml"}, "missing.yaml"},
		{"bad environment value", "", []string{"RAMPART_TIMEOUT=soon"}, []string{"image", "x"}, `$RAMPART_TIMEOUT: invalid argument "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(ConfigFileName)
			if tt.file != "" {
				writeConfig(t, dir, ConfigFileName, tt.file)
			}
			for _, kv := range tt.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			var out, errb bytes.Buffer
			code := Main(context.Background(), tt.args, strings.NewReader(""), &out, &errb)
			if code != ExitUsage || !strings.Contains(errb.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), ExitUsage, tt.want)
			}
		})
	}
}

// The end-to-end path: a scan reads its settings from rampart.yaml in the working directory.
func TestConfigFileDrivesAScan(t *testing.T) {
	db := bundledDB(t)
	root := vulnRootfs(t)
	dir := t.TempDir()
	t.Chdir(dir)
	all := decodeReport(t, runImage(t, "-f", "json", "--db-dir", db, "dir:"+root))
	sev := all.Findings[0].Severity
	writeConfig(t, dir, ConfigFileName, "db-dir: "+db+"\nimage:\n  format: json\n  severity: ["+string(sev)+"]\n  scanners: [vuln]\n")
	res := runImage(t, "dir:"+root)
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	r := decodeReport(t, res)
	if len(r.Findings) == 0 || slices.ContainsFunc(r.Findings, func(f finding.Finding) bool { return f.Severity != sev }) {
		t.Errorf("findings %v, want only %s ones", findingKeys(r.Findings), sev)
	}
}
