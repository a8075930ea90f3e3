// Package vulndb is Rampart's local vulnerability database: OSV advisories indexed by ecosystem
// and package, with the CISA Known Exploited Vulnerabilities catalog, FIRST EPSS scores and the
// CVSS vectors of NVD's CVE feeds beside them, in one bbolt file.
//
// # Usage
//
// Build or replace the database from files with [Import], or download and rebuild with [Update];
// read it with [Open]:
//
//	st, err := vulndb.Import(ctx, dir, []string{"Go-all.zip", "known_exploited_vulnerabilities.json"}, vulndb.ImportOptions{})
//	db, err := vulndb.Open(dir)
//	defer db.Close()
//	recs, err := db.Lookup(ctx, "PyPI", "Django")      // name normalised: "django"
//	kev, ok := db.KEV("CVE-2021-44228")
//	nvd, ok := db.NVD("CVE-2021-44228")                 // CVSS vectors and a title, when NVD feeds were imported
//
// # Names
//
// Ecosystems are OSV's ("Go", "npm", "PyPI", "Debian:12", "Alpine:v3.20", …); [NormalizeEcosystem]
// fixes their case. Package names are compared in [NormalizeName]'s form, which the importer and
// [DB.Lookup] both apply and a matcher can reuse. A lookup for "Debian:12" also finds records that
// name bare "Debian"; a lookup for bare "Debian" finds every release's.
//
// # Files
//
// The database is the file [FileName] in its directory; [Update] keeps downloads and their
// ETag/Last-Modified/sha256 in the [DownloadDir] subdirectory. Writers never modify a database in
// place: they write a new file and rename it over the old one, so readers see the old or the new
// database, whole.
package vulndb
