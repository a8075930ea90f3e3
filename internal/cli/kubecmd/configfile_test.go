package kubecmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rampartsec/rampart/internal/cli"
)

func flagNames(root *cobra.Command) map[string]bool {
	names := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return names
}

// rampart does not link the companion's commands, so it lists their flags for its configuration
// file check: the list must be exactly the flags only the companion has.
func TestCompanionFlagsListed(t *testing.T) {
	full := flagNames(cli.NewRoot(&cli.Globals{}, Commands))
	core := flagNames(cli.NewRoot(&cli.Globals{}, nil))
	var only []string
	for n := range full {
		if !core[n] {
			only = append(only, n)
		}
	}
	slices.Sort(only)
	listed := slices.Sorted(slices.Values(cli.CompanionFlags))
	if diff := cmp.Diff(only, listed); diff != "" {
		t.Errorf("cli.CompanionFlags differs from the flags only rampart-kube has (-companion's +listed):\n%s", diff)
	}
}

// A configuration file with the companion's keys is read by both binaries; the companion checks
// its commands' sections, which rampart hands over unread.
func TestConfigFileInBothBinaries(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("kubeconfig: /nonexistent\nseverity: [HIGH]\nk8s:\n  context: prod\n"), 0o644)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("k8s:\n  kontext: prod\n"), 0o644)
	run := func(main func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) int, args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := main(context.Background(), args, &out, &errb)
		return code, errb.String()
	}
	rampart := func(ctx context.Context, args []string, out, errb *bytes.Buffer) int {
		return cli.Main(ctx, args, strings.NewReader(""), out, errb)
	}
	kube := func(ctx context.Context, args []string, out, errb *bytes.Buffer) int {
		return Main(ctx, args, strings.NewReader(""), out, errb)
	}
	for name, m := range map[string]func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) int{"rampart": rampart, "rampart-kube": kube} {
		if code, stderr := run(m, "version", "--config", good); code != cli.ExitOK {
			t.Errorf("%s: companion keys: exit %d: %s", name, code, stderr)
		}
	}
	if code, stderr := run(rampart, "version", "--config", bad); code != cli.ExitOK {
		t.Errorf("rampart checked the companion's section: exit %d: %s", code, stderr)
	}
	if code, stderr := run(kube, "version", "--config", bad); code != cli.ExitUsage || !strings.Contains(stderr, `bad.yaml:2: unknown key "kontext" for `+"`rampart k8s`") {
		t.Errorf("rampart-kube: misspelt key of the k8s section: exit %d, stderr %q", code, stderr)
	}
}
