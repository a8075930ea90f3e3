#!/usr/bin/env bash
# peers.sh installs the independent tools Rampart's vulnerability matching is compared with
# (internal/e2e/compare_test.go, docs/vuln-comparison.md), once per machine, and prints
# "NAME PATH" for each on stdout:
#
#   - osv-scanner v2.6.0 (needs the Go 1.27 toolchain: the go command fetches it through the
#     module proxy)
#   - govulncheck (golang.org/x/vuln v1.9.0, the latest when this was written)
#   - cosign v2.6.5, which signs the images `rampart verify` is tested on
#     (internal/cli/verify_test.go); a large build, a few minutes on two cores
#
# Each version gets its own directory, $RAMPART_TEST_CACHE/peers/<name>-<version>/, so a version
# bump installs anew and never reuses a stale binary. A copy left by scripts/bench.sh in
# /var/cache/rampart-bench/bin is reused when it reports the same version. Idempotent: about a
# second when everything is there.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

OSV_SCANNER_VERSION=v2.6.0
OSV_SCANNER_TOOLCHAIN=go1.27.3
GOVULNCHECK_VERSION=v1.9.0
# Keep in step with cosignVersion in internal/cli/verify_test.go.
COSIGN_VERSION=v2.6.5
BENCH_BIN=${BENCH_BIN:-/var/cache/rampart-bench/bin}
peers=$RAMPART_TEST_CACHE/peers

# install NAME VERSION MODULE [ENV...] leaves $peers/NAME-VERSION/NAME and prints its path.
install() {
	local name=$1 version=$2 mod=$3
	shift 3
	local dir=$peers/$name-$version
	if [ ! -x "$dir/$name" ]; then
		mkdir -p "$dir"
		local tmp
		tmp=$(mktemp -d "$dir/.install.XXXXXX")
		if [ -x "$BENCH_BIN/$name" ] && "$BENCH_BIN/$name" --version 2>/dev/null | grep -qF "${version#v}"; then
			log "peers: reusing $BENCH_BIN/$name"
			cp "$BENCH_BIN/$name" "$tmp/$name"
		else
			log "peers: installing $mod@$version (once per machine)"
			env GOBIN="$tmp" "$@" go install "$mod@$version" >&2 ||
				{ rm -rf "$tmp"; die "go install $mod@$version failed"; }
		fi
		# Rename last, so an interrupted install never looks complete.
		mv "$tmp/$name" "$dir/$name"
		rm -rf "$tmp"
	fi
	printf '%s %s\n' "$name" "$dir/$name"
}

install osv-scanner "$OSV_SCANNER_VERSION" github.com/google/osv-scanner/v2/cmd/osv-scanner GOTOOLCHAIN="$OSV_SCANNER_TOOLCHAIN"
install govulncheck "$GOVULNCHECK_VERSION" golang.org/x/vuln/cmd/govulncheck GOTOOLCHAIN=local
install cosign "$COSIGN_VERSION" github.com/sigstore/cosign/v2/cmd/cosign GOTOOLCHAIN=local
