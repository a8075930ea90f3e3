package kubecmd

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/cli"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var updateCommandsDoc = flag.Bool("update-commands", false, "rewrite docs/commands.md from the command tree")

// TestCommandsDoc keeps docs/commands.md in step with the commands and flags: it is generated from
// the same cobra tree the binary runs. Rewrite it with `go test ./internal/cli/kubecmd -run CommandsDoc -update-commands`.
func TestCommandsDoc(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("# Commands\n\nGenerated from the command tree by `go test ./internal/cli/kubecmd -run CommandsDoc -update-commands`;\n" +
		"do not edit by hand. `config`, `graph` and `k8s` are run by the companion binary `rampart-kube`, which\n" +
		"`rampart` hands them over to (see [architecture.md](architecture.md)). Exit codes: [exit-codes.md](exit-codes.md). Output formats: [formats.md](formats.md).\n")
	// The companion's tree is the whole tree: rampart's commands plus those it hands over.
	root := cli.NewRoot(&cli.Globals{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}, Commands)
	root.InitDefaultCompletionCmd()
	writeCommandDoc(&b, root, root.PersistentFlags())
	got := b.Bytes()
	const path = "../../../docs/commands.md"
	if *updateCommandsDoc {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with -update-commands)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("docs/commands.md is out of date: run go test ./internal/cli/kubecmd -run CommandsDoc -update-commands")
	}
}

func writeCommandDoc(b *bytes.Buffer, c *cobra.Command, global *pflag.FlagSet) {
	if c.Hidden || c.Name() == "help" {
		return
	}
	if c.HasParent() {
		level := strings.Count(c.CommandPath(), " ") + 1
		fmt.Fprintf(b, "\n%s `%s`\n\n", strings.Repeat("#", min(level, 4)), c.CommandPath())
		fmt.Fprintf(b, "```\n%s\n```\n\n", c.UseLine())
		if c.Long != "" && !(c.HasParent() && c.Parent().Name() == "completion") {
			b.WriteString(strings.TrimSpace(c.Long) + "\n")
		} else {
			b.WriteString(c.Short + ".\n")
		}
		var flags bytes.Buffer
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			name := "--" + f.Name
			if f.Shorthand != "" {
				name = "-" + f.Shorthand + ", " + name
			}
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" && f.DefValue != "0" {
				def = fmt.Sprintf(" (default `%s`)", f.DefValue)
			}
			usage := strings.ReplaceAll(f.Usage, "|", `\|`)
			fmt.Fprintf(&flags, "| `%s` | %s%s |\n", name, usage, def)
		})
		if flags.Len() > 0 {
			b.WriteString("\n| flag | meaning |\n|---|---|\n")
			b.Write(flags.Bytes())
		}
	} else {
		b.WriteString("\n## Flags of every command\n\n| flag | meaning |\n|---|---|\n")
		global.VisitAll(func(f *pflag.Flag) {
			name := "--" + f.Name
			if f.Shorthand != "" {
				name = "-" + f.Shorthand + ", " + name
			}
			fmt.Fprintf(b, "| `%s` | %s |\n", name, f.Usage)
		})
	}
	for _, sub := range c.Commands() {
		writeCommandDoc(b, sub, global)
	}
}
