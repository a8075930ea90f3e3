package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// isOCIArchive reports whether the tar file at p holds an OCI layout (index.json + oci-layout)
// rather than a docker-save archive (manifest.json).
func isOCIArchive(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return false
		}
		switch path.Clean(h.Name) {
		case "oci-layout":
			return true
		case "manifest.json":
			return false
		}
	}
}

// openOCIArchive unpacks the archive's blobs (as stored, still compressed) into a temporary OCI
// layout, which go-containerregistry then reads with random access.
func openOCIArchive(ref Ref, plat *v1.Platform, art *Artifact) (v1.Image, error) {
	f, err := os.Open(ref.Name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("oci archive %s: %w", ref.Name, ErrNotFound)
		}
		return nil, fmt.Errorf("oci archive %s: %w", ref.Name, err)
	}
	defer f.Close()
	dir, err := os.MkdirTemp("", "rampart-oci-")
	if err != nil {
		return nil, err
	}
	art.closers = append(art.closers, func() error { return os.RemoveAll(dir) })
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: oci archive %s: %w", ErrInvalid, ref.Name, err)
		}
		clean := path.Clean("/" + h.Name)[1:]
		if clean == "" || clean != strings.TrimPrefix(path.Clean(h.Name), "./") {
			return nil, fmt.Errorf("%w: oci archive %s: entry %q escapes the archive root", ErrInvalid, ref.Name, h.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(clean))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return nil, err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return nil, err
			}
			out, err := os.Create(target)
			if err != nil {
				return nil, err
			}
			_, cerr := io.Copy(out, tr)
			if err := errors.Join(cerr, out.Close()); err != nil {
				return nil, fmt.Errorf("%w: oci archive %s: entry %s: %w", ErrInvalid, ref.Name, h.Name, err)
			}
		}
	}
	return openLayout(dir, ref.Tag, plat)
}
