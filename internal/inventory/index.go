package inventory

import (
	"bytes"
	"io"
)

// indexChunk is how much of a file not held in memory Index reads at once.
const indexChunk = 1 << 20

// Index returns the offset of the first occurrence of pattern in the file's content at an
// offset that is a multiple of align (1 for any offset), or -1. It reads a file the walker did
// not hold in memory in chunks, so that a damaged executable can be searched for a table its
// headers no longer locate.
func (f *File) Index(pattern []byte, align int64) (int64, error) {
	if f.Data != nil || f.Size == 0 {
		return IndexAligned(f.Data, pattern, align, 0), nil
	}
	buf := make([]byte, indexChunk+len(pattern)-1)
	for off := int64(0); off < f.Size; off += indexChunk {
		n, err := f.Content.ReadAt(buf[:min(int64(len(buf)), f.Size-off)], off)
		if err != nil && err != io.EOF {
			return -1, err
		}
		// A match starting in the overlap is found whole here, or from the next chunk's start.
		if i := IndexAligned(buf[:n], pattern, align, off); i >= 0 {
			return off + i, nil
		}
	}
	return -1, nil
}

// IndexAligned returns the index in b of the first occurrence of pattern that starts at a
// multiple of align counted from base (b's own offset in a larger content), or -1.
func IndexAligned(b, pattern []byte, align, base int64) int64 {
	align = max(align, 1)
	for i := int64(0); i < int64(len(b)); {
		j := bytes.Index(b[i:], pattern)
		if j < 0 {
			return -1
		}
		if (base+i+int64(j))%align == 0 {
			return i + int64(j)
		}
		i += int64(j) + 1
	}
	return -1
}
