package version

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/rampartsec/rampart/internal/testenv"
)

func TestCompareDebian(t *testing.T) {
	checkOrders(t, "Debian:12", []order{
		{"1.0", "1.0", 0},
		{"1.0", "1.0-0", 0},            // a missing revision is "0"
		{"1.0", "1.0-1", -1},           //
		{"0:1.0", "1.0", 0},            // epoch 0 is the default
		{"1:0.1", "9.9", 1},            // epoch wins over everything
		{"2:1", "1:99", 1},             //
		{"1.0~rc1", "1.0", -1},         // tilde sorts before the end of the string
		{"1.0~~", "1.0~", -1},          //
		{"1.0~", "1.0", -1},            //
		{"1.0~rc1-1", "1.0-1", -1},     //
		{"1.0-1~bpo12+1", "1.0-1", -1}, // backports sort before the release
		{"1.0+deb12u1", "1.0", 1},      // stable updates sort after
		{"2.36-9+deb12u4", "2.36-9+deb12u10", -1},
		{"7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1},
		{"1.0a", "1.0", 1},   // a letter beats the end of the string
		{"1.0a", "1.0+", -1}, // letters sort before non-letters
		{"1.2Z", "1.2z", -1}, // by ASCII among letters
		{"1.01", "1.1", 0},   // numbers compare as numbers
		{"10", "9", 1},
		{"1.0-1ubuntu1", "1.0-1", 1},
		{"1.0-1-1", "1.0-1-10", -1}, // the revision starts after the last hyphen
		{"1.0.0~git20230101.abc-1", "1.0.0-1", -1},
		{"000123456789012345678", "123456789012345677", 1}, // leading zeros do not count
	})
	checkOrders(t, "Ubuntu:22.04:LTS", []order{{"2.35-0ubuntu3.6", "2.35-0ubuntu3.10", -1}})
	checkInvalid(t, "Debian", []string{
		"", "a1.0", "1.0-", ":1.0", "1:", "-1:1.0", "x:1.0", "1.0 beta", " 1.0", "1.0-a@b",
		"1.0/2", "1.1234567890123456789", // longer than the library can compare
	})
}

func TestCompareRPM(t *testing.T) {
	checkOrders(t, "Red Hat", []order{
		{"1.0-1.el9", "1.0-1.el9", 0},
		{"1.0-1.el9", "1.0-1.el9_2", -1},
		{"1.0-2.el8", "1.0-10.el8", -1},
		{"0:1.0-1", "1.0-1", 0},
		{"1:0.9", "2.0", 1},
		{"1.0~rc1", "1.0", -1},    // tilde: before
		{"1.0^git1", "1.0", 1},    // caret: after the base
		{"1.0^git1", "1.0.1", -1}, // but before the next version
		{"1.0a", "1.0", 1},
		{"1.0a", "1.0.1", -1}, // alpha segments sort before numeric ones
		{"1.01", "1.1", 0},
		{"1.0_1", "1.0.1", 0}, // separators are all alike
		{"0.9.8zh", "0.9.8zg", 1},
		{"5.14.0-362.8.1.el9_3", "5.14.0-362.18.1.el9_3", -1},
		{"1.1.1k-9.el8_7", "1.1.1k-12.el8_9", -1},
	})
	checkOrders(t, "Rocky Linux:9", []order{{"2.34-60.el9", "2.34-100.el9", -1}})
	checkOrders(t, "Amazon Linux:2023", []order{{"2.4.6-6.amzn2023.0.2", "2.4.6-6.amzn2023.0.10", -1}})
	checkInvalid(t, "Red Hat", []string{"", "x:1.0", "1:", " 1.0", "1.0\n", "1.0é"})
}

func TestCompareAlpine(t *testing.T) {
	checkOrders(t, "Alpine:v3.20", []order{
		{"1.2.3-r0", "1.2.3-r0", 0},
		{"1.2.3-r0", "1.2.3-r1", -1},
		{"1.2.3-r9", "1.2.3-r10", -1},
		{"1.2.3", "1.2.3-r0", -1},
		{"1.2.3_alpha1", "1.2.3_beta1", -1},
		{"1.2.3_beta1", "1.2.3_pre1", -1},
		{"1.2.3_pre1", "1.2.3_rc1", -1},
		{"1.2.3_rc1", "1.2.3", -1}, // pre-release suffixes sort before the release
		{"1.2.3", "1.2.3_p1", -1},  // _p (patch) sorts after
		{"1.2.3_p1", "1.2.4", -1},
		{"1.2.3_git20230101", "1.2.3", 1},
		{"1.2.3a", "1.2.3", 1}, // a letter after the digits
		{"1.2.3a", "1.2.3b", -1},
		{"1.10", "1.9", 1},
		{"3.0.15-r0", "3.0.8-r1", 1},
		{"1.02", "1.1", -1}, // apk reads a leading zero as a fraction: 1.02 < 1.1
	})
	checkOrders(t, "Wolfi", []order{{"1.2.3-r0", "1.2.3-r1", -1}})
	checkInvalid(t, "Alpine", []string{"", "a1.0", "1.0-", "1.0_foo", "1.0-r", "1..0"})
}

// TestDebianInstalled sorts the versions of every package installed here and asks dpkg about
// each neighbour and about random pairs.
func TestDebianInstalled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs dpkg many times")
	}
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}\n").Output()
	if err != nil {
		testenv.Missing(t, fmt.Sprintf("no dpkg-query here: %v", err))
	}
	var vs []string
	for _, s := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if s != "" {
			vs = append(vs, s)
		}
	}
	slices.Sort(vs)
	vs = slices.Compact(vs)
	var cmpErr error
	slices.SortFunc(vs, func(a, b string) int {
		c, err := Compare("Debian", a, b)
		if err != nil && cmpErr == nil {
			cmpErr = err
		}
		return c
	})
	if cmpErr != nil {
		t.Fatal(cmpErr)
	}
	ctx := context.Background()
	check := func(a, b string) {
		want, err := dpkgCompare(ctx, a, b)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := Compare("Debian", a, b); got != want {
			t.Errorf("Compare(%q, %q) = %d, dpkg says %d", a, b, got, want)
		}
	}
	for i := 1; i < len(vs); i++ {
		check(vs[i-1], vs[i])
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		check(vs[r.IntN(len(vs))], vs[r.IntN(len(vs))])
	}
	t.Logf("%d installed versions checked against dpkg", len(vs))
}
