// Package dockerhost audits a running Docker host against the CIS Docker Benchmark v1.6.0:
// host items (section 1), the daemon's configuration (section 2), the ownership and permissions
// of its files (section 3) and the runtime settings of every container (section 5, and the two
// manual items of section 6). Section 4, images and Dockerfiles, is internal/misconfig's.
//
// It reads the Docker Engine API over a unix socket with plain net/http ([Engine]), the dockerd
// command line from /proc, daemon.json, /etc/group, /proc/mounts, audit rules and the daemon's
// files. Containers are listed once and each is inspected once.
//
// # Usage
//
//	rep, err := dockerhost.Audit(ctx, dockerhost.Config{All: true})
//	// errors.Is(err, dockerhost.ErrUnreachable) / ErrUnauthorized: the engine did not answer
//	for _, r := range rep.Results { … r.Control, r.Status, r.Resource, r.Evidence, r.Reason … }
//	// rep.Controls(): the results as plain result.Control values; rep.Summary: counts per section
//	// rep.Findings: the failures as misconfig findings with CIS-Docker compliance
//
// Every result is a [result.Control], the verdict shape every audit of Rampart shares, plus the
// container it is about. Every control, with what is read for it, is in [Controls];
// docs/cis-docker.md is generated from it. A control that cannot be decided or does not apply is
// [result.StatusNotAssessed] with the reason, never [result.StatusPass].
package dockerhost
