# The habits: build, test, generate, lint, run, bench.
GO      ?= go
BIN     ?= bin
TESTFLAGS ?= -race -count=1 -timeout 15m

.PHONY: all build test generate check-generate lint run bench load fuzz screenshot clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

test:
	$(GO) test $(TESTFLAGS) ./...

# Regenerates the gomock doubles (ports/doc.go) and wire_gen.go (app/wiring).
generate:
	$(GO) generate ./...

# CI: generated code must match its generators.
check-generate: generate
	git diff --exit-code -- mocks app/wiring

lint:
	$(GO) vet ./...
	$(GO) test -count=1 -run TestLayers ./app/wiring

run:
	$(GO) run ./cmd/notify_push --embedded

# Refreshes docs/img/console.png from the console's browser test (needs
# Chromium; CI=true makes a missing one an error instead of a skip).
screenshot:
	CI=true CONSOLE_SCREENSHOT=$(CURDIR)/docs/img/console.png \
	  $(GO) test -count=1 -run '^TestConsoleInChromium$$' ./app/wiring

# Benchmarks of the hot paths; compare two runs with benchstat:
#   make bench BENCHCOUNT=10 > old.txt; (change); make bench BENCHCOUNT=10 > new.txt; benchstat old.txt new.txt
BENCHCOUNT ?= 1
bench:
	@$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./...

# The load test of issue 8 (cmd/loadgen): N idle authenticated connections
# against notify_push and then a minimal reference server, connect storms,
# fan-out latency, per-user throughput, the Redis drain; a report judged
# against the targets. The default (19,000 connections, 60 s idle windows)
# takes about 3 minutes. Parameters go in LOADFLAGS (`bin/loadgen --help`
# lists them), e.g. make load LOADFLAGS="--conns 5000 --ping-interval 5s --idle 15s".
LOADFLAGS ?=
load: build
	$(BIN)/loadgen --server-bin $(BIN)/notify_push $(LOADFLAGS)

# Short fuzzing of every target; FUZZTIME=5m for a longer run.
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf $(BIN)
