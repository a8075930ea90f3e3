// Package secret finds credentials in file contents and image configuration, and reports them
// masked.
//
// # How it stays fast
//
// Every rule names literal keywords. One Aho-Corasick automaton over all keywords (ASCII case
// insensitive) scans each file once; most files contain no keyword and are done after that pass.
// A rule's regular expression then runs only on the lines around its keywords' hits, never on the
// whole file. Binary files and files over a size limit are skipped unless asked for.
//
// # Rules
//
// Rules are data: the built-in set is rules.yaml (embedded); a user file with the same layout
// adds rules and disables built-in ones by ID (see [LoadConfig]).
//
// # Masking
//
// No output of this package carries a full secret: [Match.Masked] keeps a few leading characters
// and replaces the rest with stars. The evidence line, [Scanner.Redact] (for text printed as it is:
// build history, errors, logs) and the names in locations mask every match of every rule — path-
// scoped rules included, matches that yielded to another rule, other copies of a matched value and
// private-key bodies — not only the match a finding is about: see redact.go.
//
// A [Scanner] is safe for concurrent use.
package secret
