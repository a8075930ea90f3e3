// Package rustbinary catalogs the crates compiled into Rust executables built with
// cargo-auditable, which embeds the dependency tree in a section named .dep-v0 (ELF, PE;
// __dep_v0 in Mach-O): zlib-compressed JSON of the form
//
//	{"packages":[{"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},
//	             {"name":"serde","version":"1.0.130","source":"crates.io"}]}
//
// where "dependencies" are indices into "packages", "kind" is "runtime" (the default) or
// "build", and "source" is "crates.io", "local", "registry", "git" or "other".
//
// # Usage
//
// [Analyzer] wants executable regular files; [Parse] decodes a section's content on its own.
//
// Every package of the tree is reported with type "cargo" and PURL pkg:cargo/NAME@VERSION.
// Only crates from crates.io get the "crates.io" ecosystem, so that only they are matched
// against advisories: a crate of the same name from a git repository, a private registry or
// the local workspace is another piece of code. The root package is marked Main, build-time
// dependencies (build scripts, proc macros, which are not linked into the binary) Dev, and
// packages the root does not depend on directly Indirect.
//
// The decompressed tree is limited to [MaxTreeSize] bytes, so that a small section cannot
// expand without bound.
package rustbinary
