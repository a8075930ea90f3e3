#!/usr/bin/env bash
# Runs Rampart and its peers on the same image archive, in one run, with cold caches, and prints
# wall time, peak RSS and Rampart/peer ratios. Peers are installed once per machine with
# `go install` into $BENCH_BIN. Usage: scripts/bench.sh [IMAGE.tar [SECOND_IMAGE.tar]]
# Without arguments it uses the app image of the test fixtures (scripts/fixtures.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_BIN=${BENCH_BIN:-/var/cache/rampart-bench/bin}
export PATH="$BENCH_BIN:$PATH"
mkdir -p "$BENCH_BIN"
command -v /usr/bin/time >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null

install_peer() { # name module [env...]
	local bin=$1 mod=$2; shift 2
	[ -x "$BENCH_BIN/$bin" ] && return 0
	echo "installing $bin ($mod), once per machine…" >&2
	env GOBIN="$BENCH_BIN" "$@" go install "$mod" >&2
}
# osv-scanner v2.6.0 needs Go 1.27: the go command fetches that toolchain through the module proxy.
install_peer osv-scanner github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.6.0 GOTOOLCHAIN=go1.27.3
install_peer trivy github.com/aquasecurity/trivy/cmd/trivy@v0.74.0 GOEXPERIMENT=jsonv2
install_peer syft github.com/anchore/syft/cmd/syft@latest
install_peer gitleaks github.com/zricethezav/gitleaks/v8@latest

env_file=${RAMPART_TEST_ENV:-/var/cache/rampart-test/env.json}
img=${1:-}
img2=${2:-}
# The reference image: the fixtures' Debian root filesystem plus their npm app and Go binaries,
# without jar files (Trivy cannot scan jars offline: it insists on downloading its Java DB), and a
# sibling that shares its base layer, for the layer-cache ratio. Built once per fixture set.
bench_images() {
	local fx rootfs ctx out
	fx=$(jq -r .fixtures.dir "$env_file")
	rootfs=$(jq -r .fixtures.rootfs "$env_file")
	ctx=$(jq -r .fixtures.context "$env_file")
	out=$fx/bench
	if [ ! -s "$out/app.tar" ] || [ ! -s "$out/sibling.tar" ]; then
		echo "building the benchmark images from $rootfs (once)…" >&2
		mkdir -p "$out/ctx"
		tar -C "$rootfs" --numeric-owner --exclude='*.jar' -cf - . | docker import - rampart-bench/base:1 >/dev/null
		cp -r "$ctx/app" "$ctx/bin" "$out/ctx/"
		printf 'FROM rampart-bench/base:1\nCOPY app /srv/app\nCOPY bin /usr/local/bin\n' >"$out/ctx/Dockerfile"
		DOCKER_BUILDKIT=0 docker build -q --network none -t rampart-bench/app:1 "$out/ctx" >/dev/null
		printf 'FROM rampart-bench/base:1\nCOPY bin /usr/local/bin\n' >"$out/ctx/Dockerfile.sibling"
		DOCKER_BUILDKIT=0 docker build -q --network none -t rampart-bench/sibling:1 -f "$out/ctx/Dockerfile.sibling" "$out/ctx" >/dev/null
		docker save -o "$out/app.tar" rampart-bench/app:1
		docker save -o "$out/sibling.tar" rampart-bench/sibling:1
	fi
	img=$out/app.tar
	img2=$out/sibling.tar
}
if [ -z "$img" ] && [ -f "$env_file" ]; then
	bench_images
