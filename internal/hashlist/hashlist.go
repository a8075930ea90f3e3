// Package hashlist reads lists of known-malicious file hashes in the formats public feeds use:
// sha256sum output and MalwareBazaar-style CSV exports. It is a leaf package: the malware scanner
// and the vulnerability database (which stores imported lists) both use it.
package hashlist

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Entry describes a known-malicious file.
type Entry struct {
	Name   string // malware family or signature name, when the feed gives one; else "listed"
	Source string // the list it came from
}

// MaxLine is the longest line [Parse] reads; a longer one fails the whole list.
const MaxLine = 1 << 20

var sha256RE = regexp.MustCompile(`(?i)\b[0-9a-f]{64}\b`)

// sniffRE is a SHA-256 standing alone in a field: between line ends, blanks, quotes or commas.
var sniffRE = regexp.MustCompile(`(?i)(?:^|[\s",])[0-9a-f]{64}(?:$|[\s",])`)

// Sniff reports whether head, the start of a file, looks like a hash list: its first line that
// is neither blank nor a '#' comment holds a 64-hex SHA-256 as a field of its own.
func Sniff(head []byte) bool {
	for _, line := range bytes.Split(head, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		return sniffRE.Match(line)
	}
	return false
}

// Parse reads SHA-256 hashes: one hash per line (optionally followed by a name, as sha256sum
// prints), or CSV rows with a quoted or bare 64-hex field (MalwareBazaar-style exports, whose
// "signature" column, when the commented header names one, gives the family). Lines starting
// with '#' are comments. Lines without a hash are skipped and counted. Hashes are returned in
// lower case; source is recorded in every entry.
func Parse(r io.Reader, source string) (map[string]Entry, int, error) {
	out := map[string]Entry{}
	skipped := 0
	sigCol := -1
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			// MalwareBazaar puts its CSV header in a comment.
			if cols := splitCSV(strings.TrimSpace(strings.TrimPrefix(line, "#"))); len(cols) > 1 {
				for i, c := range cols {
					if c == "signature" {
						sigCol = i
					}
				}
			}
			continue
		}
		h := sha256RE.FindString(line)
		if h == "" {
			skipped++
			continue
		}
		e := Entry{Source: source}
		if strings.Contains(line, ",") {
			cols := splitCSV(line)
			if sigCol >= 0 && sigCol < len(cols) && cols[sigCol] != "n/a" {
				e.Name = cols[sigCol]
			}
		} else if f := strings.Fields(line); len(f) > 1 {
			e.Name = strings.TrimPrefix(f[1], "*")
		}
		if e.Name == "" {
			e.Name = "listed"
		}
		out[strings.ToLower(h)] = e
	}
	if err := sc.Err(); err != nil {
		return nil, skipped, fmt.Errorf("hash list %s: %w", source, err)
	}
	return out, skipped, nil
}

func splitCSV(line string) []string {
	var cols []string
	for _, c := range strings.Split(line, ",") {
		cols = append(cols, strings.Trim(strings.TrimSpace(c), `"`))
	}
	return cols
}
