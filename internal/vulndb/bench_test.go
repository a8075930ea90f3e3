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
