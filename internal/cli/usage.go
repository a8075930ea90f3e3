package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Usage errors (exit code 2, docs/exit-codes.md) say what was wrong on one line and, where a
// name was mistyped, what was probably meant: unknown commands and subcommands, unknown flags,
// wrong numbers of arguments.

// groupAnnotation marks a command that only groups subcommands: run without one it prints its
// help, and its usage does not show a line for running it alone.
const groupAnnotation = "rampart:group"

// handOverAnnotation marks rampart's stand-ins for the companion's commands.
const handOverAnnotation = "rampart:hand-over"

// UsageArgs checks that a command has exactly n positional arguments and turns a mismatch into
// a usage error naming the arguments its Use line gives.
func UsageArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return WithCode(ExitUsage, argCountError(cmd, n, args))
	}
}

// argCountError says what arguments cmd wants and what it got.
func argCountError(cmd *cobra.Command, n int, args []string) error {
	name := commandName(cmd)
	names := argNames(cmd, n)
	switch {
	case n == 0:
		return fmt.Errorf("%s takes no arguments, got %s", name, quoteArgs(args))
	case len(args) < n:
		missing := names[len(args):]
		word := "argument"
		if len(missing) > 1 {
			word += "s"
		}
		return fmt.Errorf("%s: missing %s %s; usage: %s", name, word, strings.Join(missing, " "), cmd.UseLine())
	}
	return fmt.Errorf("%s takes %s, got %d arguments: %s", name, strings.Join(names, " "), len(args), quoteArgs(args))
}

// commandName is cmd's path without the program's name ("db status"), for messages that the
// final error line already starts with "rampart:".
func commandName(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return cmd.Name()
	}
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// argNames are the names of cmd's n arguments as its Use line spells them ("REF"), or ARG1….
func argNames(cmd *cobra.Command, n int) []string {
	fields := strings.Fields(cmd.Use)
	var names []string
	for _, f := range fields[min(1, len(fields)):] {
		if f == "|" || strings.HasPrefix(f, "-") || f == "[flags]" {
			break
		}
		names = append(names, f)
	}
	for len(names) < n {
		names = append(names, fmt.Sprintf("ARG%d", len(names)+1))
	}
	return names[:n]
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, " ")
}

// guardSubcommands makes every command with subcommands in the tree under c, c included, refuse
// an argument that is not one of them with a usage error that suggests the closest names. A
// command that only groups subcommands prints its help when run alone; one that also runs by
// itself (k8s, graph, registry) keeps its own arguments, and a surplus first argument that
// resembles a subcommand is reported as a misspelt subcommand.
func guardSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		guardSubcommands(sub)
	}
	if !c.HasSubCommands() || c.DisableFlagParsing {
		return
	}
	own := c.Args
	if !c.Runnable() {
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[groupAnnotation] = "true"
		c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
		own = cobra.NoArgs
	}
	if own == nil {
		own = cobra.ArbitraryArgs
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		err := own(cmd, args)
		if err == nil || len(args) == 0 {
			return usageError(err)
		}
		if own(cmd, nil) == nil || len(suggestCommands(cmd, args[0])) > 0 {
			return unknownCommandError(cmd, args[0])
		}
		return usageError(err)
	}
	if c.ValidArgsFunction == nil && c.Annotations[groupAnnotation] != "" {
		c.ValidArgsFunction = cobra.NoFileCompletions
	}
}

// usageError gives err the usage exit code unless it has a code of its own; nil stays nil.
func usageError(err error) error {
	if err == nil || CodeFor(err) != ExitError {
		return err
	}
	return WithCode(ExitUsage, err)
}

// suggestCommands returns the subcommands of cmd whose names are closest to name: within an edit
// distance of 1 (of 2 for names longer than 3), or starting with name when it has 2 letters or
// more; only the closest of them.
func suggestCommands(cmd *cobra.Command, name string) []string {
	name = strings.ToLower(name)
	if len(name) == 0 || strings.HasPrefix(name, "-") {
		return nil
	}
	limit := 1
	if len(name) > 3 {
		limit = 2
	}
	best, out := limit+1, []string(nil)
	for _, sub := range cmd.Commands() {
		if !sub.IsAvailableCommand() {
			continue
		}
		d := levenshtein(name, strings.ToLower(sub.Name()))
		if len(name) >= 2 && strings.HasPrefix(strings.ToLower(sub.Name()), name) {
			d = 0
		}
		for _, s := range sub.SuggestFor {
			if strings.EqualFold(s, name) {
				d = 0
			}
		}
		switch {
		case d > limit:
		case d < best:
			best, out = d, []string{sub.Name()}
		case d == best:
			out = append(out, sub.Name())
		}
	}
	return out
}

// unknownCommandError is the usage error for name, given where one of cmd's subcommands was
// expected: `unknown command "imgae"; did you mean "image"?`.
func unknownCommandError(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q", name)
	if cmd.HasParent() {
		msg += fmt.Sprintf(" for %q", cmd.CommandPath())
	}
	if s := suggestCommands(cmd, name); len(s) > 0 {
		msg += "; did you mean " + orList(s) + "?"
	} else {
		var names []string
		for _, sub := range cmd.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		if len(names) > 0 && len(names) <= 6 {
			msg += "; the commands are " + strings.Join(names, ", ")
		} else {
			msg += fmt.Sprintf("; %q lists the commands", cmd.CommandPath()+" --help")
		}
	}
	return WithCode(ExitUsage, errors.New(msg))
}

// orList quotes names and joins them: "a", "a" or "b", "a", "b" or "c".
func orList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// flagError is every command's flag error: a usage error, with the closest flag names when the
// flag is unknown.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if s := suggestFlags(cmd, name); len(s) > 0 {
			err = fmt.Errorf("%w; did you mean %s?", err, orList(s))
		}
	}
	return WithCode(ExitUsage, err)
}

// suggestFlags returns the names (with their dashes) of cmd's visible flags close to name.
func suggestFlags(cmd *cobra.Command, name string) []string {
	name, _, _ = strings.Cut(name, "=")
	var out []string
	visit := func(f *pflag.Flag) {
		if f.Hidden || slices.Contains(out, "--"+f.Name) {
			return
		}
		if levenshtein(strings.ToLower(name), f.Name) <= 2 || (len(name) >= 2 && strings.HasPrefix(f.Name, name)) {
			out = append(out, "--"+f.Name)
		}
	}
	cmd.LocalFlags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return out
}

// levenshtein is the edit distance between a and b.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// newHelpCmd is `rampart help [COMMAND…]`: the help of a command, a usage error for one that
// does not exist, and the companion's help for the commands it provides.
func newHelpCmd(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]...",
		Short: "Help about any command",
		Long:  "Help about any command: `rampart help k8s posture` is `rampart k8s posture --help`.",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			target, _, err := c.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, sub := range target.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, sub.Name()+"\t"+sub.Short)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil {
				return WithCode(ExitUsage, err)
			}
			if target.Annotations[handOverAnnotation] != "" {
				return handOver(c.Context(), g)
			}
			for _, a := range rest {
				if !strings.HasPrefix(a, "-") {
					return unknownCommandError(target, a)
				}
			}
			return target.Help()
		},
	}
}

// usageTemplate is cobra's usage template, except that a command that only groups subcommands
// shows no line for running it alone.
func usageTemplate(root *cobra.Command) string {
	return strings.Replace(root.UsageTemplate(), "{{if .Runnable}}",
		`{{if and .Runnable (not (index .Annotations "`+groupAnnotation+`"))}}`, 1)
}
