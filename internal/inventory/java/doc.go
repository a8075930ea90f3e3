// Package java catalogs Maven artifacts in Java archives: .jar, .war, .ear, .par, .jpi and
// .hpi files, which are zip files.
//
// # Usage
//
// [Analyzer] wants files with those extensions; [Parse] reads an archive on its own.
//
// # Identity
//
// Each META-INF/maven/GROUP/ARTIFACT/pom.properties in an archive gives one package from its
// groupId, artifactId and version; a shaded jar that carries its dependencies' files so gives
// one package for each of them. An archive without any falls back to its META-INF/MANIFEST.MF:
// the artifact is Implementation-Title when it is a single word, else Bundle-SymbolicName
// (without its attributes); the version is the one that goes with it (Implementation-Version,
// Bundle-Version); the group is Implementation-Vendor-Id. An archive with neither falls back
// to its file name, "name-1.2.3.jar" giving artifact "name" and version "1.2.3".
//
// Packages are of type "maven" in the "Maven" ecosystem, named "group:artifact" (just
// "artifact" when no group is known), with PURL pkg:maven/group/artifact@version.
//
// # Nested archives
//
// Archives inside archives (WEB-INF/lib/*.jar in a war, BOOT-INF/lib/*.jar in a Spring Boot
// jar, modules and lib/*.jar in an ear, or any other entry with one of the extensions above)
// are read in memory, to at most [MaxDepth] levels, [MaxNested] archives and [MaxNestedBytes]
// bytes per outer file.
//
// Every package's Path is the file in the image, also for packages found in nested archives:
// the file is what a layer adds or removes and what an OS package may own, and a nested jar
// is patched by replacing the outer file. The location inside it ("WEB-INF/lib/x.jar") is not
// recorded, as [inventory.Package] has no field for it.
//
// # Limits
//
// A metadata entry larger than 1 MiB, a nested archive beyond the byte budget, an entry whose
// data is longer than its header says (a zip bomb's usual trick), or a corrupt archive gives
// an error: for the outer file the whole analysis fails; for a nested archive its packages are
// left out and the error is joined to the packages that could be read, and [Analyzer] reports
// each such problem as a warning of its result. So is a pom.properties without a version whose
// artifact neither the manifest nor the file name identifies.
package java
