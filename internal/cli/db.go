package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rampartsec/rampart/internal/vulndb"
)

// dbFlags are shared by the `rampart db` subcommands.
type dbFlags struct {
	dir string
	out OutputFlags
}

func newDBCmd(g *Globals) *cobra.Command {
	f := &dbFlags{}
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the vulnerability database (OSV advisories, CISA KEV, EPSS, NVD CVSS)",
		Long: `Manage Rampart's local vulnerability database.

The database is built from OSV records (osv.dev's per-ecosystem all.zip exports, or any zip or
directory of OSV JSON), the CISA Known Exploited Vulnerabilities catalog, the FIRST EPSS scores
and NVD's CVE feeds (CVSS vectors for the CVEs the records name).
"db update" downloads them; "db import" builds the database from files you already have, such as
the bundled data/vulndb. Either replaces the database atomically: scans running meanwhile keep
the database they opened.`,
		Args: cobra.NoArgs,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if p := cmd.Root(); p.PersistentPreRunE != nil {
				if err := p.PersistentPreRunE(cmd, args); err != nil {
					return err
				}
			}
			return f.out.Check()
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.dir, "db-dir", vulnDBDefaultDir(), "vulnerability database directory ($RAMPART_DB_DIR)")
	f.out.RegisterPersistent(cmd, "text", []string{"text", "json"})
	cmd.AddCommand(newDBImportCmd(g, f), newDBUpdateCmd(g, f), newDBStatusCmd(g, f))
	return cmd
}

