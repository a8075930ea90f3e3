package version

import (
	"errors"
	"testing"
)

// order is one expected comparison: a against b gives want (-1, 0, +1).
type order struct {
	a, b string
	want int
}

// checkOrders checks every pair both ways round, so each case also tests antisymmetry, and that
// each version parses back to its own string.
func checkOrders(t *testing.T, ecosystem string, tests []order) {
	t.Helper()
	for _, tt := range tests {
		got, err := Compare(ecosystem, tt.a, tt.b)
		if err != nil {
			t.Errorf("Compare(%q, %q, %q): %v", ecosystem, tt.a, tt.b, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Compare(%q, %q, %q) = %d, want %d", ecosystem, tt.a, tt.b, got, tt.want)
		}
		if back, _ := Compare(ecosystem, tt.b, tt.a); back != -tt.want {
			t.Errorf("Compare(%q, %q, %q) = %d, want %d", ecosystem, tt.b, tt.a, back, -tt.want)
		}
		for _, s := range []string{tt.a, tt.b} {
			if v, err := Parse(ecosystem, s); err == nil && v.String() != s {
				t.Errorf("Parse(%q, %q).String() = %q", ecosystem, s, v.String())
			}
		}
	}
}

// checkInvalid checks that each string is rejected with ErrInvalid.
func checkInvalid(t *testing.T, ecosystem string, bad []string) {
	t.Helper()
	for _, s := range bad {
		v, err := Parse(ecosystem, s)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q, %q) = %v, %v; want ErrInvalid", ecosystem, s, v, err)
		}
	}
}
