package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampartsec/rampart/internal/malware"
	"github.com/rampartsec/rampart/internal/vulndb"
)

// version is set at build time with -ldflags "-X github.com/rampartsec/rampart/internal/cli.version=…".
var version = ""

// Version returns the build's version: the ldflags value, else the module version, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// BuildInfo is what `rampart version` reports: the build, and what this installation can use.
type BuildInfo struct {
	Version string `json:"version"`
	// Commit is the source revision: the go command's VCS stamp, else the commit `git describe`
	// put in the version; empty when neither says.
	Commit     string    `json:"commit,omitempty"`
	CommitTime time.Time `json:"commit_time,omitzero"`
	// Modified is true when the build's working tree had uncommitted changes.
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
	// YARA is true when this build evaluates YARA rules (built with -tags yara and libyara).
	YARA bool `json:"yara"`
	// Companion is where rampart-kube (config, k8s, graph) was found; empty when it was not.
	Companion string       `json:"companion"`
	Database  DatabaseInfo `json:"database"`
}

// DatabaseInfo describes the vulnerability database a scan would use.
type DatabaseInfo struct {
	Dir     string    `json:"dir"`
	Present bool      `json:"present"`
	Path    string    `json:"path,omitempty"`
	BuiltAt time.Time `json:"built_at,omitzero"`
	// Updated is the newest data in it (see [vulndb.Status]); AgeSeconds is measured from it,
	// else from BuiltAt.
	Updated    time.Time `json:"updated,omitzero"`
	AgeSeconds int64     `json:"age_seconds,omitempty"`
	Records    int       `json:"records,omitempty"`
	// Error says why a database that is there cannot be used.
	Error string `json:"error,omitempty"`
}

var describeCommit = regexp.MustCompile(`(?:^|-g)([0-9a-f]{7,40})(-dirty)?$`)

// readBuildInfo gathers the build's facts and looks for the companion and the database in dbDir.
func readBuildInfo(g *Globals, dbDir string, now time.Time) BuildInfo {
	bi := BuildInfo{
		Version:  Version(),
		Go:       runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
		YARA:     malware.YARAAvailable,
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				bi.Commit = s.Value
			case "vcs.time":
				bi.CommitTime, _ = time.Parse(time.RFC3339, s.Value)
			case "vcs.modified":
				bi.Modified = s.Value == "true"
			}
		}
	}
	if m := describeCommit.FindStringSubmatch(bi.Version); bi.Commit == "" && m != nil {
		bi.Commit, bi.Modified = m[1], m[2] != ""
	}
	if g.companion {
		bi.Companion = "this binary"
	} else if p, err := companionPath(); err == nil {
		bi.Companion = p
	}
	bi.Database = readDatabaseInfo(dbDir, now)
	return bi
}

func readDatabaseInfo(dir string, now time.Time) DatabaseInfo {
	d := DatabaseInfo{Dir: dir}
	db, err := vulndb.Open(dir)
	if errors.Is(err, vulndb.ErrNoDatabase) {
		return d
	}
	d.Present, d.Path = true, filepath.Join(dir, vulndb.FileName)
	if err != nil {
		d.Error = OneLine(err.Error())
		return d
	}
	defer db.Close()
	st, err := db.Status()
	if err != nil {
		d.Error = OneLine(err.Error())
		return d
	}
	d.BuiltAt, d.Updated, d.Records = st.BuiltAt, st.Updated, st.Records
	if t := d.Updated; !t.IsZero() {
		d.AgeSeconds = int64(now.Sub(t).Seconds())
	} else if !d.BuiltAt.IsZero() {
		d.AgeSeconds = int64(now.Sub(d.BuiltAt).Seconds())
	}
	return d
}

func newVersionCmd(g *Globals) *cobra.Command {
	var of OutputFlags
	dbDir := vulnDBDefaultDir()
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print Rampart's version, build and vulnerability database",
		Long: `Print Rampart's version and what this installation has: the commit and Go version it was
built from, whether the YARA engine is built in (for --yara-rules), where the companion
rampart-kube (config, k8s, graph) is, and the vulnerability database a scan would use, with the
age of its data.

The first line is always "rampart VERSION"; -f json writes all of it as one JSON object.`,
		Args: UsageArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			bi := readBuildInfo(g, dbDir, time.Now())
			return of.Write(g.Stdout, func(w io.Writer, format string) error {
				if format == "json" {
					return WriteJSON(w, bi)
				}
				return writeVersionText(w, bi, time.Now())
			})
		},
	}
	of.Register(cmd, "text", []string{"text", "json"})
	cmd.Flags().StringVar(&dbDir, "db-dir", dbDir, "vulnerability database directory to describe ($RAMPART_DB_DIR)")
	return cmd
}

func writeVersionText(w io.Writer, bi BuildInfo, now time.Time) error {
	if _, err := fmt.Fprintf(w, "rampart %s\n", bi.Version); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	commit := "unknown (built without VCS information)"
	if bi.Commit != "" {
		commit = bi.Commit
		if !bi.CommitTime.IsZero() {
			commit += ", " + bi.CommitTime.UTC().Format(time.DateOnly)
		}
		if bi.Modified {
			commit += ", with uncommitted changes"
		}
	}
	fmt.Fprintf(tw, "commit:\t%s\n", commit)
	fmt.Fprintf(tw, "go:\t%s %s\n", bi.Go, bi.Platform)
	if bi.YARA {
		fmt.Fprintf(tw, "yara:\tbuilt in\n")
	} else {
		fmt.Fprintf(tw, "yara:\tnot built in (--yara-rules needs a build with -tags yara and libyara-dev)\n")
	}
	switch bi.Companion {
	case "":
		fmt.Fprintf(tw, "companion:\t%s not found next to rampart or on PATH (config, k8s and graph need it)\n", CompanionName)
	default:
		fmt.Fprintf(tw, "companion:\t%s\n", bi.Companion)
	}
	d := bi.Database
	switch {
	case !d.Present:
		fmt.Fprintf(tw, "database:\tnone in %s (run `rampart db import data/vulndb` or `rampart db update`)\n", d.Dir)
	case d.Error != "":
		fmt.Fprintf(tw, "database:\t%s: unusable: %s\n", d.Path, d.Error)
	default:
		fmt.Fprintf(tw, "database:\t%s, %d records\n", d.Path, d.Records)
		when := func(t time.Time) string {
			return fmt.Sprintf("%s (%s ago)", t.UTC().Format(time.DateOnly), ageString(now.Sub(t)))
		}
		if !d.Updated.IsZero() {
			fmt.Fprintf(tw, "data updated:\t%s\n", when(d.Updated))
		}
		if !d.BuiltAt.IsZero() {
			fmt.Fprintf(tw, "built:\t%s\n", when(d.BuiltAt))
		}
	}
	return tw.Flush()
}
