#!/usr/bin/env bash
# fixtures.sh builds the real images the integration tests scan, once per machine, and makes sure
# the Docker engine and both test registries hold them. Run scripts/test-setup.sh first.
#
# Built (cold, a few minutes), into $RAMPART_TEST_CACHE/fixtures-<hash of this recipe>/:
#   rootfs/            debootstrap --variant=minbase bookworm plus BASE_PACKAGES (the dir: source
#                      and the dpkg-query truth)
#   rampart-test/debian:12   that rootfs, `docker import`ed (one layer)
#   rampart-test/app:1       FROM it: a .deb installed by dpkg in a build layer, real npm packages,
#                            two Go binaries (current toolchain and OLD_GO) using vulnerable modules
#   rampart-test/second:1    FROM the same base (shares its layer with app: the layer-cache test)
#   rampart-test/whiteout:1  FROM app: purges the .deb and deletes the old Go binary (whiteouts)
#   archives/*.tar     `docker save` of each image; app-oci.tar (OCI archive); oci/app (OCI layout)
#   ctx/               the build context, kept: tests read the truth about the Go binaries and npm
#                      packages from it with independent tools (go version -m, package.json files)
#   fixtures.json      what was built: tags, image IDs, diffIDs, paths
# Every run (warm: seconds): loads missing images into the engine, pushes app to both registries,
# and writes $RAMPART_TEST_CACHE/env.json (services.json + fixtures.json + manifest digests).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root: debootstrap and docker need it"
services=$RAMPART_TEST_CACHE/services.json
[ -s "$services" ] || die "$services is missing: run scripts/test-setup.sh first"

# --- the recipe: changing any of it (or anything under scripts/fixtures/) rebuilds ------------
BASE_PACKAGES=(python3-yaml python3-requests libcommons-lang3-java ruby-rack ca-certificates)
BUILD_DEBS=(tree) # installed with dpkg -i in a layer of the app image
NPM_PACKAGES=(express@4.17.1 lodash@4.17.15 minimist@1.2.0)
OLD_GO=go1.20.14

hash=$({
	cat "$here/fixtures.sh"
	cd "$here" && find fixtures -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
	uname -m
} | sha256sum | cut -c1-16)
fx=$RAMPART_TEST_CACHE/fixtures-$hash

# step NAME COMMAND... runs a build step and logs how long it took. A step that finished is not
# run again: an interrupted build of the same recipe resumes after it.
step() {
	local name=$1 start=$SECONDS marker
	shift
	marker=$work/.done-$(printf '%s' "$name" | tr -c 'a-zA-Z0-9' '_')
	[ -e "$marker" ] && return 0
	log "$name"
	"$@"
	touch "$marker"
	log "$name: done in $((SECONDS - start))s"
}

