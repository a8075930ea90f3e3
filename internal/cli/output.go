package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/report"
)

// OutputFlags are the contract other tools script against: --format and -o. Register declares the
// formats a command's document supports; the value is checked once, before the command runs, so
// no command checks it again.
type OutputFlags struct {
	Format  string
	Output  string
	formats []string
	// template is --template as given; Template is it parsed, once --format template is checked.
	template string
	Template *report.Template
}

// Register adds --format (default def, one of formats) and --output to cmd.
func (f *OutputFlags) Register(cmd *cobra.Command, def string, formats []string) {
	f.formats = formats
	cmd.Flags().StringVarP(&f.Format, "format", "f", def, "output format: "+strings.Join(formats, ", "))
	cmd.Flags().StringVarP(&f.Output, "output", "o", "", "write the report to this file instead of stdout")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
	if slices.Contains(formats, report.FormatTemplate) {
		cmd.Flags().StringVar(&f.template, "template", "", "with --format template: a Go text/template file (FILE or @FILE), or the template's text (see docs/formats.md)")
	}
	next := cmd.PreRunE
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		if err := f.Check(); err != nil {
			return err
		}
		if next != nil {
			return next(cmd, args)
		}
		return nil
	}
}

// RegisterPersistent adds --format (no --output) to a command group's persistent flags, for
// groups whose subcommands share it (`rampart db`); the group's PersistentPreRunE calls Check.
func (f *OutputFlags) RegisterPersistent(cmd *cobra.Command, def string, formats []string) {
	f.formats = formats
	cmd.PersistentFlags().StringVarP(&f.Format, "format", "f", def, "output format: "+strings.Join(formats, ", "))
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// Check rejects a --format the command does not write (a usage error), and reads the template
// of --format template: one that does not parse is a usage error, a missing file exit 4.
func (f *OutputFlags) Check() error {
	if f.formats != nil && !slices.Contains(f.formats, f.Format) {
		return WithCode(ExitUsage, fmt.Errorf("--format %q: want one of %s", f.Format, strings.Join(f.formats, ", ")))
	}
	if f.Format != report.FormatTemplate {
		if f.template != "" {
			slog.Warn("--template is ignored without --format template", "format", f.Format)
		}
		return nil
	}
	if f.template == "" {
		return WithCode(ExitUsage, errors.New("--format template needs --template FILE (or @FILE, or the template's text)"))
	}
	t, err := report.ParseTemplate(f.template)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return WithCode(ExitNotFound, fmt.Errorf("--template: %w", err))
	case err != nil:
		return WithCode(ExitUsage, fmt.Errorf("--template: %w", err))
	}
	f.Template = t
	return nil
}

// Write opens the output, lets write render the document in the chosen format, and closes the
// output; the first error wins.
func (f *OutputFlags) Write(stdout io.Writer, write func(w io.Writer, format string) error) error {
	w, done, err := f.Writer(stdout)
	if err != nil {
		return err
	}
	return CloseOutput(done, write(w, f.Format))
}

// CloseOutput finishes an output opened by [OutputFlags.Writer]: it returns the write error
// when there is one, else the error of closing the file.
func CloseOutput(done func() error, err error) error {
	if cerr := done(); err == nil {
		err = cerr
	}
	return err
}

// Writer returns where the report goes and a function that finishes writing it.
func (f *OutputFlags) Writer(stdout io.Writer) (io.Writer, func() error, error) {
	if f.Output == "" || f.Output == "-" {
		return stdout, func() error { return nil }, nil
	}
	file, err := os.Create(f.Output)
	if err != nil {
		return nil, nil, fmt.Errorf("output: %w", err)
	}
	return file, file.Close, nil
}
