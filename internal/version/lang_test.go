package version

import (
	"errors"
	"testing"
)

func TestCompareGo(t *testing.T) {
	const pseudo2021 = "0.0.0-20210101000000-abcdefabcdef"
	checkOrders(t, "Go", []order{
		{"1.2.3", "v1.2.3", 0}, // advisories omit the "v" that modules carry
		{"1.2.3", "1.2.4", -1},
		{"1.10.0", "1.9.0", 1},
		{pseudo2021, "0.0.0", -1}, // a pseudo-version is a pre-release
		{pseudo2021, "0.0.0-20220101000000-abcdefabcdef", -1},
		{"1.2.4-0.20210101000000-abcdefabcdef", "1.2.3", 1}, // pseudo-version after v1.2.3
		{"1.2.4-0.20210101000000-abcdefabcdef", "1.2.4", -1},
		{"1.2.3-pre.0.20210101000000-abcdefabcdef", "1.2.3-pre", 1},
		{"2.0.0+incompatible", "2.0.0", 0}, // build metadata is ignored
		{"2.0.0+incompatible", "1.9.9", 1},
		{"1.0.0-rc.10", "1.0.0-rc.2", 1},
		{"1.0.0-alpha", "1.0.0-alpha.1", -1},
		// toolchain spellings, as stdlib versions come from binaries
		{"1.21rc2", "1.21.0-rc.2", 0},
		{"go1.21rc2", "1.21.0", -1},
		{"go1.21.0", "1.21.0", 0},
		{"1.20", "1.20.0", 0},
		{"go1.19beta1", "1.19.0-rc.1", -1},
		{"go1.9.2rc2", "1.9.2", -1},
		{"1.22.1", "1.21.13", 1},
		{"go1", "1.0.0", 0},
	})
	checkInvalid(t, "Go", []string{
		"", "(devel)", "1.02.3", "v1.2.3.4", "latest", "1.2.3-01", "devel go1.22-abc", "go1.21.0-X:boringcrypto", "vv1.2.3", "1.2.3-",
	})
}

