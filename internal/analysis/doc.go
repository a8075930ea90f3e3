// Package analysis runs inventory analyzers over an artifact: it streams each image layer once,
// layers in parallel, routes tar entries to the analyzers that asked for their paths, caches each
// layer's results by diffID and analyzer versions, and merges layers applying whiteouts.
//
// # Usage
//
//	a := analysis.New(analyzers, analysis.Config{Cache: c})
//	res, err := a.Analyze(ctx, art)
//
// A single unreadable file is a warning in the result; an unreadable layer is an error naming it.
package analysis
