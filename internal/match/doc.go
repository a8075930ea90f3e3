// Package match turns an inventory into vulnerability findings by looking every package up in
// a [Source] of OSV records and evaluating the records' version ranges.
//
// # Usage
//
//	m := match.New(db, match.Options{Compare: version.Compare})
//	findings, warnings, err := m.Match(ctx, inv)
//
// [Matcher.Match] returns findings sorted by [Sort] and warnings for everything it could not
// decide: an unknown OS, an unparsable version, an ecosystem without a version ordering, a
// malformed CVSS vector. Nothing undecidable is reported as "not vulnerable" without a warning.
//
// # Rules
//
//   - Records with withdrawn set are ignored.
//   - Ranges: ECOSYSTEM ranges use the ecosystem's ordering ([Options.Compare]); SEMVER ranges
//     use SemVer 2.0 precedence; GIT ranges are skipped, but an affected entry's explicit
//     versions list still applies. Events (introduced, fixed, last_affected, limit) are
//     evaluated as the OSV schema describes; several ranges and affected entries combine by "or".
//   - OS packages (deb, apk, rpm) are matched only in their distribution's ecosystem
//     ("Debian:12"), under their source package name and version; with no OS ecosystem they
//     are not matched and a warning says so.
//   - Language packages owned by an OS package (OwnedBy set) are the distribution's to patch
//     and are not matched against upstream advisories.
//   - Go: the main module at "(devel)" is skipped; "stdlib" is matched with the toolchain
//     version; each Go finding says in Extra["symbol"] whether a vulnerable symbol is linked in.
//   - Records of one package that name each other (id, aliases, upstream) become one finding.
//
// A Matcher is safe for concurrent use if its Source is.
package match
