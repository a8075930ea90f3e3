package vulndb

import (
	"context"
	"testing"
)

// BenchmarkImportShipped imports every bundled source (data/vulndb) into a fresh database.
func BenchmarkImportShipped(b *testing.B) {
	paths := shippedPaths(b)
	var size int64
	for _, p := range paths {
		size += fileSize(b, p)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	var st Stats
	for b.Loop() {
		var err error
		if st, err = Import(context.Background(), b.TempDir(), paths, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkLookup looks up packages of the bundled data: a hit-heavy Go module, a PyPI name
// needing normalisation, a Debian package via the release, and a miss.
func BenchmarkLookup(b *testing.B) {
	dir := b.TempDir()
	if _, err := Import(context.Background(), dir, shippedPaths(b), ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	db, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	queries := [][2]string{{"Go", "golang.org/x/text"}, {"PyPI", "Django"}, {"Debian:12", "sudo"}, {"npm", "no-such-package"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for _, q := range queries {
			if _, err := db.Lookup(ctx, q[0], q[1]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(queries))*float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}
