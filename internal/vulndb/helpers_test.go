package vulndb

import (
	"os"
	"path/filepath"
	"testing"
)

// shippedDir is the bundled real data.
const shippedDir = "../../data/vulndb"

// shippedPaths returns every bundled source file (the zips, the KEV JSON and the EPSS CSV).
func shippedPaths(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, pat := range []string{"*.zip", "*.json", "*.gz"} {
		m, err := filepath.Glob(filepath.Join(shippedDir, pat))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) < 5 {
		tb.Fatalf("bundled data missing: found %v", out)
	}
	return out
}

func fileSize(tb testing.TB, p string) int64 {
	tb.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}
