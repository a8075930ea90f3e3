#!/usr/bin/env bash
# demo.sh builds a small real Debian image locally and scans it with bin/rampart (`make demo`
# builds the binary first). No registry pulls: debootstrap fetches Debian packages, `docker
# import` makes the image. The root filesystem is cached per machine, keyed by this script.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

rampart=${RAMPART:-$here/../bin/rampart}
[ -x "$rampart" ] || die "$rampart is missing: run make build (or make demo)"
DEMO_PACKAGES=(curl openssl)
DEMO_IMAGE=rampart-demo/debian:12

# dockerd with the project's network rules, and only the packages the demo needs.
"$here/test-setup.sh" --demo

hash=$({ cat "$here/demo.sh"; uname -m; } | sha256sum | cut -c1-16)
demo=$RAMPART_TEST_CACHE/demo-$hash
if [ ! -s "$demo/image.tar" ]; then
	log "debootstrap bookworm with ${DEMO_PACKAGES[*]} into $demo (once per machine: a few minutes)"
	rm -rf "$demo.tmp"
	mkdir -p "$demo.tmp"
	debootstrap --variant=minbase --include="$(
		IFS=,
		echo "${DEMO_PACKAGES[*]}"
	)" "$DEBIAN_SUITE" "$demo.tmp/rootfs" "$DEBIAN_MIRROR" >"$demo.tmp/debootstrap.log" 2>&1 ||
		{ tail -n 30 "$demo.tmp/debootstrap.log" >&2; die "debootstrap failed"; }
	rm -rf "$demo.tmp"/rootfs/var/cache/apt/archives/*.deb "$demo.tmp"/rootfs/var/lib/apt/lists/*_*
	tar -C "$demo.tmp/rootfs" --numeric-owner -cf - . | docker import -c 'CMD ["/bin/bash"]' - "$DEMO_IMAGE" >/dev/null
	docker save -o "$demo.tmp/image.tar" "$DEMO_IMAGE"
	rm -rf "$demo.tmp/rootfs"
	find "$RAMPART_TEST_CACHE" -maxdepth 1 -name 'demo-*' ! -name "demo-$hash*" -exec rm -rf {} +
	mv "$demo.tmp" "$demo"
fi
docker image inspect "$DEMO_IMAGE" >/dev/null 2>&1 || docker load -q -i "$demo/image.tar" >/dev/null

# The bundled offline vulnerability data (data/vulndb: OSV exports with CVSS vectors, the CISA KEV
# catalog, FIRST EPSS scores) into a database of the demo's own: the default location may hold a
# fuller database from `rampart db update`, which an import of fewer sources would not replace
# (and should not). A second run replaces the demo's database atomically.
export RAMPART_DB_DIR=$RAMPART_TEST_CACHE/vulndb-demo
log "importing the bundled vulnerability data (data/vulndb) into $RAMPART_DB_DIR"
"$rampart" db import -q "$here/../data/vulndb"

log "scanning $DEMO_IMAGE from the Docker engine"
"$rampart" image "docker://$DEMO_IMAGE"
log "the same image as a docker save archive: $demo/image.tar"
"$rampart" image -q -f json "docker-archive:$demo/image.tar" >"$demo/report.json"
jq -r '"\(.packages | length) packages, OS \(.artifact.os.name)"' "$demo/report.json"
log "vulnerabilities by severity, and where the severities came from (extra.severity_source)"
jq -r '[.findings[] | select(.kind == "vulnerability") | .severity] | group_by(.) | map("  \(.[0]): \(length)") | .[]' "$demo/report.json"
jq -r '[.findings[] | select(.kind == "vulnerability") | .extra.severity_source // ""
	| if . == "" then "no rating anywhere: UNKNOWN"
	  elif test("vector from ") then "the record'"'"'s CVSS, vector from " + capture("vector from (?<s>[^)]*)").s
	  elif test("[(]nvd: ") then "NVD'"'"'s CVSS"
	  elif test(" via CVE-") then "another record of the same CVE"
	  else sub(" [(].*"; "") end]
	| group_by(.) | map("  \(length)\t\(.[0])") | .[]' "$demo/report.json"
# The bundled data rates a CVE only where a record carries a vector (older CVEs, mostly): the
# newest bookworm packages' CVEs may all be UNKNOWN until `rampart db update` brings NVD's CVSS.
log "the CI gate: --fail-on HIGH exits 3 when a finding is HIGH or CRITICAL, 0 otherwise (and says how many were UNKNOWN)"
code=0
"$rampart" image --fail-on HIGH -f json -o "$demo/gate.json" "docker-archive:$demo/image.tar" 2>"$demo/gate.err" || code=$?
grep -h '^rampart: ' "$demo/gate.err" >&2 || true
log "rampart image --fail-on HIGH: exit $code"
case $code in 0 | 3) ;; *) die "--fail-on HIGH: exit $code" ;; esac
log "done; to scan with this database: RAMPART_DB_DIR=$RAMPART_DB_DIR $rampart image IMAGE"
