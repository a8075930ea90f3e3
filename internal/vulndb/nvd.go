package vulndb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// This file reads NVD's CVE feeds (JSON 2.0: nvdcve-2.0-YYYY.json.gz, nvdcve-2.0-modified.json.gz)
// into the nvd bucket: per CVE, the CVSS vectors NVD and the CNAs scored and a short title.
// Only the CVEs some imported record names are kept, so the feeds are read after every other
// source of the import.

// NVDEntry is what NVD's feeds say about one CVE.
type NVDEntry struct {
	CVE string `json:"cve"`
	// Modified is the CVE's lastModified time in the feed: of two feeds holding the CVE (a
	// yearly one and -modified), the later entry is kept.
	Modified time.Time `json:"modified"`
	// Title is the start of the English description: its first sentence, at most 200 bytes.
	Title string `json:"title,omitempty"`
	// Metrics lists the CVSS assessments, NVD's own ("Primary") first, then the CNAs', each
	// group from the newest CVSS version down.
	Metrics []NVDMetric `json:"metrics,omitempty"`
	// Feed names the source the entry was read from ("nvd-2023", "nvdcve-2.0-modified.json.gz").
	Feed string `json:"feed,omitempty"`
}

// NVDMetric is one CVSS assessment of a CVE as NVD publishes it.
type NVDMetric struct {
	// Version is the CVSS version: "4.0", "3.1", "3.0" or "2.0".
	Version string `json:"version"`
	// Vector is the vector string as published; CVSS 2.0 vectors carry no "CVSS:" prefix.
	Vector string  `json:"vector"`
	Score  float64 `json:"score"`
	// Source is who scored it: "nvd@nist.gov", or a CNA's address or UUID.
	Source string `json:"source,omitempty"`
	// Primary is set for NVD's own assessment; the CNAs' are "Secondary" in the feed.
	Primary bool `json:"primary,omitempty"`
}

// nvdFeedItem is the part of one vulnerabilities[] element that Rampart reads.
type nvdFeedItem struct {
	CVE struct {
		ID           string `json:"id"`
		LastModified string `json:"lastModified"`
		VulnStatus   string `json:"vulnStatus"`
		Descriptions []struct {
			Lang  string `json:"lang"`
			Value string `json:"value"`
		} `json:"descriptions"`
		Metrics struct {
			V40 []nvdFeedMetric `json:"cvssMetricV40"`
			V31 []nvdFeedMetric `json:"cvssMetricV31"`
			V30 []nvdFeedMetric `json:"cvssMetricV30"`
			V2  []nvdFeedMetric `json:"cvssMetricV2"`
		} `json:"metrics"`
	} `json:"cve"`
}

type nvdFeedMetric struct {
	Source   string `json:"source"`
	Type     string `json:"type"`
	CVSSData struct {
		Version      string  `json:"version"`
		VectorString string  `json:"vectorString"`
		BaseScore    float64 `json:"baseScore"`
	} `json:"cvssData"`
}

// isNVD reports whether the start of a JSON document is an NVD CVE feed (or an API 2.0 response,
// which has the same shape).
func isNVD(head []byte) bool {
	return bytes.Contains(head, []byte(`"NVD_CVE"`)) ||
		(bytes.Contains(head, []byte(`"vulnerabilities"`)) && bytes.Contains(head, []byte(`"cve"`)) && !bytes.Contains(head, []byte(`"cveID"`)))
}

// nvdFeed is an NVD feed waiting for the end of the import.
type nvdFeed struct {
	path string
	open func() (io.ReadCloser, error)
	sm   SourceMeta
}

