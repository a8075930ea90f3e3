# shellcheck shell=bash
# Shared settings of scripts/test-setup.sh, scripts/fixtures.sh and scripts/demo.sh. Sourced, not run.
#
# Everything slow lives under RAMPART_TEST_CACHE (default /var/cache/rampart-test) so that it is
# built once per machine; `make clean-cache` (rm -rf) starts over.

RAMPART_TEST_CACHE=${RAMPART_TEST_CACHE:-/var/cache/rampart-test}
RAMPART_TEST_ENV=${RAMPART_TEST_ENV:-$RAMPART_TEST_CACHE/env.json}

# Both registries listen on loopback only.
REGISTRY_PLAIN=127.0.0.1:5000
REGISTRY_TLS=127.0.0.1:5443
REGISTRY_USER=rampart

# The Debian mirror debootstrap uses; the host's apt uses the same one.
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SUITE=bookworm

export PATH=/usr/local/go/bin:$PATH:/usr/sbin:/sbin

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# wait_for SECONDS WHAT COMMAND... retries COMMAND every half second until it succeeds.
wait_for() {
	local secs=$1 what=$2
	shift 2
	log "waiting for $what"
	local i
	for ((i = 0; i < secs * 2; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.5
	done
	return 1
}
