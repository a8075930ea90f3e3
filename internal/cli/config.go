package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/rampartsec/rampart/internal/regularfile"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Every flag of every command can also be set by an environment variable, RAMPART_ and the
// flag's name in capitals with "-" as "_" (--fail-on: RAMPART_FAIL_ON), and by a YAML
// configuration file: --config FILE, else rampart.yaml in the working directory when there is
// one. A flag given on the command line wins over the environment, which wins over the file,
// which wins over the default. docs/config.md describes it.

// ConfigFileName is the configuration file read from the working directory when --config is
// not given.
const ConfigFileName = "rampart.yaml"

// configFlag is the flag that names the configuration file.
const configFlag = "config"

// EnvName is the environment variable that sets flag: RAMPART_FAIL_ON for fail-on.
func EnvName(flag string) string {
	return "RAMPART_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// maxConfigFile bounds what is read: configuration files are written by hand.
const maxConfigFile = 1 << 20

// CompanionFlags are the flags that only the companion's commands (config, k8s, graph) have:
// the rampart binary does not know those commands' flags, but must not call these keys of a
// configuration file unknown. A test in internal/cli/kubecmd keeps the list complete.
var CompanionFlags = []string{
	"context", "crown-jewel", "docker-host", "group", "helm-namespace", "images-from", "include-defaults",
	"kubeconfig", "limit", "manifests", "namespace", "no-images", "node-root", "registry-insecure",
	"release-name", "resource-name", "set", "set-string", "values",
}

// registerConfigFlag adds --config to the root's persistent flags.
func registerConfigFlag(pf *pflag.FlagSet) {
	pf.String(configFlag, "", "configuration file (default: "+ConfigFileName+" in the working directory, if any; see docs/config.md)")
}

// applyConfig sets the flags of cmd that the command line left alone: from the environment,
// then from the configuration file. It runs before any command; the commands rampart hands over
// to its companion are left to the companion, and shell completion to cobra.
func applyConfig(cmd *cobra.Command) error {
	if cmd.DisableFlagParsing || cmd.Name() == cobra.ShellCompRequestCmd || cmd.Name() == cobra.ShellCompNoDescRequestCmd {
		return nil
	}
	flags := cmd.Flags()
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		v, ok := os.LookupEnv(EnvName(f.Name))
		if !ok || v == "" {
			return
		}
		if serr := flags.Set(f.Name, v); serr != nil {
			err = WithCode(ExitUsage, fmt.Errorf("$%s: %w", EnvName(f.Name), serr))
		}
	})
	if err != nil {
		return err
	}
	path, explicit := ConfigFileName, false
	if f := flags.Lookup(configFlag); f != nil && f.Value.String() != "" {
		path, explicit = f.Value.String(), true
	}
	c, err := readConfig(path, explicit)
	if err != nil || c == nil {
		return err
	}
	if !explicit && c.root != nil {
		// A file nobody named changes what is reported (a checkout's rampart.yaml may lower a
		// gate): say that it was read, unless told to be quiet.
		if q := cmd.Flags().Lookup("quiet"); q == nil || q.Value.String() != "true" {
			fmt.Fprintf(cmd.ErrOrStderr(), "rampart: settings read from %s in the working directory (--config FILE to choose another)\n", path)
		}
	}
	return c.apply(cmd)
}

// configFile is a parsed configuration file.
type configFile struct {
	path string
	root *yaml.Node // the top-level mapping
}

// readConfig reads and parses the file at path; a missing file is nil unless explicit.
// Errors are usage errors.
func readConfig(path string, explicit bool) (*configFile, error) {
	b, err := regularfile.Read(path, maxConfigFile)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return nil, nil
	case errors.Is(err, regularfile.ErrTooLarge):
		return nil, WithCode(ExitUsage, fmt.Errorf("config file %s: larger than %d bytes", path, maxConfigFile))
	case err != nil:
		return nil, WithCode(ExitUsage, fmt.Errorf("config file: %w", err))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, WithCode(ExitUsage, fmt.Errorf("config file %s: %w", path, err))
	}
	c := &configFile{path: path}
	if len(doc.Content) == 0 {
		return c, nil // empty, or only comments
	}
	if doc.Content[0].Kind != yaml.MappingNode {
		return nil, c.errorf(doc.Content[0], "want a mapping of flag names to values")
	}
	c.root = doc.Content[0]
	return c, nil
}

