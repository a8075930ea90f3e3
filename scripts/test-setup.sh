#!/usr/bin/env bash
# test-setup.sh installs and starts what Rampart's test suite needs on a Debian 12 machine, as root:
#
#   - Debian packages: Docker engine, Distribution registry, debootstrap, rpm, skopeo, libyara, …
#   - dockerd without its default bridge (--bridge=none --iptables=false), log in the cache
#   - two Distribution registries on loopback: plain HTTP on 127.0.0.1:5000, and TLS with
#     htpasswd basic auth on 127.0.0.1:5443 (CA and server certificate made here with openssl)
#
# It is idempotent and takes about a second when everything is already there. It writes the facts
# tests need to $RAMPART_TEST_CACHE/services.json; scripts/fixtures.sh merges them into env.json.
#
# With --demo it installs only what `make demo` needs (the Docker engine, debootstrap, jq, and the
# YARA library and a C compiler so that the build that follows has malware rules) and starts
# dockerd: no registries, no test CA.
set -euo pipefail
demo=
[ "${1:-}" != --demo ] || demo=1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root: it installs packages and starts dockerd"

# Debian packages. skopeo writes OCI layouts and archives; the rest serve analyzers' tests against
# real tools: rpm and db5.3-util (rpm databases), libyara-dev (the YARA engine), ruby, php-cli and
# composer (gem and composer metadata), graphviz and libxml2-utils (graph export checks).
packages=(
	docker.io docker-registry debootstrap skopeo apache2-utils openssl ca-certificates curl jq
	git make gcc libc6-dev xz-utils unzip
	rpm db5.3-util libyara-dev ruby php-cli composer graphviz libxml2-utils
	libcommons-lang3-java libjackson2-core-java
)
command -v npm >/dev/null || packages+=(nodejs npm)
[ -z "$demo" ] || packages=(docker.io debootstrap ca-certificates curl jq make gcc libc6-dev pkg-config libyara-dev)

# One dpkg-query for all: it prints "ii  NAME" for each installed package.
mapfile -t installed < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${packages[@]}" 2>/dev/null | awk '$1 == "ii" {print $2}')
missing=()
for p in "${packages[@]}"; do
	[[ " ${installed[*]} " == *" $p "* ]] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Without systemd nothing starts services here, but a policy-rc.d keeps the packages' own
	# dockerd and registry (default bridge, registry on all interfaces) from starting anyway.
	policy_rc=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy_rc=1
	fi
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}" >"${TMPDIR:-/tmp}/rampart-apt.log" 2>&1 ||
		{ tail -n 30 "${TMPDIR:-/tmp}/rampart-apt.log" >&2; die "apt-get install failed"; }
	[ -z "$policy_rc" ] || rm -f /usr/sbin/policy-rc.d
fi

mkdir -p "$RAMPART_TEST_CACHE/logs" "$RAMPART_TEST_CACHE/tls" "$RAMPART_TEST_CACHE/registry"
logs=$RAMPART_TEST_CACHE/logs

# --- dockerd ---------------------------------------------------------------------------------
docker_api() { curl -fsS --unix-socket /var/run/docker.sock "http://docker$1"; }
if ! docker_api /_ping >/dev/null 2>&1; then
	log "starting dockerd (log: $logs/dockerd.log)"
	setsid nohup dockerd --bridge=none --iptables=false >>"$logs/dockerd.log" 2>&1 </dev/null &
	wait_for 90 dockerd docker_api /_ping || { tail -n 30 "$logs/dockerd.log" >&2; die "dockerd did not answer within 90s"; }
fi
# A daemon someone else started with the default bridge would put test containers on a network.
if docker_api /networks/bridge >/dev/null 2>&1; then
	die "the running dockerd has a default bridge network; restart it with --bridge=none --iptables=false"
fi

if [ -n "$demo" ]; then
	log "the Docker engine is up"
	exit 0
fi