make_rootfs() {
	local out=$1
	rm -rf "$out"
	debootstrap --variant=minbase --include="$(
		IFS=,
		echo "${BASE_PACKAGES[*]}"
	)" "$DEBIAN_SUITE" "$out" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 ||
		{ tail -n 30 "$work/debootstrap.log" >&2; return 1; }
	# Real images carry no package downloads or index files.
	rm -rf "$out"/var/cache/apt/archives/*.deb "$out"/var/lib/apt/lists/*_*
}

make_context() {
	local ctx=$1
	rm -rf "$ctx"
	mkdir -p "$ctx/bin" "$ctx/app" "$ctx/debs"
	(
		cd "$here/fixtures/goapp"
		export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false -trimpath" CGO_ENABLED=0
		GOTOOLCHAIN=local go build -o "$ctx/bin/goapp" .
		GOTOOLCHAIN=$OLD_GO go build -o "$ctx/bin/goapp-go1.20" .
	)
	(
		cd "$ctx/app"
		printf '{"name": "rampart-fixture-app", "version": "1.0.0", "private": true}\n' >package.json
		npm install --no-audit --no-fund --ignore-scripts --no-update-notifier --save-exact \
			"${NPM_PACKAGES[@]}" >"$work/npm.log" 2>&1 || { cat "$work/npm.log" >&2; exit 1; }
	)
	(
		cd "$ctx/debs"
		# A stale package index can name a version the mirror no longer has: refresh and retry.
		apt-get download "${BUILD_DEBS[@]}" >/dev/null 2>&1 ||
			{ apt-get update -qq && apt-get download "${BUILD_DEBS[@]}" >/dev/null; }
	)
	cat >"$ctx/Dockerfile.app" <<'EOF'
FROM rampart-test/debian:12
COPY debs/ /tmp/debs/
RUN dpkg -i /tmp/debs/*.deb && rm -rf /tmp/debs
COPY app/ /srv/app/
COPY bin/ /usr/local/bin/
EOF
	cat >"$ctx/Dockerfile.second" <<'EOF'
FROM rampart-test/debian:12
COPY bin/goapp /opt/second/goapp
EOF
	cat >"$ctx/Dockerfile.whiteout" <<EOF
FROM rampart-test/app:1
RUN dpkg --purge ${BUILD_DEBS[*]} && rm /usr/local/bin/goapp-go1.20
EOF
}

# build_image NAME: the classic builder, without a network.
build_image() {
	DOCKER_BUILDKIT=0 docker build --network none -t "rampart-test/$1:1" \
		-f "$work/ctx/Dockerfile.$1" "$work/ctx" >"$work/build-$1.log" 2>&1 ||
		{ tail -n 30 "$work/build-$1.log" >&2; return 1; }
}

make_images() {
	tar -C "$work/rootfs" --numeric-owner -cf - . |
		docker import -c 'CMD ["/bin/bash"]' - rampart-test/debian:12 >/dev/null
	build_image app
	build_image second
	build_image whiteout
	rm -rf "$work/archives" "$work/oci"
	mkdir -p "$work/archives" "$work/oci"
	local img
	for img in debian:12 app:1 second:1 whiteout:1; do
		docker save -o "$work/archives/${img%%:*}.tar" "rampart-test/$img"
	done
	skopeo --insecure-policy copy -q "docker-archive:$work/archives/app.tar" "oci:$work/oci/app:1"
	skopeo --insecure-policy copy -q "docker-archive:$work/archives/app.tar" "oci-archive:$work/archives/app-oci.tar:1"
	write_fixtures_json >"$work/fixtures.json"
}

# image_json NAME TAG: what the engine says about a fixture image. Paths are where the fixtures
# will be once the build is complete.
image_json() {
	docker image inspect "$2" | jq --arg a "$fx/archives/$1.tar" \
		'.[0] | {tag: .RepoTags[0], id: .Id, diff_ids: .RootFS.Layers, docker_archive: $a}'
}

write_fixtures_json() {
	jq -n --arg dir "$fx" --arg rootfs "$fx/rootfs" --arg ctx "$fx/ctx" \
		--argjson base "$(image_json debian rampart-test/debian:12)" \
		--argjson app "$(image_json app rampart-test/app:1)" \
		--argjson second "$(image_json second rampart-test/second:1)" \
		--argjson whiteout "$(image_json whiteout rampart-test/whiteout:1)" \
		--arg oci "$fx/oci/app" --arg ociarchive "$fx/archives/app-oci.tar" \
		--arg debs "${BUILD_DEBS[*]}" --arg npm "${NPM_PACKAGES[*]}" --arg oldgo "$OLD_GO" \
		'{fixtures: {dir: $dir, rootfs: $rootfs, context: $ctx,
		   base: $base, second: $second, whiteout: $whiteout,
		   app: ($app + {oci_layout: $oci, oci_tag: "1", oci_archive: $ociarchive}),
		   app_debs: ($debs | split(" ")), npm_packages: ($npm | split(" ")),
		   go_binaries: {"usr/local/bin/goapp": "bin/goapp", "usr/local/bin/goapp-go1.20": "bin/goapp-go1.20"},
		   old_go: $oldgo, npm_dir: "srv/app", npm_context: "app",
		   whiteout_deleted: ["usr/local/bin/goapp-go1.20"]}}'
}

if [ ! -s "$fx/fixtures.json" ]; then
	log "building fixtures into $fx (cold: several minutes)"
	work=$fx.tmp
	mkdir -p "$work"
	step "debootstrap ${BASE_PACKAGES[*]}" make_rootfs "$work/rootfs"
	step "build context: Go binaries, npm packages, ${BUILD_DEBS[*]}.deb" make_context "$work/ctx"
	step "docker import, build, save; skopeo copy" make_images
	rm -f "$work"/.done-*
	mv "$work" "$fx"
	# Fixtures of older recipes only take space.
	find "$RAMPART_TEST_CACHE" -maxdepth 1 -name 'fixtures-*' ! -name "fixtures-$hash" -exec rm -rf {} +
fi

# --- every run: the engine and the registries hold the fixture images ------------------------
for img in base app second whiteout; do
	tag=$(jq -r ".fixtures.$img.tag" "$fx/fixtures.json")
	id=$(jq -r ".fixtures.$img.id" "$fx/fixtures.json")
	if [ "$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null)" != "$id" ]; then
		log "loading $tag into the engine"
		docker load -q -i "$(jq -r ".fixtures.$img.docker_archive" "$fx/fixtures.json")" >/dev/null
	fi
done

password=$(jq -r .registry.password "$services")
ca=$(jq -r .registry.ca_cert "$services")
# A private client config, so root's ~/.docker/config.json is left alone.
dcfg=$RAMPART_TEST_CACHE/docker-config
mkdir -p "$dcfg"
printf '%s' "$password" | docker --config "$dcfg" login -u "$REGISTRY_USER" --password-stdin "$REGISTRY_TLS" >/dev/null 2>&1 ||
	die "docker login $REGISTRY_TLS failed"

# manifest_digest URL CURL-ARGS...: the digest the registry serves for a manifest.
manifest_digest() {
	local url=$1
	shift
	curl -fsS -I "$@" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' "$url" |
		tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" {print $2}'
}

for r in "$REGISTRY_PLAIN" "$REGISTRY_TLS"; do
	docker tag rampart-test/app:1 "$r/rampart-test/app:1"
	docker --config "$dcfg" push "$r/rampart-test/app:1" >"$RAMPART_TEST_CACHE/logs/push.log" 2>&1 ||
		{ cat "$RAMPART_TEST_CACHE/logs/push.log" >&2; die "docker push to $r failed"; }
done
plain_digest=$(manifest_digest "http://$REGISTRY_PLAIN/v2/rampart-test/app/manifests/1")
tls_digest=$(manifest_digest "https://$REGISTRY_TLS/v2/rampart-test/app/manifests/1" --cacert "$ca" -u "$REGISTRY_USER:$password")
[ -n "$plain_digest" ] && [ -n "$tls_digest" ] || die "the registries did not report the app image's digest"

jq -s --arg repo rampart-test/app --arg tag 1 --arg pd "$plain_digest" --arg td "$tls_digest" \
	'.[0] * .[1] * {registry: {app_repository: $repo, app_tag: $tag, app_digest_plain: $pd, app_digest_tls: $td}}
	 # Shortcuts scripts/bench.sh reads.
	 | . + {app_archive: .fixtures.app.docker_archive, sibling_archive: .fixtures.second.docker_archive}' \
	"$services" "$fx/fixtures.json" >"$RAMPART_TEST_ENV.tmp"
mv "$RAMPART_TEST_ENV.tmp" "$RAMPART_TEST_ENV"
log "fixtures ready: RAMPART_TEST_ENV=$RAMPART_TEST_ENV"