func (c *configFile) errorf(n *yaml.Node, format string, args ...any) error {
	return WithCode(ExitUsage, fmt.Errorf("config file %s:%d: %s", c.path, n.Line, fmt.Sprintf(format, args...)))
}

// apply checks every key of the file against the command tree, then sets cmd's flags that are
// still unset: from the top level, overridden by the section of each command on cmd's path
// (`registry:` then `audit:` for `rampart registry audit`).
func (c *configFile) apply(cmd *cobra.Command) error {
	if c.root == nil {
		return nil
	}
	if err := c.check(c.root, cmd.Root(), true); err != nil {
		return err
	}
	var path []*cobra.Command
	for p := cmd; p.HasParent(); p = p.Parent() {
		path = append([]*cobra.Command{p}, path...)
	}
	values := map[string]*yaml.Node{}
	section := c.root
	collect := func(m *yaml.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if v := m.Content[i+1]; v.Kind != yaml.MappingNode {
				values[m.Content[i].Value] = v
			}
		}
	}
	collect(section)
	for _, p := range path {
		section = mapValue(section, p.Name())
		if section == nil {
			break
		}
		collect(section)
	}
	flags := cmd.Flags()
	for _, name := range sortedKeys(values) {
		f := flags.Lookup(name)
		if f == nil || f.Changed {
			continue // another command's flag, or set on the command line or by the environment
		}
		if err := c.set(flags, f, values[name]); err != nil {
			return err
		}
	}
	return nil
}

// check rejects keys of m that are neither flags of cmd (of any command, at the top level) nor
// sections of its subcommands, and sections that are not mappings.
func (c *configFile) check(m *yaml.Node, cmd *cobra.Command, top bool) error {
	known := map[string]bool{}
	if top {
		walkCommands(cmd, func(sub *cobra.Command) { addFlagNames(known, sub) })
		for _, n := range CompanionFlags {
			known[n] = true
		}
	} else {
		addFlagNames(known, cmd)
	}
	delete(known, configFlag)
	delete(known, "help")
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if sub := subcommand(cmd, k.Value); sub != nil {
			if v.Kind != yaml.MappingNode {
				return c.errorf(k, "%q is a section for `%s`: want a mapping of its flags", k.Value, sub.CommandPath())
			}
			if sub.DisableFlagParsing {
				continue // a companion's command: the companion checks its section
			}
			if err := c.check(v, sub, false); err != nil {
				return err
			}
			continue
		}
		if !known[k.Value] {
			where := ""
			if !top {
				where = " for `" + cmd.CommandPath() + "`"
			}
			if k.Value == configFlag {
				return c.errorf(k, "a config file cannot name another")
			}
			return c.errorf(k, "unknown key %q%s (keys are flag names without dashes, or command sections)", k.Value, where)
		}
		if v.Kind == yaml.MappingNode {
			return c.errorf(k, "%s: want a value or a list, not a mapping", k.Value)
		}
	}
	return nil
}

// set gives flag f the value of node n (a scalar, or a list for list flags) and marks it set.
func (c *configFile) set(flags *pflag.FlagSet, f *pflag.Flag, n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		if err := flags.Set(f.Name, n.Value); err != nil {
			return c.errorf(n, "%s: %v", f.Name, err)
		}
		return nil
	case yaml.SequenceNode:
		sv, ok := f.Value.(pflag.SliceValue)
		if !ok {
			return c.errorf(n, "%s: want a single value, not a list", f.Name)
		}
		var vals []string
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return c.errorf(item, "%s: want a list of values", f.Name)
			}
			vals = append(vals, item.Value)
		}
		if err := sv.Replace(vals); err != nil {
			return c.errorf(n, "%s: %v", f.Name, err)
		}
		f.Changed = true
		return nil
	}
	return c.errorf(n, "%s: want a value or a list", f.Name)
}

// mapValue is the mapping under key in m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.MappingNode {
			return m.Content[i+1]
		}
	}
	return nil
}

// subcommand is cmd's subcommand named name, or nil.
func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, sub := range cmd.Commands() {
		if sub.Name() == name {
			return sub
		}
	}
	return nil
}

func walkCommands(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, fn)
	}
}

// addFlagNames adds the names of every flag cmd takes, its parents' persistent flags included.
func addFlagNames(names map[string]bool, cmd *cobra.Command) {
	add := func(f *pflag.Flag) { names[f.Name] = true }
	cmd.LocalFlags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
