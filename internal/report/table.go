package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/result"
	"github.com/rampartsec/rampart/internal/termtext"
)

// WriteTable writes a human-readable summary: the artifact, its packages when listPackages is
// set, and the findings.
func WriteTable(w io.Writer, r *result.Report, listPackages bool) error {
	a := r.Artifact
	fmt.Fprintf(w, "%s (%s)\n", Clean(a.Name), Clean(osLabel(r)))
	if a.Digest != "" {
		fmt.Fprintf(w, "digest: %s\n", Clean(a.Digest))
	}
	fmt.Fprintf(w, "%d packages, %d findings\n", len(r.Packages), len(r.Findings))
	if listPackages && len(r.Packages) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tNAME\tVERSION\tSOURCE\tLAYER\tPATH")
		for _, p := range r.Packages {
			src := p.SourceName
			if p.SourceVersion != "" && p.SourceVersion != p.Version {
				src += " " + p.SourceVersion
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", Clean(string(p.Type)), Clean(p.Name), Clean(p.Version), Clean(src), p.LayerIndex, Clean(p.Location()))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tID\tSEVERITY\tPACKAGE / LOCATION\tFIXED IN\tNOTES\tTITLE")
		for _, f := range r.Findings {
			where := Where(&f)
			if f.Package != nil {
				where = f.Package.Name + " " + f.Package.Version
				// Copies of one library at several paths are told apart; an OS package's
				// database path says nothing.
				if p := f.Location.Path; p != "" && !isOSPackageDB(p) {
					where += " " + p
				}
			}
			fixed := ""
			if f.FixedVersion != nil {
				fixed = *f.FixedVersion
			} else if f.Kind == "vulnerability" {
				fixed = "no fix yet"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", Clean(string(f.Kind)), Clean(f.ID), Clean(string(f.Severity)),
				Clean(where), Clean(fixed), Clean(notes(&f)), truncate(Clean(f.Title), 60))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if r.Summary != nil {
		fmt.Fprintln(w)
		fmt.Fprintln(w, SummaryLine(r.Summary, len(r.Findings)))
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", Clean(warn))
	}
	return nil
}

// SummaryLine is the last line of a scan's table: the findings by severity, how many are
// fixable or known exploited, and what filters left out.
func SummaryLine(s *result.Summary, total int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Total: %d findings (", total)
	for i, sev := range []finding.Severity{finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium, finding.SeverityLow, finding.SeverityUnknown} {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", sev, s.BySeverity[sev])
	}
	fmt.Fprintf(&b, "); %d fixable, %d known exploited (KEV)", s.Fixable, s.KEV)
	if s.Hidden > 0 {
		fmt.Fprintf(&b, "; %d hidden by --severity/--ignore-unfixed", s.Hidden)
	}
	if s.Suppressed > 0 {
		fmt.Fprintf(&b, "; %d suppressed by VEX or ignore rules", s.Suppressed)
	}
	return b.String()
}

// isOSPackageDB reports whether p is an OS package manager's database.
func isOSPackageDB(p string) bool {
	for _, prefix := range []string{"var/lib/dpkg/", "lib/apk/db/", "var/lib/rpm/", "usr/lib/sysimage/rpm/", "usr/share/rpm/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// Where names the place of a finding that is not about a package: the file and line, the
// object (kind/namespace/name, and container), and the field, each when known.
func Where(f *finding.Finding) string {
	var parts []string
	if p := f.Location.Path; p != "" {
		if f.Location.Line > 0 {
			p = fmt.Sprintf("%s:%d", p, f.Location.Line)
		}
		parts = append(parts, p)
	}
	if r := f.Resource; r != nil && r.Kind != "" {
		obj := r.Kind + "/"
		if r.Namespace != "" {
			obj += r.Namespace + "/"
		}
		obj += r.Name
		if r.Container != "" {
			obj += " [" + r.Container + "]"
		}
		parts = append(parts, obj)
	}
	if f.Location.Field != "" {
		parts = append(parts, f.Location.Field)
	}
	return strings.Join(parts, " ")
}

// notes sums up what raises or lowers a finding's urgency: known exploitation (KEV), the EPSS
// probability, and whether a Go binary links the vulnerable code ("symbol absent").
func notes(f *finding.Finding) string {
	var n []string
	if f.KEV {
		n = append(n, "KEV")
	}
	if f.EPSS != nil {
		n = append(n, fmt.Sprintf("EPSS %.0f%%", *f.EPSS*100))
	}
	if s := f.Extra["symbol"]; s != "" {
		n = append(n, "symbol "+s)
	}
	if len(n) == 0 {
		return "-"
	}
	return strings.Join(n, ", ")
}

func osLabel(r *result.Report) string {
	o := r.Artifact.OS
	if o.Family == "" || o.Family == "unknown" {
		return "OS unknown"
	}
	s := strings.TrimSpace(o.Family + " " + o.Version)
	if o.Distroless {
		s += ", distroless"
	}
	return s
}

// truncate shortens s to at most n characters (runes), ending in "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Clean makes text safe to print on a terminal and in a table (see [termtext.Clean]).
func Clean(s string) string { return termtext.Clean(s) }
