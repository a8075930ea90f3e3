package vulndb

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultMaxAge is the age past which [CheckAge] warns by default: a week, the rhythm at which
// advisories for a busy ecosystem pile up.
const DefaultMaxAge = 7 * 24 * time.Hour

// CheckAge returns a warning for the user when the database's data is older than maxAge, and ""
// when it is fresh enough or maxAge <= 0 (the check is off). Age is measured from the data's own
// time (the newest record's modified time, the KEV release, the EPSS score date; see
// [Status.Updated]), falling back to the import time, so a database freshly built from months-old
// files still warns. The warning names the sources that are stale. It is advice, never an error:
// a scan with an old database goes on.
func CheckAge(status Status, maxAge time.Duration) string {
	return checkAgeAt(status, maxAge, time.Now())
}

func checkAgeAt(status Status, maxAge time.Duration, now time.Time) string {
	if maxAge <= 0 {
		return ""
	}
	when := func(t, fallback time.Time) time.Time {
		if t.IsZero() {
			return fallback
		}
		return t
	}
	newest := when(status.Updated, status.BuiltAt)
	if newest.IsZero() {
		return "vulnerability database has no date; run `rampart db update`"
	}
	var stale []string
	for _, s := range status.Sources {
		if now.Sub(when(s.Updated, s.ImportedAt)) > maxAge {
			stale = append(stale, s.Name)
		}
	}
	age := now.Sub(newest)
	if age <= maxAge && len(stale) == 0 {
		return ""
	}
	slices.Sort(stale)
	var b strings.Builder
	if age > maxAge {
		fmt.Fprintf(&b, "vulnerability database is %s old (newest data %s)", humanAge(age), newest.UTC().Format("2006-01-02"))
	} else {
		b.WriteString("vulnerability database has stale sources")
	}
	if len(stale) > 0 {
		fmt.Fprintf(&b, "; older than %s: %s", humanAge(maxAge), strings.Join(stale, ", "))
	}
	b.WriteString("; run `rampart db update` for current findings")
	return b.String()
}

// humanAge renders a duration in days (or hours under two days).
func humanAge(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
