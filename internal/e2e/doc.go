// Package e2e holds integration tests that run the built rampart binary against real images:
// a debootstrap Debian root filesystem, images built from it with the Docker engine, pushed to
// two loopback Distribution registries and saved as Docker archives, OCI layouts and OCI archives.
//
// The fixtures come from scripts/test-setup.sh and scripts/fixtures.sh (`make test` runs both);
// without them the tests skip, see internal/testenv. Expected results come from independent
// tools wherever one exists: dpkg-query, `go version -m`, the npm packages' own package.json
// files and `docker image inspect`.
package e2e
