package match

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rampartsec/rampart/internal/osv"
)

// ev builds events from "kind:version" strings: i introduced, f fixed, l last_affected, x limit.
func ev(specs ...string) []osv.Event {
	var out []osv.Event
	for _, s := range specs {
		k, v, _ := strings.Cut(s, ":")
		switch k {
		case "i":
			out = append(out, osv.Event{Introduced: v})
		case "f":
			out = append(out, osv.Event{Fixed: v})
		case "l":
			out = append(out, osv.Event{LastAffected: v})
		case "x":
			out = append(out, osv.Event{Limit: v})
		}
	}
	return out
}

func TestInRange(t *testing.T) {
	tests := []struct {
		name      string
		eco       string // "" → SEMVER ordering, else that ecosystem's ECOSYSTEM ordering
		events    []osv.Event
		v         string
		want      bool
		wantFixed string
		wantErr   bool
	}{
		{name: "introduced 0 below fix", events: ev("i:0", "f:1.2.0"), v: "1.0.0", want: true, wantFixed: "1.2.0"},
		{name: "at fix", events: ev("i:0", "f:1.2.0"), v: "1.2.0", want: false},
		{name: "above fix", events: ev("i:0", "f:1.2.0"), v: "1.3.0", want: false},
		{name: "below introduced", events: ev("i:1.0.0", "f:1.2.0"), v: "0.9.9", want: false},
		{name: "at introduced", events: ev("i:1.0.0", "f:1.2.0"), v: "1.0.0", want: true, wantFixed: "1.2.0"},
		{name: "numeric not lexical", events: ev("i:0", "f:1.10.0"), v: "1.9.0", want: true, wantFixed: "1.10.0"},
		{name: "numeric not lexical above", events: ev("i:0", "f:1.9.0"), v: "1.10.0", want: false},
		{name: "prerelease precedes release", events: ev("i:0", "f:1.0.0"), v: "1.0.0-rc.1", want: true, wantFixed: "1.0.0"},
		{name: "prerelease numeric identifiers", events: ev("i:0", "f:1.0.0-rc.10"), v: "1.0.0-rc.9", want: true, wantFixed: "1.0.0-rc.10"},
		{name: "build metadata ignored", events: ev("i:0", "f:1.0.0"), v: "1.0.0+build.5", want: false},
		{name: "last_affected inclusive", events: ev("i:0", "l:1.2.0"), v: "1.2.0", want: true},
		{name: "above last_affected", events: ev("i:0", "l:1.2.0"), v: "1.2.1", want: false},
		{name: "no upper bound", events: ev("i:1.0.0"), v: "99.0.0", want: true},
		{name: "two intervals, in second", events: ev("i:0", "f:1.2.0", "i:2.0.0", "f:2.3.0"), v: "2.1.0", want: true, wantFixed: "2.3.0"},
		{name: "two intervals, in gap", events: ev("i:0", "f:1.2.0", "i:2.0.0", "f:2.3.0"), v: "1.5.0", want: false},
		{name: "two intervals, in first", events: ev("i:0", "f:1.2.0", "i:2.0.0", "f:2.3.0"), v: "1.1.0", want: true, wantFixed: "1.2.0"},
		{name: "events unsorted", events: ev("f:2.3.0", "i:2.0.0", "f:1.2.0", "i:0"), v: "2.1.0", want: true, wantFixed: "2.3.0"},
		{name: "limit excludes", events: ev("i:0", "x:2.0.0"), v: "2.0.0", want: false},
		{name: "below limit", events: ev("i:0", "x:2.0.0"), v: "1.9.9", want: true},
		{name: "limit star", events: ev("i:1.0.0", "x:*"), v: "5.0.0", want: true},
		{name: "empty range", events: ev("i:1.0.0", "f:1.0.0"), v: "1.0.0", want: false},
		{name: "unparsable installed", events: ev("i:0", "f:1.2.0"), v: "banana", wantErr: true},
		{name: "v prefix is not semver", events: ev("i:0", "f:1.2.0"), v: "v1.0.0", wantErr: true},
		{name: "unparsable event", events: ev("i:0", "f:1.2"), v: "1.0.0", wantErr: true},

		{name: "deb epoch", eco: "Debian:12", events: ev("i:0", "f:1:1.0-1"), v: "2.0-1", want: true, wantFixed: "1:1.0-1"},
		{name: "deb tilde before release", eco: "Debian:12", events: ev("i:0", "f:3.0.13-1~deb12u1"), v: "3.0.11-1~deb12u2", want: true, wantFixed: "3.0.13-1~deb12u1"},
		{name: "deb tilde sorts low", eco: "Debian:12", events: ev("i:0", "f:1.9.6-1"), v: "1.9.6-1~exp2", want: true, wantFixed: "1.9.6-1"},
		{name: "deb fixed", eco: "Debian:12", events: ev("i:0", "f:1.9.6-1~exp2"), v: "1.9.13p3-1+deb12u1", want: false},
		{name: "unsupported ecosystem", eco: "Haiku", events: ev("i:0", "f:1"), v: "0.5", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order := semverOrder("npm")
			if tt.eco != "" {
				order = ecosystemOrder(tt.eco)
			}
			got, fixed, err := inRange(tt.events, tt.v, order)
			if (err != nil) != tt.wantErr {
				t.Fatalf("inRange() error = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want || fixed != tt.wantFixed {
				t.Errorf("inRange() = %v, %q; want %v, %q", got, fixed, tt.want, tt.wantFixed)
			}
		})
	}
}

