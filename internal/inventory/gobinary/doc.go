// Package gobinary catalogs the modules compiled into Go executables (ELF, Mach-O and PE).
//
// # Usage
//
// [Analyzer] wants every regular file with an execute bit up to [MaxSize] bytes. It reads the
// build information the Go linker embeds (the same data `go version -m` prints) and reports:
//
//   - the main module, with Main set; its version is kept as recorded, "(devel)" included;
//   - every dependency; a dependency replaced by another module is reported under the
//     replacement's path and version, since that is the code that was compiled in; one replaced
//     by a local directory keeps its original path with the version "(devel)";
//   - the toolchain, as the package "stdlib" with the version without its "go" prefix and
//     without experiment suffixes ("go1.22.1 X:boringcrypto" gives "1.22.1").
//
// All packages are of type "golang" in the "Go" ecosystem and carry the toolchain in GoVersion.
//
// # Symbols
//
// Each package's Symbols lists the functions of that module linked into the binary, taken from
// the pclntab, which the linker keeps even in binaries stripped with -ldflags="-s -w". The
// table is found by section name (.gopclntab, __gopclntab), by the runtime.pclntab symbol, and
// failing both by scanning the read-only data for the table's header.
//
// A function belongs to the module whose path is the longest prefix of its package path; a
// package whose first path element has no dot belongs to "stdlib" (which also holds the
// standard library's vendored copies, "vendor/golang.org/x/net/…"). Names are normalised to
// the form advisories use: "pkgpath.Func" and "pkgpath.Type.Method", with pointer receivers
// "(*T)" written as "T", generic instantiations "[…]" dropped and closures (".func1",
// ".gowrap2", ".deferwrap1") folded into the function that contains them.
package gobinary
