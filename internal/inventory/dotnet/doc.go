// Package dotnet catalogs NuGet packages from the *.deps.json files that `dotnet publish` and
// `dotnet build` write next to an application's assemblies.
//
// # Usage
//
// [Analyzer] wants every file named *.deps.json; [Parse] reads one on its own. Each library
// of type "package" becomes a package of type "nuget" in the "NuGet" ecosystem, with the name
// as the file spells it and the version from its "NAME/VERSION" key. A self-contained
// application also lists the runtime it carries as a library of type "runtimepack"
// ("runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/6.0.25"); it is reported under the
// NuGet name of that pack, without the "runtimepack." prefix, as advisories for the .NET
// runtime name those packs. Libraries of other types ("project", "reference") are the
// application itself and framework references, which are not NuGet packages.
//
// A package that no "project" library depends on directly is marked Indirect, using the
// dependency lists of the "targets" section.
package dotnet