// readNVD reads one feed, keeping the entries of the CVEs in want, the later of two for one CVE.
func (b *builder) readNVD(ctx context.Context, f *nvdFeed, want map[string]bool) error {
	r, err := f.open()
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidSource, f.path, err)
	}
	defer r.Close()
	sm := &f.sm
	bad := func(err error) error {
		return fmt.Errorf("%w: %s: NVD feed: %w", ErrInvalidSource, f.path, err)
	}
	// A decoder holds a whole value in memory: one value (an item, or a key skipped) may not
	// take more than maxRecordSize of the stream, so a damaged or hostile feed cannot make it
	// buffer gigabytes.
	win := &windowReader{r: r, max: maxRecordSize}
	dec := json.NewDecoder(win)
	if t, err := dec.Token(); err != nil {
		return bad(err)
	} else if d, ok := t.(json.Delim); !ok || d != '{' {
		return bad(fmt.Errorf("not a JSON object"))
	}
	n := 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		key, _ := t.(string)
		switch key {
		case "timestamp":
			var ts string
			if err := dec.Decode(&ts); err != nil {
				return bad(fmt.Errorf("timestamp: %w", err))
			}
			if t, ok := parseNVDTime(ts); ok {
				sm.Updated = t
			}
		case "vulnerabilities":
			if t, err := dec.Token(); err != nil {
				return bad(err)
			} else if d, ok := t.(json.Delim); !ok || d != '[' {
				return bad(fmt.Errorf("vulnerabilities is not an array"))
			}
			for i := 0; dec.More(); i++ {
				if n++; n%4096 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				var item nvdFeedItem
				win.reset()
				if err := dec.Decode(&item); err != nil {
					// The stream is lost after a syntax error: the file is damaged.
					return bad(fmt.Errorf("vulnerabilities[%d]: %w", i, err))
				}
				b.addNVDItem(f, &item, i, want)
			}
			if _, err := dec.Token(); err != nil {
				return bad(err)
			}
		default:
			var skip json.RawMessage
			win.reset()
			if err := dec.Decode(&skip); err != nil {
				return bad(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return bad(err)
	}
	return nil
}

// addNVDItem takes one feed entry.
func (b *builder) addNVDItem(f *nvdFeed, item *nvdFeedItem, i int, want map[string]bool) {
	c := &item.CVE
	sm := &f.sm
	if !strings.HasPrefix(c.ID, "CVE-") {
		b.warn(sm, fmt.Sprintf("%s: vulnerabilities[%d]: id %q is not a CVE id", filepath.Base(f.path), i, c.ID))
		return
	}
	if strings.EqualFold(c.VulnStatus, "Rejected") {
		sm.Withdrawn++
		return
	}
	sm.NVD++
	if !want[c.ID] {
		return
	}
	e := NVDEntry{CVE: c.ID, Feed: sm.Name}
	e.Modified, _ = parseNVDTime(c.LastModified)
	for _, d := range c.Descriptions {
		if d.Lang == "en" {
			e.Title = nvdTitle(d.Value)
			break
		}
	}
	for _, primary := range []bool{true, false} {
		for _, list := range [][]nvdFeedMetric{c.Metrics.V40, c.Metrics.V31, c.Metrics.V30, c.Metrics.V2} {
			for _, m := range list {
				if (m.Type == "Primary") != primary || m.CVSSData.VectorString == "" {
					continue
				}
				e.Metrics = append(e.Metrics, NVDMetric{
					Version: m.CVSSData.Version, Vector: m.CVSSData.VectorString, Score: m.CVSSData.BaseScore,
					Source: m.Source, Primary: primary,
				})
			}
		}
	}
	if len(e.Metrics) == 0 && e.Title == "" {
		return
	}
	if old, ok := b.nvd[c.ID]; ok && e.Modified.Before(old.Modified) {
		return
	}
	b.nvd[c.ID] = e
}

// nvdTitle shortens a CVE description to a title: its first sentence or line, at most 200 bytes.
func nvdTitle(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	const most = 200
	if len(s) > most {
		cut := most
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if sp := strings.LastIndexByte(s[:cut], ' '); sp > most/2 {
			cut = sp
		}
		s = strings.TrimRight(s[:cut], " ,;:") + "…"
	}
	return s
}

// parseNVDTime reads NVD's timestamps: "2024-01-21T02:23:03.223", no zone (UTC), or RFC 3339.
// windowReader fails a read once more than max bytes were read since the last reset: the
// bound on one JSON value of a streamed feed (plus the decoder's read-ahead).
type windowReader struct {
	r      io.Reader
	n, max int64
}

func (w *windowReader) reset() { w.n = 0 }

func (w *windowReader) Read(p []byte) (int, error) {
	if w.n > w.max {
		return 0, fmt.Errorf("an entry larger than %d bytes", w.max)
	}
	n, err := w.r.Read(p)
	w.n += int64(n)
	return n, err
}

func parseNVDTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// addNVDFeeds reads the feeds put aside during the import, keeping the CVEs the imported records
// name (as id, alias or upstream), and records their sources.
func (b *builder) addNVDFeeds(ctx context.Context) error {
	if len(b.nvdFeeds) == 0 {
		return nil
	}
	want := map[string]bool{}
	for id, r := range b.recs {
		if strings.HasPrefix(id, "CVE-") {
			want[id] = true
		}
		for _, a := range r.aliases {
			if strings.HasPrefix(a, "CVE-") {
				want[a] = true
			}
		}
	}
	for _, f := range b.nvdFeeds {
		if err := b.readNVD(ctx, f, want); err != nil {
			return err
		}
		if err := b.recordSource(f.path, &f.sm); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(b.nvd))
	for id := range b.nvd {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketNVD)
		bk.FillPercent = 1
		for _, id := range ids {
			js, err := json.Marshal(b.nvd[id])
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(id), js); err != nil {
				return err
			}
		}
		return nil
	})
}

// NVD returns what NVD's feeds say about cve, and whether the database has it: only CVEs that
// an imported record names are kept. A nil *DB, a closed DB, a database imported without NVD
// feeds and an unreadable entry (logged) report false.
func (d *DB) NVD(cve string) (NVDEntry, bool) {
	var e NVDEntry
	found := d.getJSON(bucketNVD, cve, maxNVDEntry, &e)
	return e, found
}
