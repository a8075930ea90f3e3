// Package dockerfile lints Dockerfiles against the checks in [Checks], most of them mapped to the
// CIS Docker Benchmark v1.6.0 section 4.
//
// # Usage
//
//	f, err := dockerfile.ReadFile("Dockerfile", "")   // errors wrap ErrSyntax with file:line
//	findings := dockerfile.NewLinter(secrets).Lint(f)
//
// # Parsing
//
// [Parse] uses BuildKit's parser, the one docker build uses, so line continuations, escape
// directives, here-documents and JSON forms are read exactly as Docker reads them. It then refuses
// what the parser lets through but a build rejects: unknown instructions, instructions before the
// first FROM, missing arguments. Input is bounded by [MaxSize]. The shell commands of RUN are read
// with a real shell parser (mvdan.cc/sh), so pipes, &&-chains and command substitutions are seen
// as a shell sees them.
//
// # Stages
//
// Checks about the resulting image (user, health check, exposed ports, package caches) look at the
// last stage and at the earlier stages it is built FROM; checks about the Dockerfile's content
// (secrets, remote code, pinning) look at every stage. See docs/misconfig.md.
//
// A [Linter] is safe for concurrent use; a [File] must not be changed while it is linted.
package dockerfile
