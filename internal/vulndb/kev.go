package vulndb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// This file reads the CISA Known Exploited Vulnerabilities catalog into the kev bucket.

// kevCatalog is the part of CISA's known_exploited_vulnerabilities.json that Rampart keeps.
type kevCatalog struct {
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Vulnerabilities []struct {
		CVEID                      string `json:"cveID"`
		VendorProject              string `json:"vendorProject"`
		Product                    string `json:"product"`
		VulnerabilityName          string `json:"vulnerabilityName"`
		DateAdded                  string `json:"dateAdded"`
		DueDate                    string `json:"dueDate"`
		KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

// looksLikeKEV is a cheap test run before the full decode, so OSV records are parsed once.
func looksLikeKEV(raw []byte) bool {
	head := raw[:min(len(raw), 4096)]
	return bytes.Contains(head, []byte(`"catalogVersion"`)) || (bytes.Contains(head, []byte(`"vulnerabilities"`)) && bytes.Contains(head, []byte(`"cveID"`)))
}

func parseKEV(raw []byte) (*kevCatalog, error) {
	var c kevCatalog
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if len(c.Vulnerabilities) > kevMaxEntries {
		return nil, fmt.Errorf("%d entries, more than %d", len(c.Vulnerabilities), kevMaxEntries)
	}
	return &c, nil
}

// storeKEV stores the entries of catalog c, read from name; an entry without a CVE id is invalid.
func (b *builder) storeKEV(name string, c *kevCatalog, sm *SourceMeta) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, c.DateReleased); err == nil {
			if t.After(sm.Updated) {
				sm.Updated = t.UTC()
			}
			break
		}
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketKEV)
		for i, v := range c.Vulnerabilities {
			if !strings.HasPrefix(v.CVEID, "CVE-") {
				b.warn(sm, fmt.Sprintf("%s: vulnerabilities[%d]: cveID %q is not a CVE id", name, i, v.CVEID))
				continue
			}
			js, err := json.Marshal(KEVEntry{
				CVE: v.CVEID, VendorProject: v.VendorProject, Product: v.Product, Name: v.VulnerabilityName,
				DateAdded: v.DateAdded, DueDate: v.DueDate, RansomwareUse: v.KnownRansomwareCampaignUse,
			})
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(v.CVEID), js); err != nil {
				return err
			}
			sm.KEV++
		}
		return nil
	})
}
