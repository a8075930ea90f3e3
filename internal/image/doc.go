// Package image opens the artifacts Rampart scans — registry images, the local Docker engine,
// docker-save and OCI archives, OCI layouts and root-filesystem directories — on top of
// go-containerregistry, and exposes each image as an ordered list of layer streams.
//
// # Usage
//
//	art, err := image.Open(ctx, "127.0.0.1:5000/app:1", image.WithPlatform("linux/amd64"))
//	defer art.Close()
//	for _, l := range art.Layers { rc, err := l.Open(); ... }
//
// Errors wrap [ErrNotFound], [ErrUnauthorized], [ErrUnreachable] or [ErrInvalid] so callers can
// choose an exit code with errors.Is.
package image
