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
// ".gowrap2", ".deferwrap1") folded into the function that contains them. A binary whose
// table cannot be found keeps its modules, with a warning: matching then takes any module's
// vulnerable code as reachable.
//
// # Damaged executables
//
// The kernel loads a program by its program headers; section headers past the end of the
// file or a bogus section count leave it running, but make it unreadable to debug/elf and so
// to debug/buildinfo. When the headers do not parse, the whole file is searched for the build
// information's magic where the linker puts it (a 16-byte aligned offset), and the inline form
// Go 1.18 and later write is decoded from there: the modules are reported, with a warning. An
// executable holding the magic whose build information still cannot be read (a bogus length,
// a file cut short, the pointer form of older releases without headers to resolve it) gives a
// warning naming the file instead of passing for a program that is not Go.
package gobinary