func newDBImportCmd(g *Globals, f *dbFlags) *cobra.Command {
	var add, allowEmpty bool
	cmd := &cobra.Command{
		Use:   "import PATH...",
		Short: "Build the database from local files, replacing it",
		Long: `Build the vulnerability database from exactly these files, replacing the current one.
With --add, the sources of the current database are imported again beside the new ones.

Each PATH may be an OSV zip (osv.dev's <Ecosystem>/all.zip), a directory (searched recursively:
OSV JSON records, zips, EPSS CSVs, NVD feeds), one OSV JSON record, the CISA KEV catalog JSON, a
FIRST EPSS CSV (plain or .gz), an NVD CVE feed (nvdcve-2.0-*.json, plain or .gz: CVSS for the
CVEs the other sources' records name), or a list of known-malicious SHA-256 hashes. Files are
told apart by content, not by name. Records that do not parse are
skipped with a warning; an unreadable file stops the import and leaves the old database as it was.
So does a file that yields nothing (every record invalid, a KEV or EPSS file with no usable
entry), and a new database that would hold nothing or fewer sources than the current one, unless
--allow-empty.`,
		Example: "  rampart db import data/vulndb\n  rampart db import Go-all.zip PyPI-all.zip known_exploited_vulnerabilities.json\n  rampart db import --add epss_scores-current.csv.gz nvdcve-2.0-2024.json.gz nvdcve-2.0-modified.json.gz",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return WithCode(ExitUsage, errors.New("db import: need at least one PATH"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := vulndb.ImportOptions{Logger: g.Logger, AllowEmpty: allowEmpty}
			paths := args
			if add {
				prev, origins, err := currentSources(f.dir)
				if err != nil {
					return err
				}
				paths = append(prev, slices.DeleteFunc(slices.Clone(args), func(p string) bool { return slices.Contains(prev, absPath(p)) })...)
				opts.Origins = origins
			}
			st, err := vulndb.Import(cmd.Context(), f.dir, paths, opts)
			if err != nil {
				return dbError(err)
			}
			return printDBResult(g, f, st, nil)
		},
	}
	cmd.Flags().BoolVar(&add, "add", false, "keep the current database's sources (re-read from their recorded paths) and add these")
	cmd.Flags().BoolVar(&allowEmpty, "allow-empty", false, allowEmptyUsage)
	return cmd
}

// currentSources returns the paths the database in dir was built from, with their origins, so
// that `db import --add` can build them again.
func currentSources(dir string) ([]string, map[string]vulndb.Origin, error) {
	db, err := vulndb.Open(dir)
	if errors.Is(err, vulndb.ErrNoDatabase) {
		return nil, nil, nil // nothing to keep
	}
	if err != nil {
		return nil, nil, dbError(err)
	}
	defer db.Close()
	st, err := db.Status()
	if err != nil {
		return nil, nil, dbError(err)
	}
	var paths []string
	origins := map[string]vulndb.Origin{}
	// A directory source imports its zips again itself: skip the zips recorded under it.
	inDir := func(p string) bool {
		return slices.ContainsFunc(st.Sources, func(o vulndb.SourceMeta) bool {
			return o.Path != p && strings.HasPrefix(p, o.Path+string(filepath.Separator))
		})
	}
	for _, s := range st.Sources {
		if s.Path == "" || slices.Contains(paths, s.Path) || inDir(s.Path) {
			continue
		}
		if _, err := os.Stat(s.Path); err != nil {
			return nil, nil, WithCode(ExitNotFound, fmt.Errorf("db import --add: source %s of the current database: %w", s.Name, err))
		}
		paths = append(paths, s.Path)
		origins[s.Path] = vulndb.Origin{Name: s.Name, URL: s.URL, ETag: s.ETag, LastModified: s.LastModified}
	}
	return paths, origins, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

const allowEmptyUsage = "accept a source that yields nothing, and a database holding nothing or fewer sources than the current one"

// updateFlags configure `db update`.
type updateFlags struct {
	sources     []string
	sourcesFile string
	noDefaults  bool
	nvdBase     string
	noNVD       bool
	offline     bool
	allowEmpty  bool
	timeout     time.Duration
}

func newDBUpdateCmd(g *Globals, f *dbFlags) *cobra.Command {
	uf := &updateFlags{}
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the configured sources and rebuild the database",
		Long: `Download the configured sources and rebuild the vulnerability database from them.

Default sources: osv.dev's exports for ` + strings.Join(vulndb.DefaultEcosystems, ", ") + ` (named
after the ecosystem), the CISA KEV catalog ("kev"), the FIRST EPSS scores ("epss") and NVD's CVE
feeds, "nvd-2002" to this year's and "nvd-modified" (` + vulndb.NVDFeedBase + `nvdcve-2.0-YEAR.json.gz;
--nvd-base moves them all, --no-nvd leaves them out). A sources file (default
` + "`<user config dir>/rampart/sources.conf`" + ` when it exists) and --source flags add to or override
them, one NAME=URL per line or flag; NAME= with no URL drops a source, a line "no-defaults" (or
--no-defaults) starts from none, and the lines "nvd-base=URL" and "no-nvd" work as the flags.

Downloads are conditional (ETag, Last-Modified): an unchanged source is not downloaded again. With
--offline nothing is downloaded and the database is rebuilt from the files downloaded before.
Any failure leaves the previous database in place.`,
		Example: "  rampart db update\n  rampart db update --no-defaults --source Go=https://mirror.example/osv/Go/all.zip\n  rampart db update --nvd-base https://mirror.example/nvd/ --source epss=https://mirror.example/epss_scores-current.csv.gz\n  rampart db update --offline",
		Args:    UsageArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			sources, err := uf.resolve()
			if err != nil {
				return err
			}
			opts := vulndb.UpdateOptions{Offline: uf.offline, Timeout: uf.timeout, Logger: g.Logger, AllowEmpty: uf.allowEmpty}
			p := newDownloadProgress(g.Stderr, g.Quiet)
			if p != nil {
				opts.Progress = p.update
				defer p.finish()
			}
			st, err := vulndb.Update(cmd.Context(), f.dir, sources, opts)
			p.finish()
			if err != nil {
				return dbError(err)
			}
			return printDBResult(g, f, st.Import, &st)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&uf.sources, "source", nil, "add or override a source: NAME=URL (NAME= drops it); repeatable")
	fl.StringVar(&uf.sourcesFile, "sources-file", "", "file of NAME=URL lines (default <user config dir>/rampart/sources.conf if present)")
	fl.BoolVar(&uf.noDefaults, "no-defaults", false, "start from no sources: only --source and the sources file")
	fl.StringVar(&uf.nvdBase, "nvd-base", "", "download NVD's feeds (nvdcve-2.0-YEAR.json.gz, -modified) from this directory URL (default "+vulndb.NVDFeedBase+")")
	fl.BoolVar(&uf.noNVD, "no-nvd", false, "leave NVD's feeds out of the default sources")
	fl.BoolVar(&uf.offline, "offline", false, "never touch the network: rebuild from the sources downloaded before")
	fl.DurationVar(&uf.timeout, "timeout", 60*time.Second, "give up on a download when no data arrives for this long")
	fl.BoolVar(&uf.allowEmpty, "allow-empty", false, allowEmptyUsage)
	return cmd
}

// resolve merges the default sources, the sources file and the flags, in that order.
func (uf *updateFlags) resolve() ([]vulndb.Source, error) {
	var lines []string
	file := uf.sourcesFile
	if file == "" {
		if d, err := os.UserConfigDir(); err == nil {
			file = filepath.Join(d, "rampart", "sources.conf")
			if _, err := os.Stat(file); err != nil {
				file = ""
			}
		}
	}
	noDefaults, noNVD, nvdBase := uf.noDefaults, uf.noNVD, ""
	if file != "" {
		fl, err := readSourcesFile(file)
		if err != nil {
			return nil, err
		}
		for _, l := range fl {
			switch name, url, _ := strings.Cut(l, "="); {
			case l == "no-defaults":
				noDefaults = true
			case l == "no-nvd":
				noNVD = true
			case strings.TrimSpace(name) == "nvd-base":
				nvdBase = strings.TrimSpace(url)
			default:
				lines = append(lines, l)
			}
		}
	}
	if uf.nvdBase != "" {
		nvdBase = uf.nvdBase
	}
	lines = append(lines, uf.sources...)
	var out []vulndb.Source
	if !noDefaults {
		out = vulndb.DefaultSources()
		if noNVD || nvdBase != "" {
			out = slices.DeleteFunc(out, func(s vulndb.Source) bool { return strings.HasPrefix(s.URL, vulndb.NVDFeedBase) })
		}
		if !noNVD && nvdBase != "" {
			out = append(out, vulndb.NVDSources(nvdBase, time.Now().UTC().Year())...)
		}
	}
	for _, l := range lines {
		name, url, ok := strings.Cut(l, "=")
		name, url = strings.TrimSpace(name), strings.TrimSpace(url)
		if !ok || name == "" {
			return nil, WithCode(ExitUsage, fmt.Errorf("source %q: want NAME=URL", l))
		}
		i := slices.IndexFunc(out, func(s vulndb.Source) bool { return s.Name == name })
		switch {
		case url == "" && i >= 0:
			out = slices.Delete(out, i, i+1)
		case url == "":
		case i >= 0:
			out[i].URL = url
		default:
			out = append(out, vulndb.Source{Name: name, URL: url})
		}
	}
	if len(out) == 0 {
		return nil, WithCode(ExitUsage, errors.New("no sources to update from"))
	}
	return out, nil
}

// readSourcesFile reads NAME=URL lines; blank lines and # comments are skipped.
func readSourcesFile(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, WithCode(ExitNotFound, fmt.Errorf("sources file: %w", err))
		}
		return nil, fmt.Errorf("sources file: %w", err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sources file %s: %w", path, err)
	}
	return out, nil
}

