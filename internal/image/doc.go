// Package image opens the artifacts Rampart scans — registry images, the local Docker engine,
// docker-save and OCI archives (also on standard input), OCI layouts and root-filesystem
// directories — and exposes each image as its config and an ordered list of layer streams. It
// also lists and reads registries for the commands that are not image scans.
//
// # Usage
//
//	ref, err := image.ParseRef("127.0.0.1:5000/app:1", "") // or docker://…, docker-archive:FILE, oci:DIR[:TAG], -, …
//	art, err := image.Open(ctx, ref, image.WithPlatform("linux/amd64"))
//	defer art.Close()
//	for _, l := range art.Layers { rc, err := l.Open(); … }
//
// [ParseRef] reads the syntaxes of skopeo, Syft and Trivy; a plain path is opened as what it is
// on disk (a directory, an OCI layout, an OCI or docker-save archive), anything else as a
// registry reference. "-" is an archive on standard input, copied first (at most 16 GiB,
// [WithStdinLimit]) to an unlinked temporary file, since archives are read at random offsets.
//
// # Sources
//
// Registry images and the Docker engine are read through go-containerregistry (the engine's
// export is buffered in one temporary file). Archives and OCI layouts are read in place by this
// package: one pass over a tar's headers, no extraction; duplicate and sparse entries are
// refused, and so are named pipes and devices where a file should be. Every blob an archive or
// layout names by digest, and every registry manifest and config, is checked against its digest
// and size. A multi-platform index yields the image of [WithPlatform] (default: linux on the
// host's architecture, [HostPlatform]). A directory gives only [Artifact.Root]: no config, no
// layers.
//
// # Layers
//
// [Layer.Open] returns the uncompressed tar stream (gzip, zstd or plain). Reads fail once the
// context given to [Open] is done. A stored blob with a known digest is verified as the stream
// reaches its end (the last read fails with [ErrInvalid] on a mismatch); the uncompressed
// stream is not checked against [Layer.DiffID]: the reader does that, as it reads it whole.
//
// # Registries
//
// Registry requests use the Docker credential keychain ([WithKeychain]), TLS 1.2 or later with
// the system roots plus [WithCACert] ([RootPool]), and a per-request answer timeout
// ([WithResponseTimeout], 30s). [WithInsecure] allows plain HTTP and unverified TLS; without it,
// go-containerregistry still tries plain HTTP, when HTTPS fails or is slow to answer, for a
// registry at 127.0.0.1, ::1, localhost:PORT, *.localhost or a private (RFC 1918) address.
// Besides [Open]:
// [Catalog] and [Tags] list a registry (following pages, [WithPageSize]), [Resolve] gives the
// digest a tag points at, and [FetchManifest] and [FetchBlob] read artifacts that are not images
// to scan (cosign signatures).
//
// # Errors
//
// Errors wrap [ErrNotFound], [ErrUnauthorized], [ErrUnreachable] or [ErrInvalid] so callers can
// choose an exit code with errors.Is.
package image
