package mask

import (
	"fmt"
	"testing"

	"github.com/rampartsec/rampart/internal/finding"
	"github.com/rampartsec/rampart/internal/inventory"
)

// BenchmarkValueReport masks a report-sized value: 5,000 packages and 500 findings.
func BenchmarkValueReport(b *testing.B) {
	type report struct {
		Packages []inventory.Package
		Findings []finding.Finding
		Warnings []string
	}
	mk := func() *report {
		r := &report{}
		for i := range 5000 {
			r.Packages = append(r.Packages, inventory.Package{Name: fmt.Sprintf("libfoo%d", i), Version: "1.2.3-4+deb12u1",
				PURL: fmt.Sprintf("pkg:deb/debian/libfoo%d@1.2.3-4+deb12u1?arch=amd64&distro=debian-12", i), Path: "var/lib/dpkg/status"})
		}
		for i := range 500 {
			r.Findings = append(r.Findings, finding.Finding{ID: fmt.Sprintf("CVE-2024-%d", i), Title: "a flaw in the password parser", Evidence: "token=abc"})
		}
		return r
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		r := mk()
		b.StartTimer()
		Value(r)
	}
}
