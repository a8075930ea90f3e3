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

# The bundled offline vulnerability data (data/vulndb: OSV exports and the CISA KEV catalog) into
# the default database location; a second run replaces it atomically.
log "importing the bundled vulnerability data (data/vulndb)"
"$rampart" db import -q "$here/../data/vulndb"

log "scanning $DEMO_IMAGE from the Docker engine"
"$rampart" image "docker://$DEMO_IMAGE"
log "the same image as a docker save archive: $demo/image.tar"
"$rampart" image -q -f json "docker-archive:$demo/image.tar" | jq -r '"\(.packages | length) packages, OS \(.artifact.os.name)"'
