package version

import "testing"

// benchCompare measures Compare on pre-parsed versions and Parse on strings, over pairs that
// differ late, as fixed and installed versions usually do.
func benchCompare(b *testing.B, ecosystem string, pairs [][2]string) {
	vs := make([][2]Version, len(pairs))
	for i, p := range pairs {
		for j := range 2 {
			v, err := Parse(ecosystem, p[j])
			if err != nil {
				b.Fatal(err)
			}
			vs[i][j] = v
		}
	}
	b.Run("Compare", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			for _, p := range vs {
				n += p[0].Compare(p[1])
			}
		}
		b.ReportMetric(float64(b.N*len(vs))/b.Elapsed().Seconds(), "cmp/s")
	})
	b.Run("ParseCompare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range pairs {
				if _, err := Compare(ecosystem, p[0], p[1]); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N*len(pairs))/b.Elapsed().Seconds(), "cmp/s")
	})
}

func BenchmarkDebian(b *testing.B) {
	benchCompare(b, "Debian:12", [][2]string{
		{"7.88.1-10+deb12u5", "7.88.1-10+deb12u12"},
		{"2.36-9+deb12u4", "2.36-9+deb12u10"},
		{"1:2.38.1-5+deb12u3", "1:2.38.1-5+deb12u2"},
		{"3.0.11-1~deb12u2", "3.0.15-1~deb12u1"},
	})
}

func BenchmarkNPM(b *testing.B) {
	benchCompare(b, "npm", [][2]string{
		{"4.17.20", "4.17.21"},
		{"1.0.0-beta.2", "1.0.0-beta.11"},
		{"7.5.2", "7.5.10"},
		{"2.0.0-rc.1", "2.0.0"},
	})
}