# --- TLS material ----------------------------------------------------------------------------
tls=$RAMPART_TEST_CACHE/tls
restart_tls=
if [ ! -s "$tls/ca.crt" ] || ! openssl x509 -checkend 604800 -noout -in "$tls/ca.crt" >/dev/null; then
	log "creating the test CA"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
		-subj "/CN=Rampart test CA" -keyout "$tls/ca.key" -out "$tls/ca.crt" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	rm -f "$tls/server.crt"
fi
if [ ! -s "$tls/server.crt" ] || ! openssl x509 -checkend 604800 -noout -in "$tls/server.crt" >/dev/null; then
	log "creating the registry's server certificate"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$tls/server.ext"
	openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
		-days 825 -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
	restart_tls=1
fi
# The permissions CIS Docker 3.x asks of TLS material (Rampart's own `rampart docker` checks them):
# certificates 444, keys 400, owned by root.
chown root:root "$tls"/*.crt "$tls"/*.key
chmod 444 "$tls"/*.crt
chmod 400 "$tls"/*.key
# Docker trusts a registry's CA from certs.d; `docker login` and `docker push` need it.
mkdir -p /etc/docker/certs.d/$REGISTRY_TLS
cp "$tls/ca.crt" /etc/docker/certs.d/$REGISTRY_TLS/ca.crt

# --- registries ------------------------------------------------------------------------------
reg=$RAMPART_TEST_CACHE/registry
[ -s "$reg/password" ] || openssl rand -hex 16 >"$reg/password"
password=$(cat "$reg/password")
if [ ! -s "$reg/htpasswd" ] || [ "$reg/password" -nt "$reg/htpasswd" ]; then
	htpasswd -Bbn "$REGISTRY_USER" "$password" >"$reg/htpasswd"
	restart_tls=1 # the registry reads htpasswd at start
fi

cat >"$reg/plain.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $reg/plain-data
  delete:
    enabled: true
http:
  addr: $REGISTRY_PLAIN
EOF
cat >"$reg/tls.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $reg/tls-data
  delete:
    enabled: true
auth:
  htpasswd:
    realm: rampart-test
    path: $reg/htpasswd
http:
  addr: $REGISTRY_TLS
  tls:
    certificate: $tls/server.crt
    key: $tls/server.key
EOF

plain_up() { curl -fsS -o /dev/null "http://$REGISTRY_PLAIN/v2/"; }
# The TLS registry answers 401 without credentials and 200 with them.
tls_up() { curl -fsS -o /dev/null --cacert "$tls/ca.crt" -u "$REGISTRY_USER:$password" "https://$REGISTRY_TLS/v2/"; }

# registry_pid NAME prints the pid of the registry this script started, if it still runs. The
# command line is checked because a pid file can outlive its process and the pid be reused.
registry_pid() {
	local pid
	pid=$(cat "$reg/$1.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "docker-registry serve $reg/$1.yml" && echo "$pid"
}

# start_registry NAME CHECK starts the registry unless CHECK passes; a registry of ours that fails
# CHECK (old certificate or password) is stopped first.
start_registry() {
	local name=$1 check=$2 pid
	if [ -n "$restart_tls" ] && [ "$name" = tls ] && pid=$(registry_pid "$name"); then
		kill "$pid"
		sleep 1
	fi
	"$check" 2>/dev/null && return 0
	if pid=$(registry_pid "$name"); then
		kill "$pid"
		sleep 1
	fi
	log "starting the $name registry (log: $logs/registry-$name.log)"
	setsid nohup docker-registry serve "$reg/$name.yml" >>"$logs/registry-$name.log" 2>&1 </dev/null &
	echo $! >"$reg/$name.pid"
	wait_for 30 "$name registry" "$check" || { tail -n 20 "$logs/registry-$name.log" >&2; die "the $name registry did not start"; }
}
start_registry plain plain_up
start_registry tls tls_up

jq -n --arg plain "$REGISTRY_PLAIN" --arg tls "$REGISTRY_TLS" --arg ca "$tls/ca.crt" \
	--arg user "$REGISTRY_USER" --arg password "$password" --arg logs "$logs" \
	'{registry: {plain: $plain, tls: $tls, ca_cert: $ca, username: $user, password: $password}, logs: $logs}' \
	>"$RAMPART_TEST_CACHE/services.json"
log "test services are up"