func newDBStatusCmd(g *Globals, f *dbFlags) *cobra.Command {
	var maxAge time.Duration
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the database's sources, record counts and age",
		Args:  UsageArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := vulndb.Open(f.dir)
			if err != nil {
				return dbError(err)
			}
			defer db.Close()
			st, err := db.Status()
			if err != nil {
				return dbError(err)
			}
			warning := vulndb.CheckAge(st, maxAge)
			if f.out.Format == "json" {
				return WriteJSON(g.Stdout, struct {
					vulndb.Status
					AgeWarning string `json:"age_warning,omitempty"`
				}{st, warning})
			}
			return writeStatusText(g.Stdout, st, warning, time.Now())
		},
	}
	cmd.Flags().DurationVar(&maxAge, "max-age", vulndb.DefaultMaxAge, "warn when the data is older than this (0: never)")
	return cmd
}

// dbError maps vulndb's errors to exit codes, with a hint where one helps.
func dbError(err error) error {
	switch {
	case errors.Is(err, vulndb.ErrUnreachable):
		return WithCode(ExitUnreachable, err)
	case errors.Is(err, fs.ErrNotExist):
		return WithCode(ExitNotFound, err)
	case errors.Is(err, vulndb.ErrEmptySource), errors.Is(err, vulndb.ErrShrink):
		return WithCode(ExitInvalid, fmt.Errorf("%w; the database was left as it was (--allow-empty to replace it anyway)", err))
	case errors.Is(err, vulndb.ErrInvalidSource), errors.Is(err, vulndb.ErrChecksum):
		return WithCode(ExitInvalid, err)
	case errors.Is(err, vulndb.ErrNoDatabase):
		return WithCode(ExitDatabase, fmt.Errorf("%w; run `rampart db update` or `rampart db import data/vulndb`", err))
	case errors.Is(err, vulndb.ErrNotDownloaded):
		return WithCode(ExitDatabase, err)
	case errors.Is(err, vulndb.ErrCorrupt), errors.Is(err, vulndb.ErrSchema):
		// The error names the file; say what to do about it.
		return WithCode(ExitDatabase, fmt.Errorf("%w; run `rampart db import` or `rampart db update` to rebuild it", err))
	}
	if CodeFor(err) != ExitError {
		return err // context cancellation, deadlines
	}
	return WithCode(ExitDatabase, err)
}

