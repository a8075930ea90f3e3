package rbac_test

import (
	"testing"

	"github.com/rampartsec/rampart/internal/rbac"
)

// FuzzParseSubject: no panic, and what parses prints back to a string that parses the same.
func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{"system:serviceaccount:ns:app", "serviceaccount:ns/app", "user:alice", "group:devs", "bob", "group:", "x:y:z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := rbac.ParseSubject(in)
		if err != nil {
			return
		}
		back, err := rbac.ParseSubject(s.String())
		if err != nil || back != s {
			t.Fatalf("%q → %+v → %q → %+v, %v", in, s, s.String(), back, err)
		}
		if _, _, _, err := rbac.ParseResource(in); err != nil {
			return
		}
	})
}
