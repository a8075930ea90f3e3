package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// runMain runs rampart in-process with args.
func runMain(t *testing.T, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return runResult{code, out.String(), errb.String()}
}

// TestUnknownCommands: a mistyped command or subcommand, in any command group, is a usage error
// (exit 2) on one line that suggests the closest names; it never prints help and exits 0.
func TestUnknownCommands(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"imgae"}, `rampart: unknown command "imgae"; did you mean "image"?` + "\n"},
		{[]string{"foo"}, `rampart: unknown command "foo"; "rampart --help" lists the commands` + "\n"},
		{[]string{"db", "stauts"}, `rampart: unknown command "stauts" for "rampart db"; did you mean "status"?` + "\n"},
		{[]string{"db", "--db-dir", "/nonexistent", "imprt", "x"}, `rampart: unknown command "imprt" for "rampart db"; did you mean "import"?` + "\n"},
		{[]string{"db", "nothing-like-it"}, `rampart: unknown command "nothing-like-it" for "rampart db"; the commands are import, status, update` + "\n"},
		{[]string{"registry", "audt", "127.0.0.1:5000"}, `rampart: unknown command "audt" for "rampart registry"; did you mean "audit"?` + "\n"},
		{[]string{"completion", "bsh"}, `rampart: unknown command "bsh" for "rampart completion"; did you mean "bash" or "zsh"?` + "\n"},
		{[]string{"help", "imgae"}, `rampart: unknown command "imgae"; did you mean "image"?` + "\n"},
		{[]string{"help", "db", "stauts"}, `rampart: unknown command "stauts" for "rampart db"; did you mean "status"?` + "\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			res := runMain(t, tt.args...)
			if res.code != ExitUsage || res.stderr != tt.want || res.stdout != "" {
				t.Errorf("exit %d, stderr %q, stdout %.80q; want exit 2, stderr %q and no stdout", res.code, res.stderr, res.stdout, tt.want)
			}
		})
	}
	// A group run alone, or asked for help, still prints its help and succeeds.
	for _, args := range [][]string{{"db"}, {"db", "--help"}, {"help", "db"}, {}, {"help"}, {"completion"}} {
		res := runMain(t, args...)
		if res.code != ExitOK || !strings.Contains(res.stdout, "Available Commands:") {
			t.Errorf("rampart %s: exit %d, stdout %.200q", strings.Join(args, " "), res.code, res.stdout)
		}
		// A group's usage has no line for running it alone.
		if strings.Contains(res.stdout, "rampart db [flags]\n") {
			t.Errorf("rampart %s: usage offers `rampart db [flags]`:\n%s", strings.Join(args, " "), res.stdout)
		}
	}
}

// TestEveryGroupRefusesUnknownSubcommands walks the whole tree: every command with subcommands
// refuses a name that is not one of them.
func TestEveryGroupRefusesUnknownSubcommands(t *testing.T) {
	root := NewRoot(&Globals{}, nil)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		// A command that needs an argument (registry HOST) cannot tell a host from a command.
		if c.HasSubCommands() && c.HasParent() && c.Args(c, nil) == nil {
			path := strings.Fields(c.CommandPath())[1:]
			res := runMain(t, append(path, "zzz-not-a-command")...)
			if res.code != ExitUsage || !strings.Contains(res.stderr, `unknown command "zzz-not-a-command" for "`+c.CommandPath()+`"`) {
				t.Errorf("%s zzz-not-a-command: exit %d, stderr %q", c.CommandPath(), res.code, res.stderr)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// TestArgumentCounts: a wrong number of arguments names what the command wants.
func TestArgumentCounts(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sbom"}, "rampart: sbom: missing argument REF; usage: rampart sbom REF [flags]\n"},
		{[]string{"sbom", "a", "b"}, `rampart: sbom takes REF, got 2 arguments: "a" "b"` + "\n"},
		{[]string{"db", "status", "x"}, `rampart: db status takes no arguments, got "x"` + "\n"},
		{[]string{"version", "x"}, `rampart: version takes no arguments, got "x"` + "\n"},
	}
	for _, tt := range tests {
		res := runMain(t, tt.args...)
		if res.code != ExitUsage || res.stderr != tt.want {
			t.Errorf("rampart %s: exit %d, stderr %q; want exit 2, %q", strings.Join(tt.args, " "), res.code, res.stderr, tt.want)
		}
	}
}

// TestUnknownFlagSuggestion: an unknown flag close to a real one says which.
func TestUnknownFlagSuggestion(t *testing.T) {
	res := runMain(t, "image", "x", "--fromat", "json")
	if want := `rampart: unknown flag: --fromat; did you mean "--format"?` + "\n"; res.code != ExitUsage || res.stderr != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", res.code, res.stderr, want)
	}
	res = runMain(t, "image", "x", "--zzzzzz")
	if want := "rampart: unknown flag: --zzzzzz\n"; res.code != ExitUsage || res.stderr != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", res.code, res.stderr, want)
	}
}

// TestUsageFlagPlaceholders: no flag's usage string has a backquoted word, which pflag would
// show as the flag's value placeholder (`--db-dir rampart db`).
func TestUsageFlagPlaceholders(t *testing.T) {
	root := NewRoot(&Globals{}, nil)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Usage, "`") {
				t.Errorf("%s --%s: usage %q has a backquote: pflag shows the quoted word as the value's name", c.CommandPath(), f.Name, f.Usage)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// TestCompanionCompletionsNotDoubled: completing a handed-over command's flags does not list
// rampart's global flags twice (once from cobra, once from the companion).
func TestCompanionCompletionsNotDoubled(t *testing.T) {
	root := NewRoot(&Globals{}, nil)
	k8s, _, err := root.Find([]string{"k8s"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"--cache-dir\tdirectory", "--quiet\tx", "-q\tx", "-v"} {
		if !offeredFlag(k8s, c) {
			t.Errorf("offeredFlag(k8s, %q) = false", c)
		}
	}
	for _, c := range []string{"--kubeconfig\tkubeconfig file", "--format", "posture\tCheck"} {
		if offeredFlag(k8s, c) {
			t.Errorf("offeredFlag(k8s, %q) = true", c)
		}
	}
}

// TestFSHelpHidesImageFlags: fs reads a directory; the flags about registries, platforms and the
// Docker engine are not in its help (they are in image's).
func TestFSHelpHidesImageFlags(t *testing.T) {
	fs := runMain(t, "fs", "--help")
	img := runMain(t, "image", "--help")
	for _, f := range []string{"--platform", "--source", "--insecure", "--ca-cert"} {
		if strings.Contains(fs.stdout, f) {
			t.Errorf("fs --help lists %s:\n%s", f, fs.stdout)
		}
		if !strings.Contains(img.stdout, f) {
			t.Errorf("image --help lacks %s", f)
		}
	}
	if !strings.Contains(fs.stdout, "--scanners") {
		t.Errorf("fs --help lacks --scanners:\n%s", fs.stdout)
	}
}