func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printDBResult reports an import or update.
func printDBResult(g *Globals, f *dbFlags, st vulndb.Stats, up *vulndb.UpdateStats) error {
	if f.out.Format == "json" {
		if up != nil {
			return WriteJSON(g.Stdout, up)
		}
		return WriteJSON(g.Stdout, st)
	}
	w := g.Stdout
	if up != nil {
		if len(up.Downloaded) > 0 {
			fmt.Fprintf(w, "downloaded: %s\n", strings.Join(up.Downloaded, ", "))
		}
		if len(up.NotModified) > 0 {
			fmt.Fprintf(w, "not modified: %s\n", strings.Join(up.NotModified, ", "))
		}
	}
	fmt.Fprintf(w, "imported %d records from %d sources (%d withdrawn skipped, %d invalid, %d duplicates), %d KEV entries, %d EPSS scores, %d NVD CVEs, %d malware hashes in %s\n",
		st.Records, len(st.Sources), st.Withdrawn, st.Invalid, st.Duplicates, st.KEV, st.EPSS, st.NVD, st.Malware, st.Duration.Round(time.Millisecond))
	fmt.Fprintf(w, "database: %s\n", st.Path)
	if len(st.Warnings) > 0 {
		fmt.Fprintf(w, "%d records skipped as invalid; first:\n", st.Invalid)
		for _, s := range st.Warnings[:min(len(st.Warnings), 5)] {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	return nil
}

func writeStatusText(w io.Writer, st vulndb.Status, warning string, now time.Time) error {
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return fmt.Sprintf("%s (%s ago)", t.UTC().Format("2006-01-02 15:04 MST"), ageString(now.Sub(t)))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "database:\t%s\n", st.Path)
	fmt.Fprintf(tw, "schema:\t%d\n", st.SchemaVersion)
	fmt.Fprintf(tw, "built:\t%s\n", day(st.BuiltAt))
	fmt.Fprintf(tw, "data updated:\t%s\n", day(st.Updated))
	fmt.Fprintf(tw, "records:\t%d (%d withdrawn skipped, %d invalid)\n", st.Records, st.Withdrawn, st.Invalid)
	fmt.Fprintf(tw, "KEV entries:\t%d\n", st.KEV)
	fmt.Fprintf(tw, "EPSS scores:\t%d\n", st.EPSS)
	fmt.Fprintf(tw, "NVD CVEs:\t%d\n", st.NVD)
	fmt.Fprintf(tw, "malware hashes:\t%d\n", st.Malware)
	tw.Flush()
	fmt.Fprintln(w)
	ecos := make([]string, 0, len(st.Ecosystems))
	for e := range st.Ecosystems {
		ecos = append(ecos, e)
	}
	sort.Strings(ecos)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ECOSYSTEM\tRECORDS")
	for _, e := range ecos {
		fmt.Fprintf(tw, "%s\t%d\n", e, st.Ecosystems[e])
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tKIND\tENTRIES\tDATA UPDATED\tIMPORTED\tORIGIN")
	for _, s := range st.Sources {
		origin := s.URL
		if origin == "" {
			origin = s.Path
		}
		upd := "-"
		if !s.Updated.IsZero() {
			upd = s.Updated.UTC().Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", s.Name, s.Kind, s.Entries(), upd, s.ImportedAt.UTC().Format("2006-01-02"), origin)
	}
	tw.Flush()
	if warning != "" {
		fmt.Fprintf(w, "\nwarning: %s\n", warning)
	}
	return nil
}

// ageString renders an age coarsely: minutes, hours or days.
func ageString(d time.Duration) string {
	switch {
	case d < 0:
		return "0m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// downloadProgress draws one status line on a terminal while sources download.
type downloadProgress struct {
	mu    sync.Mutex
	w     io.Writer
	done  map[string]int64
	total map[string]int64
	last  time.Time
	drawn bool
}

// newDownloadProgress returns nil unless w is a terminal and the user did not ask for quiet.
func newDownloadProgress(w io.Writer, quiet bool) *downloadProgress {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &downloadProgress{w: w, done: map[string]int64{}, total: map[string]int64{}}
}

func (p *downloadProgress) update(source string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done[source], p.total[source] = done, total
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	var sum int64
	var active []string
	for s, d := range p.done {
		sum += d
		if t := p.total[s]; t <= 0 || d < t {
			active = append(active, s)
		}
	}
	sort.Strings(active)
	fmt.Fprintf(p.w, "\r\033[Kdownloading: %.1f MB (%s)", float64(sum)/1e6, strings.Join(active, ", "))
	p.drawn = true
}

// finish clears the status line; safe on nil and when called twice.
func (p *downloadProgress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}