func TestCompareNPM(t *testing.T) {
	checkOrders(t, "npm", []order{
		// the precedence example of SemVer 2.0.0, item 11
		{"1.0.0-alpha", "1.0.0-alpha.1", -1},
		{"1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
		{"1.0.0-alpha.beta", "1.0.0-beta", -1},
		{"1.0.0-beta", "1.0.0-beta.2", -1},
		{"1.0.0-beta.2", "1.0.0-beta.11", -1},
		{"1.0.0-beta.11", "1.0.0-rc.1", -1},
		{"1.0.0-rc.1", "1.0.0", -1},
		{"1.0.0-x", "1.0.0-alpha", 1}, // not a wildcard
		{"1.0.0-1", "1.0.0-alpha", -1},
		{"1.0.0-10", "1.0.0-9", 1},
		{"v1.2.3", "1.2.3", 0},
		{" 1.2.3 ", "1.2.3", 0},
		{"1.0.0+build.1", "1.0.0", 0},
		{"1.10.0", "1.9.0", 1},
		{"9007199254740991.0.0", "1.0.0", 1},
		{"4.17.21-pre", "4.17.20", 1},
	})
	checkInvalid(t, "npm", []string{
		"", "1.2", "1.2.3.4", "01.2.3", "1.2.3-01", "9007199254740992.0.0", "=1.2.3", "1.2.3-", "latest", "^1.2.3", "1.x", "1.2.3+",
	})
}

func TestCompareSemver(t *testing.T) {
	tests := []order{
		{"1.0.0", "1.0.0", 0},
		{"1.0.0-alpha", "1.0.0", -1},
		{"1.0.0+a", "1.0.0+b", 0},
		{"18446744073709551616.0.0", "18446744073709551615.0.0", 1}, // past uint64
		{"1.0.0-18446744073709551616", "1.0.0-18446744073709551615", 1},
		{"0.9.0", "0.10.0", -1},
	}
	for _, tt := range tests {
		got, err := CompareSemver(tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("CompareSemver(%q, %q) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
	}
	checkOrders(t, "crates.io", tests)
	for _, s := range []string{"", "v1.0.0", "1.0", "1.0.0.0", "01.0.0", "1.0.0-", "1.0.0+", "1.0.0-01", " 1.0.0"} {
		if _, err := ParseSemver(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseSemver(%q) = %v, want ErrInvalid", s, err)
		}
	}
	checkInvalid(t, "crates.io", []string{"v1.0.0", "1.0", "1.0.0.0"})
}

func TestComparePyPI(t *testing.T) {
	checkOrders(t, "PyPI", []order{
		{"1.0", "1.0.0", 0}, // trailing zeros do not count
		{"1", "1.0.0.0", 0},
		{"01.2", "1.2", 0},
		{"1.0.1", "1.1", -1},
		{"1.10", "1.9", 1},
		{"1.0.dev1", "1.0a1", -1}, // dev < pre < release < post
		{"1.0a1", "1.0b1", -1},
		{"1.0b1", "1.0rc1", -1},
		{"1.0rc1", "1.0", -1},
		{"1.0", "1.0.post1", -1},
		{"1.0a1.dev1", "1.0a1", -1},
		{"1.0rc1.post1", "1.0", -1},
		{"1.0.post1.dev1", "1.0.post1", -1},
		{"1.0alpha1", "1.0a1", 0}, // spellings normalise
		{"1.0c1", "1.0rc1", 0},
		{"1.0-1", "1.0.post1", 0},
		{"1.0.0-alpha.1", "1.0a1", 0},
		{"1!0.1", "2.0", 1}, // epochs win
		{"0!1.0", "1.0", 0},
		{"1.0+local", "1.0", 1}, // a local version sorts after its public one
		{"1.0+abc.5", "1.0+1", -1},
		{"1.0+local.2", "1.0+local.10", -1},
		{"1.0+ubuntu-1", "1.0+ubuntu.1", 0}, // "-" and "_" separate local segments too
		{"1.0+UBUNTU.3", "1.0+ubuntu.3", 0},
		{"v1.0", "1.0", 0},
		{"1.0.post1+local", "1.0.post1", 1},
	})
	checkInvalid(t, "PyPI", []string{
		"", "abc", "1.0-beta-1-x", "1.0+", "1.0+local!", "1..0", "1.0.", "0462de5b544ed4731aa2fb23946ac22c01856b80", "1.0 2.0", "1.99999999999999999999",
	})
}

func TestCompareMaven(t *testing.T) {
	checkOrders(t, "Maven", []order{
		{"1", "1.0.0", 0}, // trailing zeros do not count
		{"1.0", "1-0", 0},
		{"1.0-ga", "1.0", 0}, // ga, final and release are the release
		{"1.0.0.Final", "1.0.0", 0},
		{"2.0.0.RELEASE", "2.0.0", 0},
		{"1-alpha-1", "1-beta-1", -1}, // alpha < beta < milestone < rc < snapshot < release < sp
		{"1-beta-1", "1-m1", -1},
		{"1-m1", "1-rc1", -1},
		{"1-rc1", "1-SNAPSHOT", -1},
		{"1-SNAPSHOT", "1", -1},
		{"1", "1-sp1", -1},
		{"1-cr1", "1-rc1", 0}, // cr is rc
		{"1.0a1", "1.0-alpha-1", 0},
		{"1.0.0.Beta2", "1-beta-2", 0}, // ".X" reads like "-X"
		{"1-abc", "1-def", -1},         // unknown qualifiers, alphabetically, after sp
		{"1-sp", "1-abc", -1},
		{"1-1", "1.1", -1}, // "-1" sorts before ".1"
		{"1.10", "1.9", 1},
		{"5.3.18", "5.3.9", 1},
		{"2.13.4.2", "2.13.4", 1},
		{"2.17.0-rc1", "2.17.0", -1},
		{"31.1-jre", "31.1-android", 1},
		{"9.4.44.v20210927", "9.4.43.v20210629", 1},
		{"99999999999999999999", "9999999999", 1}, // past a long
		{"1.0.0009", "1.0.9", 0},
	})
	checkInvalid(t, "Maven", []string{"", " 1.0", "1.0 beta", "1.0\t", "1.0é"})
}

func TestCompareRubyGems(t *testing.T) {
	checkOrders(t, "RubyGems", []order{
		{"1", "1.0.0", 0},
		{"1.0.a", "1.0", -1}, // any letter makes a pre-release
		{"1.0.a", "1.0.alpha", -1},
		{"1.0.beta", "1.0.b", 1},
		{"1.0.alpha", "1.0.beta", -1},
		{"1.0.rc1", "1.0", -1},
		{"1.0-rc1", "1.0.pre.rc1", 0}, // "-" is ".pre."
		{"1.0-1", "1.0", -1},
		{"1.0.a9", "1.0.a10", -1},
		{"1.0.RC1", "1.0.rc1", -1}, // case matters: "RC" < "rc"
		{"1.10", "1.9", 1},
		{"01.2", "1.2", 0},
		{"7.1.0.beta1", "7.0.8.1", 1},
		{"6.1.7.10", "6.1.7.6", 1},
		{"1.0.a.0", "1.0.a", 0},
		{"100000000000000000000", "99999999999999999999", 1},
	})
	checkInvalid(t, "RubyGems", []string{"", "a1.0", "1.0_1", "1.16.5-x86_64-linux", "1..0", "1.0.", "1.0+1", "-1"})
}

func TestCompareNuGet(t *testing.T) {
	checkOrders(t, "NuGet", []order{
		{"1.0", "1.0.0", 0},
		{"1", "1.0.0.0", 0},
		{"1.0.0.1", "1.0.0", 1}, // a fourth number
		{"1.0.0.10", "1.0.0.9", 1},
		{"01.0", "1.0", 0}, // System.Version reads leading zeros
		{"1.0.0-beta", "1.0.0", -1},
		{"1.0.0-beta", "1.0.0-BETA", 0}, // labels ignore case
		{"1.0.0-alpha", "1.0.0-beta", -1},
		{"1.0.0-beta.2", "1.0.0-beta.10", -1},
		{"1.0.0-1", "1.0.0-alpha", -1}, // numbers before text
		{"1.0.0-beta", "1.0.0-beta.1", -1},
		{"1.0.0-rc.1+build.5", "1.0.0-rc.1", 0}, // metadata ignored
		{"1.0.0+abc", "1.0.0", 0},
		{"4.0.0-preview1", "4.0.0-preview2", -1},
		{"4.0.0-preview10", "4.0.0-preview2", -1}, // one text part: compared as text
		{"6.0.0-rc.2.21480.5", "6.0.0", -1},
		{" 1.2.3 ", "1.2.3", 0},
	})
	checkInvalid(t, "NuGet", []string{
		"", "1.0.0.0.0", "v1.0", "1..0", "1.0.0-", "1.0.0-beta..1", "1.0.0-01", "1.0.0+", "1.0.0-beta_1", "2147483648.0", "-1.0", "1.0.0-beté",
	})
}

func TestComparePackagist(t *testing.T) {
	checkOrders(t, "Packagist", []order{
		{"1", "1.0.0.0", 0},
		{"v1.2.3", "1.2.3", 0},
		{"1.0.0.1", "1.0.0", 1},
		{"1.0-dev", "1.0-alpha1", -1}, // dev < alpha < beta < RC < release < patch
		{"1.0-alpha1", "1.0-beta1", -1},
		{"1.0-b1", "1.0-beta1", 0},
		{"1.0-beta2", "1.0-RC1", -1},
		{"1.0-rc1", "1.0-RC1", 0},
		{"1.0-RC1", "1.0", -1},
		{"1.0", "1.0-patch1", -1},
		{"1.0-pl1", "1.0-p1", 0},
		{"1.0-beta.2", "1.0-beta.10", -1},
		{"1.0-stable", "1.0", 0},
		{"1.0+build.1", "1.0", 0},
		{"2.x-dev", "2.99.0", 1}, // a numeric branch sorts after its releases
		{"1.0 as 2.0", "1.0", 0},
		{"1.10", "1.9", 1},
		{"2023.01.01", "2023-01-01", 1}, // 2023.01.01.0 (classical) vs 2023.01.01 (date)
	})
	checkInvalid(t, "Packagist", []string{"", "dev-master", "master", "dev-feature/x", "1.0-foo", "latest", "1..0", "-1.0", "1.2.3.4.5"})
}
