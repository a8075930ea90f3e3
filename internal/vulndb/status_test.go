package vulndb

import "testing"

// TestStatusCovers follows Lookup's release rules.
func TestStatusCovers(t *testing.T) {
	st := Status{Ecosystems: map[string]int{"Debian:12": 3, "Ubuntu:22.04:LTS": 2, "Alpine": 1, "Go": 5, "npm": 0, "pypi": 4}}
	for eco, want := range map[string]bool{
		"Debian:12":    true,
		"Debian:11":    false,
		"Debian":       true, // a bare query finds every release
		"Ubuntu:22.04": true, // finds Ubuntu:22.04:LTS
		"Ubuntu:24.04": false,
		"Alpine:v3.20": true, // bare Alpine records apply to every release
		"Go":           true,
		"npm":          false, // counted zero
		"PyPI":         true,  // ecosystem names are normalized
		"Maven":        false,
	} {
		if got := st.Covers(eco); got != want {
			t.Errorf("Covers(%q) = %v, want %v", eco, got, want)
		}
	}
}