func TestEvalAffected(t *testing.T) {
	semverRange := func(events ...string) osv.Range { return osv.Range{Type: osv.RangeSemver, Events: ev(events...)} }
	tests := []struct {
		name         string
		eco          string
		a            osv.Affected
		v            string
		want         bool
		wantFixed    string
		wantProblems int
	}{
		{
			name: "overlapping ranges, lowest fix above",
			eco:  "npm",
			a:    osv.Affected{Ranges: []osv.Range{semverRange("i:0", "f:2.0.0"), semverRange("i:1.0.0", "f:1.5.0")}},
			v:    "1.2.0", want: true, wantFixed: "1.5.0",
		},
		{
			name: "one range matches, the other does not",
			eco:  "npm",
			a:    osv.Affected{Ranges: []osv.Range{semverRange("i:0", "f:1.0.0"), semverRange("i:2.0.0", "f:2.5.0")}},
			v:    "2.1.0", want: true, wantFixed: "2.5.0",
		},
		{
			name: "versions list alone",
			eco:  "PyPI",
			a:    osv.Affected{Versions: []string{"0.8.4", "0.9"}},
			v:    "0.9", want: true,
		},
		{
			name: "versions list is exact, not a prefix",
			eco:  "PyPI",
			a:    osv.Affected{Versions: []string{"0.9"}},
			v:    "0.9.1", want: false,
		},
		{
			name: "GIT range skipped, versions list applies",
			eco:  "PyPI",
			a: osv.Affected{
				Ranges:   []osv.Range{{Type: osv.RangeGit, Repo: "https://example.org/r", Events: ev("i:0", "f:abc123")}},
				Versions: []string{"1.0"},
			},
			v: "1.0", want: true,
		},
		{
			name: "GIT range alone decides nothing and is not a problem",
			eco:  "PyPI",
			a:    osv.Affected{Ranges: []osv.Range{{Type: osv.RangeGit, Events: ev("i:0", "f:abc123")}}},
			v:    "1.0", want: false,
		},
		{
			name: "ECOSYSTEM range in npm order",
			eco:  "npm",
			a:    osv.Affected{Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: ev("i:0", "f:2.0.0")}}},
			v:    "2.0.0-rc.1", want: true, wantFixed: "2.0.0",
		},
		{
			name: "ECOSYSTEM range in PEP 440 order",
			eco:  "PyPI",
			a:    osv.Affected{Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: ev("i:0", "f:2.0")}}},
			v:    "2.0rc1", want: true, wantFixed: "2.0",
		},
		{
			name: "unknown range type is a problem",
			eco:  "npm",
			a:    osv.Affected{Ranges: []osv.Range{{Type: "CALVER", Events: ev("i:0")}}},
			v:    "1.0.0", wantProblems: 1,
		},
		{
			name: "unsupported ecosystem is a problem, versions list still exact",
			eco:  "Haiku",
			a:    osv.Affected{Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: ev("i:0", "f:2")}}, Versions: []string{"1"}},
			v:    "1", want: true, wantProblems: 1,
		},
		{
			name: "versions list: PEP 440 equal spellings",
			eco:  "PyPI",
			a:    osv.Affected{Versions: []string{"1.0"}},
			v:    "1.0.0", want: true,
		},
		{
			name: "Go versions list with and without v",
			eco:  "Go",
			a:    osv.Affected{Versions: []string{"0.3.5"}},
			v:    "v0.3.5", want: true,
		},
		{
			name: "Go SEMVER range with v-prefixed installed version",
			eco:  "Go",
			a:    osv.Affected{Ranges: []osv.Range{semverRange("i:0", "f:0.3.7")}},
			v:    "v0.3.5", want: true, wantFixed: "0.3.7",
		},
		{
			name: "Go pseudo-version",
			eco:  "Go",
			a:    osv.Affected{Ranges: []osv.Range{semverRange("i:0", "f:0.0.0-20220314234659-1baeb1ce4c0b")}},
			v:    "v0.0.0-20211202192323-5770296d904e", want: true, wantFixed: "0.0.0-20220314234659-1baeb1ce4c0b",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evalAffected(&tt.a, tt.eco, tt.v)
			if got.affected != tt.want || got.fixed != tt.wantFixed || len(got.problems) != tt.wantProblems {
				t.Errorf("evalAffected() = %+v; want affected %v, fixed %q, %d problems", got, tt.want, tt.wantFixed, tt.wantProblems)
			}
		})
	}
}

func TestGoToolchainSemver(t *testing.T) {
	for in, want := range map[string]string{
		"1.22.1":                  "1.22.1",
		"go1.20.14":               "1.20.14",
		"1.20":                    "1.20.0",
		"1.21rc2":                 "1.21.0-rc.2",
		"go1.9beta1":              "1.9.0-beta.1",
		"go1.22.1 X:boringcrypto": "1.22.1",
	} {
		if diff := cmp.Diff(want, goToolchainSemver(in)); diff != "" {
			t.Errorf("goToolchainSemver(%q) mismatch (-want +got):\n%s", in, diff)
		}
	}
}
