package match

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"time"
)

// ParseIgnore reads an ignore file in either form, told apart by content: Rampart's YAML
// ([ParseIgnoreFile]), or a .trivyignore-style list, one finding ID per line, `#` comments and
// an optional `exp:YYYY-MM-DD` after the ID ([ParseTrivyIgnore]). name is the file's name, said
// in the rules' reasons.
func ParseIgnore(name string, b []byte) (*IgnoreFile, error) {
	if isTrivyIgnore(b) {
		return ParseTrivyIgnore(name, b)
	}
	return ParseIgnoreFile(b)
}

// isTrivyIgnore reports whether b reads as a .trivyignore list: it has at least one rule line,
// and every line that is not blank or a comment starts with an ID without a colon (YAML keys and
// list items have one or start with "-"), followed by nothing but space-separated fields.
func isTrivyIgnore(b []byte) bool {
	rules := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxIgnoreFile)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id := strings.Fields(line)[0]
		if strings.Contains(id, ":") || strings.HasPrefix(id, "-") || strings.HasPrefix(sc.Text(), " ") || strings.HasPrefix(sc.Text(), "\t") {
			return false
		}
		rules++
	}
	return rules > 0 && sc.Err() == nil
}

// ParseTrivyIgnore reads a .trivyignore-style list, as Trivy does: blank lines and lines starting
// with `#` are skipped; the first field of a line is the ID (a vulnerability ID or alias, or a
// rule ID); a field `exp:YYYY-MM-DD` is the expiry date; other fields are ignored. As in Trivy,
// a rule applies until the start (UTC) of its expiry date. Errors wrap [ErrInvalidIgnoreFile].
func ParseTrivyIgnore(name string, b []byte) (*IgnoreFile, error) {
	if len(b) > maxIgnoreFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidIgnoreFile, maxIgnoreFile)
	}
	f := &IgnoreFile{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxIgnoreFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		r := IgnoreRule{ID: fields[0], Reason: "listed in " + name}
		for _, fl := range fields[1:] {
			exp, ok := strings.CutPrefix(fl, "exp:")
			if !ok {
				continue
			}
			d, err := time.Parse(time.DateOnly, exp)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d (%s): %q: want exp:YYYY-MM-DD", ErrInvalidIgnoreFile, n, r.ID, fl)
			}
			r.Expires, r.expires = exp, d
		}
		f.Ignore = append(f.Ignore, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidIgnoreFile, err)
	}
	return f, nil
}