fi
[ -n "$img" ] && [ -f "$img" ] || { echo "bench: no image archive (run scripts/fixtures.sh or pass IMAGE.tar)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The binary `go install` gives (no YARA); with libyara-dev installed, also the one `make build`
# gives (-tags yara: cgo, libyara and libcrypto linked in), for its start-up cost.
go build -o "$work/rampart" ./cmd/rampart
yara=
if [ -f /usr/include/yara.h ]; then
	go build -tags yara -o "$work/rampart-yara" ./cmd/rampart && yara=1
fi

# Vulnerability data for the offline peers: osv-scanner reads the same zips Rampart bundles.
mkdir -p "$work/osvdb/osv-scalibr"
for z in data/vulndb/*-all.zip; do
	eco=$(basename "$z" -all.zip)
	mkdir -p "$work/osvdb/osv-scalibr/$eco" && cp "$z" "$work/osvdb/osv-scalibr/$eco/all.zip"
done

declare -A wall rss
# Each tool runs with its own caches cold (--no-cache, --cache-backend memory, fresh directories);
# the OS page cache stays warm for everyone, so that disk speed and binary size do not decide.
# Each command runs RUNS times (default 3) and the median wall time is kept, with its peak RSS.
RUNS=${RUNS:-3}
measure() { # key command...
	local key=$1; shift
	local i samples=()
	for ((i = 0; i < RUNS; i++)); do
		local rc=0
		/usr/bin/time -f '%e %M' -o "$work/t" "$@" > "$work/$key.out" 2> "$work/$key.err" || rc=$?
		# osv-scanner exits 1 when it finds vulnerabilities: that is its success.
		if [ "$rc" != 0 ] && ! { [ "$key" = osv-scanner ] && [ "$rc" = 1 ]; } && [ "$i" = 0 ]; then
			echo "bench: $key exited $rc (stderr in $work/$key.err):" >&2
			tail -3 "$work/$key.err" >&2
		fi
		samples+=("$(tail -1 "$work/t")")
	done
	read -r wall[$key] rss[$key] < <(printf '%s\n' "${samples[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
	printf '%-28s %8.2f s %8.1f MiB\n' "$key" "${wall[$key]}" "$(echo "${rss[$key]}/1024" | bc -l)"
}

echo "image: $img ($(du -h "$img" | cut -f1))"
measure rampart-sbom "$work/rampart" sbom --no-cache -q "docker-archive:$img" --format cyclonedx-json
[ -n "$yara" ] && measure rampart-sbom-yara "$work/rampart-yara" sbom --no-cache -q "docker-archive:$img" --format cyclonedx-json
measure trivy-sbom env TRIVY_CACHE_DIR="$work/trivy" trivy image --input "$img" --format cyclonedx --skip-db-update --offline-scan --cache-backend memory --quiet
measure syft-sbom env SYFT_CHECK_FOR_APP_UPDATE=false syft "docker-archive:$img" -o cyclonedx-json -q
"$work/rampart" db import --db-dir "$work/db" data/vulndb >/dev/null 2>&1 || true
measure rampart-vuln "$work/rampart" image --no-cache -q --db-dir "$work/db" --offline --scanners vuln --format json "docker-archive:$img"
# rampart image with its default scanners (vuln, pkg, secret): more work than osv-scanner does.
measure rampart-image-default "$work/rampart" image --no-cache -q --db-dir "$work/db" --offline --format json "docker-archive:$img"
measure osv-scanner env OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$work/osvdb" osv-scanner scan image --archive "$img" --offline --format json
measure rampart-db-import "$work/rampart" db import --db-dir "$work/db2" data/vulndb
# Secret scanning: the image with and without secrets, Trivy's secret scanner, and a directory
# (the fixtures' Debian root filesystem plus the npm app) against gitleaks' dir mode.
measure rampart-pkg-only "$work/rampart" image --no-cache -q --scanners pkg --format json "docker-archive:$img"
measure rampart-pkg-secret "$work/rampart" image --no-cache -q --scanners pkg,secret --format json "docker-archive:$img"
measure rampart-secret "$work/rampart" image --no-cache -q --scanners secret --format json "docker-archive:$img"
measure trivy-secret env TRIVY_CACHE_DIR="$work/trivy" trivy image --input "$img" --scanners secret --format json --skip-db-update --offline-scan --cache-backend memory --quiet
secdir=
if [ -f "$env_file" ]; then
	secdir=$work/secdir
	mkdir -p "$secdir"
	cp -a "$(jq -r .fixtures.rootfs "$env_file")/." "$secdir/rootfs"
	cp -a "$(jq -r .fixtures.context "$env_file")/app" "$secdir/app"
	echo "secret corpus directory: $(du -sh "$secdir" | cut -f1)"
	measure rampart-fs-secret "$work/rampart" fs --no-cache -q --scanners secret --format json "$secdir"
	measure gitleaks-dir gitleaks dir "$secdir" --no-banner --exit-code 0 --report-path "$work/gitleaks.json"
fi
if [ -n "$img2" ] && [ -f "$img2" ]; then
	# The first image with an empty layer cache (a new directory each run), then the sibling with
	# the cache the first one filled.
	measure rampart-cold-first sh -c 'd=$(mktemp -d) && "$1" sbom -q --cache-dir "$d" "docker-archive:$2" --format json; r=$?; rm -rf "$d"; exit $r' _ "$work/rampart" "$img"
	"$work/rampart" sbom -q --cache-dir "$work/cache" "docker-archive:$img" --format json >/dev/null
	measure rampart-warm-sibling "$work/rampart" sbom -q --cache-dir "$work/cache" "docker-archive:$img2" --format json
fi

ratio() { echo "scale=2; ${wall[$1]} / ${wall[$2]}" | bc -l; }
mratio() { echo "scale=2; ${rss[$1]} / ${rss[$2]}" | bc -l; }
echo
echo "ratios (lower is better for Rampart):"
echo "  sbom time   rampart/trivy       = $(ratio rampart-sbom trivy-sbom)   (goal <= 0.5)"
echo "  sbom rss    rampart/trivy       = $(mratio rampart-sbom trivy-sbom)   (goal <= 0.5)"
[ -n "$yara" ] && echo "  sbom rss    (yara build)/trivy   = $(mratio rampart-sbom-yara trivy-sbom)"
echo "  sbom time   rampart/syft        = $(ratio rampart-sbom syft-sbom)"
echo "  vuln time   rampart/osv-scanner = $(ratio rampart-vuln osv-scanner)   (goal <= 0.3)"
echo "  vuln rss    rampart/osv-scanner = $(mratio rampart-vuln osv-scanner)   (goal <= 0.5)"
echo "  image (default scanners)/osv-scanner: time $(ratio rampart-image-default osv-scanner), rss $(mratio rampart-image-default osv-scanner)"
echo "  secret cost (pkg+secret)/pkg    = $(ratio rampart-pkg-secret rampart-pkg-only)   (goal <= 1.25)"
echo "  secret time rampart/trivy       = $(ratio rampart-secret trivy-secret)   (goal <= 0.25)"
[ -n "$secdir" ] && echo "  dir secrets rampart/gitleaks    = $(ratio rampart-fs-secret gitleaks-dir)   (goal <= 0.2, i.e. 5x the throughput)"
[ -n "${wall[rampart-warm-sibling]:-}" ] && echo "  layer cache sibling/first       = $(ratio rampart-warm-sibling rampart-cold-first)   (goal <= 0.3)"
exit 0
