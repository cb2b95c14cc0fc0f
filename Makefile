# nexusmon: `make run` runs the agent on its embedded defaults; `make test` runs every test.
GO       ?= go
BIN      := bin/nexusmon
OTELCOL  := bin/otelcol-test
FLEET    := bin/otelcol-nexusmon
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/nexusmon/nexusmon/agent.Version=$(VERSION)
ARGS     ?=

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The Collector exporter component: a Go module of its own (its Collector
# dependencies stay out of the agent's go.mod); vet, lint and test cover it too.
EXPORTER := collector/discordexporter

.PHONY: build build-grpc size-check run test vet fmt-check lint bench bench-all bench-peers bench-pair bench-rss cover collector fleet python-deps node-deps clean

# CGO_ENABLED=0: a static binary (pure-Go DNS resolver, no libc mapped into the agent).
# -buildvcs=auto: `nexusmon version` shows the commit even where GOFLAGS turns stamping off.
build:
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/nexusmon

# The same binary with OTLP/gRPC export and forwarding (otlp.protocol: grpc): -tags nexusmon_grpc links
# google.golang.org/grpc, which the default build leaves out (docs/decisions.md, issue 14).
build-grpc:
	CGO_ENABLED=0 $(GO) build -tags nexusmon_grpc -buildvcs=auto -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/nexusmon

# CONFIG=path/to/nexusmon.yaml make run  uses a config file; without it, the embedded defaults.
run: build
	./$(BIN) run $(if $(CONFIG),--config $(CONFIG)) $(ARGS)

# The test OpenTelemetry Collector (its own module under otel-config/collector), rebuilt when its sources change.
collector: $(OTELCOL)
$(OTELCOL): otel-config/collector/main.go otel-config/collector/go.mod otel-config/collector/go.sum
	cd otel-config/collector && $(GO) build -trimpath -ldflags "-s -w" -o ../../$(OTELCOL).tmp . && mv ../../$(OTELCOL).tmp ../../$(OTELCOL)

# The fleet gateway (otel-config/fleet, a module of its own): otlp, memory_limiter, batch, the discord
# exporter, debug and file_storage. go build is incremental, so this rebuilds only what changed.
fleet:
	cd otel-config/fleet && $(GO) build -trimpath -ldflags "-s -w" -o ../../$(FLEET).tmp . && mv ../../$(FLEET).tmp ../../$(FLEET)

vet:
	$(GO) vet ./...
	cd $(EXPORTER) && $(GO) vet ./...
	cd otel-config/fleet && $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './otel-config/collector/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# The lint gate: staticcheck, pinned, fetched from the module proxy by go run.
# (health's purity rule is a test: health/purity_test.go.)
lint:
	$(GO) run $(STATICCHECK) ./...
	cd $(EXPORTER) && $(GO) run $(STATICCHECK) ./...
	cd otel-config/fleet && $(GO) run $(STATICCHECK) ./...

# discord.py for examples/discordpy's tests: Debian's python3-discord, for /usr/bin/python3. Installed when
# missing and running as root (CI); otherwise those tests say what is missing and skip (fail when CI is set).
python-deps:
	@if ! /usr/bin/python3 -c 'import discord' 2>/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get -q -o DPkg::Lock::Timeout=300 install -y python3-discord >/dev/null || \
			{ apt-get -q update >/dev/null && apt-get -q -o DPkg::Lock::Timeout=300 install -y python3-discord >/dev/null; }; \
		else \
			echo "python-deps: python3-discord is missing and installing it needs root: examples/discordpy's tests will skip"; \
		fi; \
	fi

# Node.js and the discord.js example's locked npm packages, for examples/discordjs's tests. node and npm come from
# Debian when missing and make runs as root (CI); otherwise those tests say what is missing and skip (fail when CI
# is set). npm ci runs only when package.json or package-lock.json is newer than the last install.
NODE_MODULES := examples/discordjs/node_modules/.package-lock.json
node-deps:
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get -q update >/dev/null && \
			apt-get -q -o DPkg::Lock::Timeout=300 install -y --no-install-recommends nodejs npm >/dev/null; \
		else \
			echo "node-deps: node or npm is missing and installing them needs root: examples/discordjs's tests will skip"; \
		fi; \
	fi
	@if command -v npm >/dev/null; then $(MAKE) -s --no-print-directory $(NODE_MODULES); fi

$(NODE_MODULES): examples/discordjs/package.json examples/discordjs/package-lock.json
	cd examples/discordjs && npm ci --no-audit --no-fund --prefer-offline

# What -tags nexusmon_grpc changes: gRPC export and forwarding, and grpc accepted as a protocol.
GRPC_TESTS := ^(TestAgent_otlpGRPCFromConfig|TestAgent_receiverForwards|TestParse_otelEnvironment|TestFor_environment)$$

# The fleet test runs the gateway and real agents as child processes; its own
# binary is built without -race, which would rebuild the whole Collector graph.
test: collector fleet build size-check python-deps node-deps vet fmt-check lint
	NEXUSMON_OTELCOL=$(CURDIR)/$(OTELCOL) $(GO) test -race -count=1 -timeout 20m ./...
	NEXUSMON_OTELCOL=$(CURDIR)/$(OTELCOL) $(GO) test -race -count=1 -timeout 10m -tags nexusmon_grpc \
		-run '$(GRPC_TESTS)' ./agent ./config ./internal/otlpexport
	cd $(EXPORTER) && $(GO) test -race -count=1 -timeout 10m ./...
	cd otel-config/fleet && NEXUSMON_FLEET=$(CURDIR)/$(FLEET) NEXUSMON_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 10m ./...

# The benchmarks of DESIGN §8's budgets: one collection of every instrument
# (BenchmarkCollect), one system report as the agent makes it
# (BenchmarkSystemReport), the health report with its chart
# (BenchmarkHealthReport), the command middleware against a bare handler
# (BenchmarkMiddleware, BenchmarkBare), the store's writes per report and the
# delivery's outbox and drain. BENCH_COUNT=6 gives benchstat its samples.
BENCH_COUNT ?= 1
BENCHES := ^(BenchmarkCollect|BenchmarkCollector|BenchmarkSystemReport|BenchmarkHealthReport|BenchmarkMiddleware|BenchmarkBare|BenchmarkSDKFloor|BenchmarkSaveReport|BenchmarkSaveSamples|BenchmarkSaveReportAndSamples|BenchmarkSaveSystemReport|BenchmarkOutboxPersistDequeue|BenchmarkDrain)$$
bench:
	$(GO) test -run '^$$' -bench '$(BENCHES)' -benchmem -count $(BENCH_COUNT) \
		./instrumentation ./instrumentation/host ./instrumentation/process ./agent ./report ./instrumentation/bot ./internal/store ./deliver

bench-all:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# nexusmon beside node_exporter, collectd, Netdata and a /proc floor in C and
# Go, each collecting once a second for DUR seconds (default 60; about 9
# minutes in all): the table of bench/peers.sh, then nexusmon's ratio to each
# peer. The Debian peers are installed when missing (bench/install-peers.sh).
bench-peers: build
	bench/install-peers.sh
	@out=$$(mktemp); NEXUSMON_BIN=$(BIN) bench/peers.sh >$$out && awk -f bench/ratios.awk $$out; rc=$$?; rm -f $$out; exit $$rc

# The default binary's size budget (issue 14): 20 MiB.
MAX_BINARY_BYTES := 20971520
size-check: build
	@size=$$(stat -c %s $(BIN)); echo "$(BIN): $$size bytes (budget $(MAX_BINARY_BYTES))"; \
	test $$size -le $(MAX_BINARY_BYTES) || { echo "$(BIN) is over its size budget: what did the last change link in? (go list -deps ./cmd/nexusmon)" >&2; exit 1; }

# Peak resident memory (VmHWM) of the agent over DUR seconds (default 600: two
# health reports with their chart) at the default intervals, probes on.
bench-pair: build
	@test -n "$(BEFORE)" || { echo "make bench-pair BEFORE=path/to/another/nexusmon" >&2; exit 2; }
	bench/pair.sh $(BIN) $(BEFORE)

bench-rss: build
	NEXUSMON_BIN=$(BIN) bench/rss.sh

cover:
	$(GO) test -count=1 -coverprofile=cover.out ./...
	$(GO) tool cover -func=cover.out | tail -n 1

clean:
	rm -rf bin cover.out
