// Package inventory defines what an artifact contains — its operating system and packages — and
// the [Analyzer] interface that the catalogers in its sub-packages implement.
//
// # Usage
//
// An analyzer declares the paths it wants with [Analyzer.Required]; the layer walker calls
// [Analyzer.Analyze] with the file's content only for those paths. Results are per file, so that
// whiteouts in later layers can remove what an earlier layer's file proved.
//
// Analyzers are stateless and safe for concurrent use: one instance serves every layer.
package inventory
