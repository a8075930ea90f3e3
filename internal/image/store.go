package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// store is the files of an archive or an OCI layout, read where they are.
type store interface {
	// open returns the file at name (slash-separated, from the root) and its size. Reads honour
	// the context the store was made with.
	open(name string) (io.ReadCloser, int64, error)
	// where names the store in messages: "oci layout DIR", "docker archive FILE".
	where() string
}

// dirStore is an OCI layout directory.
type dirStore struct {
	ctx  context.Context
	root string
}

func (s dirStore) where() string { return "oci layout " + s.root }

func (s dirStore) open(name string) (io.ReadCloser, int64, error) {
	f, st, err := openRegular(filepath.Join(s.root, filepath.FromSlash(name)))
	if err != nil {
		var nr *notRegularError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, 0, fmt.Errorf("%w: %s has no %s", ErrInvalid, s.where(), name)
		case errors.As(err, &nr):
			return nil, 0, fmt.Errorf("%w: %s: %s is %s, not a regular file", ErrInvalid, s.where(), name, fileKind(nr.mode))
		}
		return nil, 0, fmt.Errorf("%s: %w", s.where(), err)
	}
	// No further than the size the open saw: a file that grows, or one of /proc's, which all say
	// they are empty, ends there.
	return readCloser{ctxReader{s.ctx, io.LimitReader(f, st.Size())}, f}, st.Size(), nil
}

// readCloser joins a reader and what closes it.
type readCloser struct {
	io.Reader
	io.Closer
}

// tarStore reads the files of a tar archive in place: one pass over the headers records where
// each entry's bytes are, and opening a file reads those bytes and no others. Nothing is
// extracted, so an entry cannot claim more room on disk than it takes in the archive.
type tarStore struct {
	ctx     context.Context
	f       *os.File
	what    string // "docker archive FILE"
	entries map[string]tarEntry
}

type tarEntry struct {
	typ          byte
	offset, size int64
	link         string // target of a symbolic or hard link, cleaned as keys are
}

func (s *tarStore) where() string { return s.what }

// entryKey is the name an entry is stored under: "./a//b", "/a/b" and "a/b" are one file
// to tar -x, and so one here.
func entryKey(name string) string { return strings.TrimPrefix(path.Clean("/"+name), "/") }

// indexTar reads the headers of the tar archive f (size bytes) and refuses what would make
// the archive mean different things to different readers: a file that appears twice (Rampart
// would read one copy, tar -x keep the other) and sparse entries, whose size is not what they
// hold.
func indexTar(ctx context.Context, f *os.File, size int64, what string) (*tarStore, error) {
	s := &tarStore{ctx: ctx, f: f, what: what, entries: map[string]tarEntry{}}
	tr := tar.NewReader(ctxReadSeeker{ctx, f})
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, fmt.Errorf("%s: %w", what, cerr)
			}
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, what, err)
		}
		if isSparse(h) {
			return nil, fmt.Errorf("%w: %s: entry %q is a sparse file", ErrInvalid, what, h.Name)
		}
		key := entryKey(h.Name)
		if key == "" {
			continue // the root directory
		}
		e := tarEntry{typ: h.Typeflag}
		switch h.Typeflag {
		case tar.TypeReg, '\x00':
			e.typ = tar.TypeReg
			// archive/tar reads headers without reading ahead: the file is at the entry's data.
			if e.offset, err = f.Seek(0, io.SeekCurrent); err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			e.size = h.Size
			if e.offset+e.size > size {
				return nil, fmt.Errorf("%w: %s: entry %q is truncated", ErrInvalid, what, h.Name)
			}
		case tar.TypeSymlink:
			e.link = entryKey(path.Join(path.Dir(key), h.Linkname))
		case tar.TypeLink:
			e.link = entryKey(h.Linkname)
		}
		if prev, ok := s.entries[key]; ok && (prev.typ != tar.TypeDir || e.typ != tar.TypeDir) {
			return nil, fmt.Errorf("%w: %s: %s appears twice", ErrInvalid, what, key)
		}
		s.entries[key] = e
	}
	return s, nil
}

// isSparse reports a GNU sparse entry, old-style or PAX.
func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// maxLinks bounds how many links are followed to reach a file in an archive.
const maxLinks = 8

func (s *tarStore) open(name string) (io.ReadCloser, int64, error) {
	key := entryKey(name)
	for range maxLinks {
		e, ok := s.entries[key]
		switch {
		case !ok:
			return nil, 0, fmt.Errorf("%w: %s has no %s", ErrInvalid, s.what, key)
		case e.typ == tar.TypeReg:
			sr := io.NewSectionReader(s.f, e.offset, e.size)
			return io.NopCloser(ctxReader{s.ctx, sr}), e.size, nil
		case e.link != "":
			key = e.link
		default:
			return nil, 0, fmt.Errorf("%w: %s: %s is not a regular file", ErrInvalid, s.what, key)
		}
	}
	return nil, 0, fmt.Errorf("%w: %s: %s: more than %d links", ErrInvalid, s.what, name, maxLinks)
}

// has reports whether the archive holds name.
func (s *tarStore) has(name string) bool {
	_, ok := s.entries[entryKey(name)]
	return ok
}

// openArchiveFile opens the archive ref names ("-": standard input, copied to a temporary file
// first) and indexes it. The file is closed with the artifact.
func openArchiveFile(ctx context.Context, ref Ref, o *options, art *Artifact) (*tarStore, error) {
	what := "docker archive"
	if ref.Source == SourceOCIArchive {
		what = "oci archive"
	}
	var f *os.File
	if ref.Name == "-" {
		var err error
		if f, err = spoolStdin(ctx, o, what); err != nil {
			return nil, err
		}
		what += " on standard input"
	} else {
		var err error
		f, _, err = openRegular(ref.Name)
		var nr *notRegularError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%s %s: %w", what, ref.Name, ErrNotFound)
		case errors.As(err, &nr):
			return nil, fmt.Errorf("%w: %s %s is %s, not a regular file (to read standard input, name it %s:-)",
				ErrInvalid, what, ref.Name, fileKind(nr.mode), ref.Source)
		case err != nil:
			return nil, fmt.Errorf("%s %s: %w", what, ref.Name, err)
		}
		what += " " + ref.Name
	}
	art.closers = append(art.closers, f.Close)
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return indexTar(ctx, f, st.Size(), what)
}
