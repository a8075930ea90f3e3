#!/usr/bin/env bash
# kube-setup.sh starts a real Kubernetes control plane on loopback for the tests: etcd,
# kube-apiserver (RBAC, PodSecurity) and kube-controller-manager (it fills aggregated
# ClusterRoles). There is no kubelet or scheduler: pods stay Pending, which is all the analysis
# needs. It is idempotent: what already runs is left alone, what is missing is started.
#
# It writes a kubeconfig with four contexts and the facts tests need into
# $RAMPART_KUBE_ENV (default $RAMPART_TEST_CACHE/kube-env.json), read by internal/kubetest:
#   admin    client cert O=system:masters (cluster-admin)
#   lowpriv  client cert CN=rampart-lowpriv, no bindings of its own (gets 403 on lists)
#   expired  client cert signed by the CA but already expired (401)
#   badtoken a bearer token the server does not know (401)
# Logs go to $RAMPART_TEST_CACHE/logs/{etcd,kube-apiserver,kube-controller-manager}.log.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

KUBE_ENV=${RAMPART_KUBE_ENV:-$RAMPART_TEST_CACHE/kube-env.json}
dir=$RAMPART_TEST_CACHE/kube-cluster
logs=$RAMPART_TEST_CACHE/logs
ETCD_PORT=23791
ETCD_PEER_PORT=23801
API_PORT=16443
KCM_PORT=10258
server=https://127.0.0.1:$API_PORT
mkdir -p "$dir/pki" "$dir/etcd" "$logs"
chmod 700 "$dir"

bin=$("$here/kube-build.sh")
[ -x "$bin/kube-apiserver" ] || die "kube-build.sh gave no kube-apiserver in $bin"
if ! command -v etcd >/dev/null; then
	log "installing etcd-server"
	DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server >/dev/null
fi
# Debian's package starts its own etcd on the default ports; ours uses other ports and data.

pki=$dir/pki
# client NAME SUBJECT [DAYS]: a client certificate signed by the test CA.
client() {
	local name=$1 subj=$2 days=${3:-3650}
	[ -s "$pki/$name.crt" ] && return 0
	openssl req -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -out "$pki/$name.csr" -subj "$subj" 2>/dev/null
	openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-out "$pki/$name.crt" -days "$days" -extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null
}
if [ ! -s "$pki/ca.crt" ]; then
	log "generating certificates in $pki"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 3650 \
		-subj /CN=rampart-test-kube-ca 2>/dev/null
fi
if [ ! -s "$pki/apiserver.crt" ]; then
	openssl req -newkey rsa:2048 -nodes -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" \
		-subj /CN=kube-apiserver 2>/dev/null
	openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-out "$pki/apiserver.crt" -days 3650 -extfile <(printf '%s\n' \
			'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,IP:10.96.0.1' \
			'extendedKeyUsage=serverAuth') 2>/dev/null
fi
[ -s "$pki/sa.key" ] || openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
[ -s "$pki/sa.pub" ] || openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
client admin /O=system:masters/CN=rampart-admin
client lowpriv /O=rampart-testers/CN=rampart-lowpriv
# A negative validity makes notAfter lie before now: the server must answer 401.
client expired /O=system:masters/CN=rampart-expired -1

kubeconfig=$dir/kubeconfig
cat >"$kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: rampart-test
  cluster:
    server: $server
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user: {client-certificate: $pki/admin.crt, client-key: $pki/admin.key}
- name: lowpriv
  user: {client-certificate: $pki/lowpriv.crt, client-key: $pki/lowpriv.key}
- name: expired
  user: {client-certificate: $pki/expired.crt, client-key: $pki/expired.key}
- name: badtoken
  user: {token: rampart-not-a-valid-token}
contexts:
- {name: admin, context: {cluster: rampart-test, user: admin}}
- {name: lowpriv, context: {cluster: rampart-test, user: lowpriv}}
- {name: expired, context: {cluster: rampart-test, user: expired}}
- {name: badtoken, context: {cluster: rampart-test, user: badtoken}}
current-context: admin
EOF
mv "$kubeconfig.tmp" "$kubeconfig"

# api PATH: GET PATH as admin.
api() {
	curl -sf --max-time 5 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$server$1"
}

# start NAME COMMAND...: run a daemon detached from this shell, its pid in $dir/NAME.pid.
start() {
	local name=$1
	shift
	log "starting $name"
	setsid nohup "$@" >>"$logs/$name.log" 2>&1 </dev/null &
	echo $! >"$dir/$name.pid"
}
running() { [ -s "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

if ! curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" >/dev/null; then
	start etcd etcd --name rampart-test --data-dir "$dir/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster "rampart-test=http://127.0.0.1:$ETCD_PEER_PORT"
	wait_for 60 etcd curl -sf "http://127.0.0.1:$ETCD_PORT/health" || die "etcd did not start; see $logs/etcd.log"
fi

if ! api /readyz >/dev/null 2>&1; then
	running kube-apiserver && kill "$(cat "$dir/kube-apiserver.pid")" && sleep 2
	start kube-apiserver "$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
		--tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
		--client-ca-file="$pki/ca.crt" \
		--service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$pki/sa.pub" \
		--service-account-signing-key-file="$pki/sa.key" --service-cluster-ip-range=10.96.0.0/24 \
		--authorization-mode=RBAC --allow-privileged=true \
		--enable-admission-plugins=PodSecurity --disable-admission-plugins=ServiceAccount
	wait_for 180 kube-apiserver api /readyz || die "kube-apiserver not ready; see $logs/kube-apiserver.log"
fi

if ! running kube-controller-manager; then
	start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$kubeconfig" \
		--service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
		--cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
		--leader-elect=false --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
		--use-service-account-credentials=false
fi
# The controller-manager fills the aggregated ClusterRoles (admin, edit, view): wait for that.
admin_has_rules() { api /apis/rbac.authorization.k8s.io/v1/clusterroles/admin | grep -q '"verbs"'; }
wait_for 120 "aggregated ClusterRoles" admin_has_rules ||
	die "kube-controller-manager did not aggregate ClusterRoles; see $logs/kube-controller-manager.log"

version=$(api /version | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p')
tmp=$(mktemp "$KUBE_ENV.XXXX")
cat >"$tmp" <<EOF
{
  "server": "$server",
  "version": "$version",
  "kubeconfig": "$kubeconfig",
  "contexts": {"admin": "admin", "lowpriv": "lowpriv", "expired": "expired", "badtoken": "badtoken"},
  "lowpriv_user": "rampart-lowpriv",
  "ca_cert": "$pki/ca.crt",
  "etcd": "http://127.0.0.1:$ETCD_PORT",
  "logs": "$logs"
}
EOF
chmod 644 "$tmp"
mv "$tmp" "$KUBE_ENV"
log "kube cluster ready at $server ($version); facts in $KUBE_ENV"
