package vulndb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// This file reads FIRST EPSS scores (CSV, plain or gzip) into the epss bucket.

func isEPSS(head []byte) bool {
	return bytes.HasPrefix(head, []byte("#model_version")) || bytes.HasPrefix(head, []byte("cve,epss"))
}

// addEPSS reads a FIRST EPSS CSV: an optional "#model_version:…,score_date:…" line, a
// "cve,epss,percentile" header, then one CVE per line.
func (b *builder) addEPSS(ctx context.Context, path string, r io.Reader, sm *SourceMeta) error {
	type row struct {
		cve string
		val [16]byte
	}
	var rows []row
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineSize)
	line := 0
	for sc.Scan() {
		line++
		if line%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "#") {
			for _, kv := range strings.Split(strings.TrimPrefix(text, "#"), ",") {
				k, v, _ := strings.Cut(kv, ":")
				switch k {
				case "model_version":
					sm.EPSSModel = v
				case "score_date":
					if t, ok := parseEPSSDate(v); ok {
						sm.Updated = t
					}
				}
			}
			continue
		}
		f := strings.Split(text, ",")
		if len(f) < 3 || f[0] == "cve" {
			continue
		}
		score, err1 := strconv.ParseFloat(f[1], 64)
		pct, err2 := strconv.ParseFloat(f[2], 64)
		if !strings.HasPrefix(f[0], "CVE-") || err1 != nil || err2 != nil || math.IsNaN(score) || math.IsNaN(pct) {
			b.warn(sm, fmt.Sprintf("%s: line %d: not cve,score,percentile", filepath.Base(path), line))
			continue
		}
		var rw row
		rw.cve = f[0]
		binary.LittleEndian.PutUint64(rw.val[:], math.Float64bits(score))
		binary.LittleEndian.PutUint64(rw.val[8:], math.Float64bits(pct))
		rows = append(rows, rw)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidSource, path, err)
	}
	slices.SortStableFunc(rows, func(x, y row) int { return strings.Compare(x.cve, y.cve) })
	sm.EPSS = len(rows)
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketEPSS)
		bk.FillPercent = 1
		for i := range rows {
			if err := bk.Put([]byte(rows[i].cve), rows[i].val[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

func parseEPSSDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05-0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
