// Package version orders package versions the way each ecosystem's own tools do, for matching
// installed packages against OSV advisory ranges. It never compares versions as strings.
//
// # Usage
//
//	c, err := version.Compare("Debian:12", "1.0-1+deb12u1", "1.0-2") // c == -1
//
//	v, err := version.Parse("PyPI", "2.0.0rc1")
//	fixed, err := version.Parse("PyPI", "2.0.0")
//	if v.Compare(fixed) < 0 { … }
//
// [Parse] takes an OSV ecosystem name, with or without its ":release" suffix ("Debian:12" orders
// like "Debian", "Alpine:v3.20" like "Alpine"); letter case is ignored. [Supported] says whether a
// name has an ordering. Errors wrap [ErrUnsupported] or [ErrInvalid], with the ecosystem and the
// version. Strings longer than [MaxLen] are invalid everywhere.
//
// For OSV ranges of type "SEMVER", whatever the ecosystem, use [ParseSemver] and
// [CompareSemver]: strict SemVer 2.0.0 precedence.
//
// OSV's "introduced": "0" means "from the first version" and is the caller's to handle: it is
// not a valid version in every ordering, and where it is, it need not sort first (Go's
// pseudo-version v0.0.0-2019… sorts before v0.0.0).
//
// # Orderings
//
//   - Debian, Ubuntu: dpkg's ordering ([epoch:]upstream[-revision], "~" before everything, letters
//     before other symbols), by github.com/knqyf263/go-deb-version. Digit runs longer than 18
//     digits (leading zeros aside) are refused as invalid: the library reads them as 0.
//     Checked against dpkg --compare-versions.
//   - Alpine, Wolfi, Chainguard: apk-tools' ordering (_alpha < _beta < _pre < _rc < release <
//     _p, -rN), by github.com/knqyf263/go-apk-version, after checking apk's grammar, which the
//     library does not enforce.
//   - Red Hat, Rocky Linux, AlmaLinux, Fedora, SUSE, openSUSE, Oracle Linux, Amazon Linux,
//     Photon OS, Mageia, openEuler, Azure Linux: rpmvercmp on [epoch:]version[-release], with "~"
//     and "^", by github.com/knqyf263/go-rpm-version. Checked against rpm's own rpm.vercmp.
//     A version with no release sorts before the same version with one, as rpm.vercmp says.
//   - Go: golang.org/x/mod/semver, as the go command orders module versions; the "v" is
//     optional (Go advisories omit it). Pseudo-versions sort as the pre-releases they are and
//     "+incompatible" is ignored. Toolchain spellings are read as Go's vulnerability database
//     writes them: go1.21rc2 and 1.21rc2 are 1.21.0-rc.2, go1.20 and 1.20 are 1.20.0.
//   - npm: node-semver's strict compare (SemVer 2.0.0 precedence, optional leading "v",
//     surrounding white space ignored, major/minor/patch at most 2^53-1), implemented on
//     golang.org/x/mod/semver. Checked against node-semver.
//   - crates.io: strict SemVer 2.0.0, as Cargo requires.
//   - PyPI: PEP 440 (epochs, pre-, post- and development releases, local versions, the spellings
//     PEP 440 normalises), by github.com/aquasecurity/go-pep440-version, after turning "-" and
//     "_" in a local version into "." as PEP 440 asks. Legacy, non-PEP 440 versions are invalid,
//     as they are to pip. Checked against Python's packaging library.
//   - Maven: ComparableVersion of Maven 3.8 (numbers, then qualifiers alpha < beta < milestone <
//     rc < snapshot < release < sp, then unknown qualifiers alphabetically; ga, final and release
//     are the release, cr is rc, trailing zeros do not count). Rampart's own implementation:
//     github.com/masahiro331/go-mvn-version parses ".X" qualifiers differently from Maven.
//     Empty strings and white space are refused. Checked against Maven's own ComparableVersion.
//   - RubyGems: Gem::Version#<=> (any letter makes a pre-release, "-" is ".pre.", trailing
//     zeros do not count). Rampart's own implementation: github.com/aquasecurity/go-gem-version
//     splits letters one by one. The empty version RubyGems reads as 0 is refused. Checked
//     against RubyGems.
//   - Packagist: Composer's VersionParser::normalize ("v1.2" is 1.2.0.0, "1.0-b2" is
//     1.0.0.0-beta2, "2.x-dev" is 2.9999999.9999999.9999999-dev), then PHP's version_compare
//     (dev < alpha < beta < RC < release < patch), as Composer's Comparator does. Rampart's own
//     implementation of both. Named branches ("dev-main", "master") are refused: Composer
//     orders them against nothing. Checked against Composer and PHP.
//   - NuGet: NuGet.Versioning's default order (up to four numbers, 1.0 = 1.0.0.0; release
//     labels part by part, numbers before text, text ignoring case; metadata ignored).
//     Rampart's own implementation, tested against NuGet's documented rules only: no NuGet
//     client runs here.
//
// # Concurrency
//
// All functions and all Version values are safe for concurrent use.
package version
