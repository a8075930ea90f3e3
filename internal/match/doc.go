// Package match turns an inventory into vulnerability (and malicious-package) findings by
// looking every package up in a [Source] of OSV records (internal/vulndb's DB is one) and
// evaluating the records' version ranges. It also reads the two ways a user suppresses
// findings afterwards: an ignore file ([ParseIgnoreFile]) and an OpenVEX document ([ParseVEX]).
//
// # Usage
//
//	m := match.New(db, match.Options{KEV: isKEV, EPSS: epss, Covered: status.Covers, Logger: log})
//	findings, warnings, err := m.Match(ctx, inv)
//	findings, suppressed := vex.Apply(findings, rep.Artifact.Digest, rep.Artifact.ID)
//	findings, ignored, expired := ignore.Apply(findings, time.Now())
//
// [Matcher.Match] returns findings sorted by [Sort] and warnings for everything it could not
// decide: an unrecognised OS, a package without ecosystem or version, a Go module replaced by a
// local directory, an ecosystem the source holds no advisories for ([Options.Covered]), an
// unparsable installed or event version, an ecosystem without a version ordering, an
// unsupported range type, a CVSS vector that does not score. A problem shared by several
// records of one package is one warning naming them. Nothing undecidable is reported as "not
// vulnerable" without a warning. Match fails only when the Source fails or ctx ends.
//
// # Rules
//
//   - Records with withdrawn set are ignored.
//   - An affected entry applies when its ecosystem is the package's, or the same release with
//     further qualifiers ("Ubuntu:22.04:LTS" for "Ubuntu:22.04"), and its name is the package's
//     (PyPI names compared as PEP 503 normalises them).
//   - Versions: an entry's explicit versions list matches by equality (or equality under the
//     ecosystem's ordering: "1.0" and "1.0.0" in PyPI). ECOSYSTEM ranges use the ecosystem's
//     ordering (internal/version); SEMVER ranges use SemVer 2.0 precedence (Go's leading "v"
//     dropped); GIT ranges are skipped; other range types are warned about. Events
//     (introduced, fixed, last_affected, limit) are evaluated as the OSV schema describes;
//     several ranges and affected entries combine by "or".
//   - OS packages (deb, apk, rpm) are matched only in their distribution's ecosystem
//     ("Debian:12"), under their source package name and source version; with no OS
//     ecosystem they are not matched and one warning counts them.
//   - Language packages owned by an OS package (OwnedBy set) are the distribution's to patch
//     and are not matched against upstream advisories.
//   - Go: a module at "(devel)" is skipped (the main module silently); "stdlib" is matched
//     with the toolchain version in SemVer form, and a binary whose inventory lists no stdlib
//     gets one from its Go version; an entry whose imports are all limited to other GOOS/GOARCH
//     does not affect the binary; each Go finding says in Extra["symbol"] whether a vulnerable
//     symbol is linked in ([SymbolPresent], [SymbolAbsent], [SymbolUnknown]).
//   - Records of one package that name each other (id, aliases, upstream) become one finding.
//     Its ID is the lowest CVE among them, else the lowest record id; the other identifiers
//     are its aliases and Extra["advisories"] lists the records.
//   - Severity: for OS packages the distribution's rating (Debian urgency, Ubuntu priority);
//     else the rating of the highest CVSS v3.0, v3.1 or v4.0 base score among the records and
//     matched entries; else a rating a record states (GitHub's database_specific.severity, a
//     bare cvss_v3_score); else, when the Source is also a [CVEData] (*vulndb.DB is), the same
//     from the other records of the finding's CVEs, then NVD's CVSS; else CVSS v2 in that order;
//     else UNKNOWN, never a guess. Extra["severity_source"] says which (severity.go). An
//     untitled finding takes the summary of another record of its CVE, or NVD's description.
//   - The fixed version is the lowest fix above the installed version any record gives; the
//     remediation names it (for an OS package matched under its source package, the packages
//     built from that source).
//   - OSV "MAL-" records are malicious packages: the finding is of kind malware, CRITICAL when
//     unrated.
//   - KEV and EPSS come from [Options.KEV] and [Options.EPSS] for every CVE the records name.
//
// # Suppression
//
// [IgnoreFile.Apply] drops findings a live rule names (by ID or alias, optionally limited to a
// package name, source name or PURL) and warns about expired rules, which ignore nothing.
// [VEX.Apply] drops findings whose latest statement (by vulnerability and product PURL, or
// the scanned image's digest) is not_affected or fixed.
//
// A Matcher is safe for concurrent use if its Source is.
package match
