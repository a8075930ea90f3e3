# Rampart's entry points. Run `make help` for the list. The test, demo and fixture targets need a
# Debian 12 machine and root: they install packages and start dockerd and two registries.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/rampartsec/rampart/internal/cli.version=$(VERSION)
# The YARA engine (malware scanning) needs cgo and libyara-dev; builds without it say so at scan time.
TAGS     ?= $(shell test -e /usr/include/yara.h && echo yara)
FUZZTIME ?= 10s
# How long `make test` fuzzes each target: enough to run the seeds and catch a shallow regression.
FUZZTIME_CI ?= 2s
# Extra flags for `go test`, e.g. TESTFLAGS='-run TestSourcesAgree -v'.
TESTFLAGS ?=

export RAMPART_TEST_CACHE ?= /var/cache/rampart-test
export RAMPART_TEST_ENV   ?= $(RAMPART_TEST_CACHE)/env.json

.PHONY: help build test test-setup fixtures peers kube unit demo fuzz fuzz-long lint bench clean clean-cache

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/rampart and its companion bin/rampart-kube (config, k8s, graph), versioned from git describe
	$(GO) build -trimpath -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o bin/ ./cmd/rampart ./cmd/rampart-kube

test-setup: ## install packages; start dockerd and the test registries (idempotent)
	scripts/test-setup.sh

fixtures: test-setup ## build the fixture images once per machine; load and push them
	scripts/fixtures.sh

peers: ## install the tools vulnerability matching is compared with (scripts/peers.sh)
	scripts/peers.sh >/dev/null

kube: test-setup ## start etcd, kube-apiserver and kube-controller-manager on loopback (scripts/kube-setup.sh)
	scripts/kube-setup.sh

test: fixtures peers kube ## set up everything, then run the whole suite and a short fuzz of every parser; missing fixtures fail
	RAMPART_REQUIRE_FIXTURES=1 $(GO) test -tags yara -timeout 30m $(TESTFLAGS) ./...
	FUZZTIME=$(FUZZTIME_CI) scripts/fuzz.sh

unit: ## quick: go test -short, no setup; integration tests and binary runs skip
	$(GO) test -short $(TESTFLAGS) ./...

demo: ## install what the demo needs, build rampart (with YARA), build a small Debian image with debootstrap and scan it
	scripts/test-setup.sh --demo
	$(MAKE) build
	scripts/demo.sh

fuzz: ## run every Fuzz target for FUZZTIME (default 10s) each
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

fuzz-long: ## run every Fuzz target for 10 minutes each (hours: one machine, overnight)
	FUZZTIME=10m scripts/fuzz.sh

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench: build ## benchmarks against other scanners (scripts/bench.sh), then the Go benchmarks once
	scripts/bench.sh
	$(GO) test -run XXX -bench . -benchtime 1x ./internal/analysis ./internal/match ./internal/vulndb ./internal/graph ./internal/rbac ./internal/dockerhost ./internal/inventory/gobinary

clean: ## remove build output (not the machine's fixture cache)
	rm -rf bin/

clean-cache: ## remove the fixture cache; the next `make test` rebuilds it (minutes)
	rm -rf $(RAMPART_TEST_CACHE)/fixtures-* $(RAMPART_TEST_CACHE)/demo-* $(RAMPART_TEST_ENV)
