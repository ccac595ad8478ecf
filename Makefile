# The habits: build, test, generate, lint, run, bench.
GO      ?= go
BIN     ?= bin
TESTFLAGS ?= -race -count=1 -timeout 15m

.PHONY: all build test generate check-generate lint run bench load soak hostile fuzz fuzz-ci screenshot clean

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

# The load test of issues 8 and 19 (cmd/loadgen): N idle authenticated
# connections against notify_push and then a minimal reference server,
# connect storms, fan-out latency (also as a ratio to the reference's),
# per-user throughput, the Redis drain, Redis's and the database's cost; a
# report judged against the targets. The default (19,000 connections, 60 s
# idle windows) takes about 3 minutes. Parameters go in LOADFLAGS
# (`bin/loadgen --help` lists them), e.g. make load LOADFLAGS="--conns 5000
# --ping-interval 5s --idle 15s"; several instances on one Redis, each held
# against one instance alone: make load LOADFLAGS="--instances 3 --conns
# 57000" (add --redis-cluster for a Redis Cluster of 3 masters).
LOADFLAGS ?=
load: build
	$(BIN)/loadgen --server-bin $(BIN)/notify_push $(LOADFLAGS)

# The soak test of issues 9 and 17 (cmd/loadgen soak): 3,000 clients, 30 % of
# them reconnecting in a loop, receive a steady mix of events for 3 minutes
# while Redis is killed three times and frozen once and the database fails
# once; every delivery and every resync is accounted, no change may go
# unnoticed, and the idle server's memory, goroutines and open files are
# compared before and after. About 3½ minutes; not run by CI (its
# end-to-end test is).
# Parameters go in SOAKFLAGS (`bin/loadgen soak --help` lists them), e.g.
# make soak SOAKFLAGS="--conns 1000 --users 700 --shared-users 350 --duration 1m --strict".
SOAKFLAGS ?=
soak: build
	$(BIN)/loadgen soak --server-bin $(BIN)/notify_push $(SOAKFLAGS)

# The hostile-clients run of issue 16 (cmd/loadgen hostile): victims receive
# events without and then under an attack from one address (a client
# flooding frames, silent sockets, slow wrong-password logins); the report
# gives their delivery p99 and disconnects in both phases. About a minute.
# Parameters go in HOSTILEFLAGS (`bin/loadgen hostile --help` lists them).
HOSTILEFLAGS ?=
hostile: build
	$(BIN)/loadgen hostile --server-bin $(BIN)/notify_push $(HOSTILEFLAGS)

# Fuzzing of every target, one at a time (the cores are shared), FUZZTIME
# each: FUZZTIME=3m for a longer run. The seed corpora under
# testdata/fuzz/FuzzXxx/ also run as ordinary tests in `make test`.
FUZZTIME    ?= 10s
FUZZMINTIME ?= 5s
# FuzzLogin drives real sockets, a hundred times slower than the others.
FUZZTIME_SLOW ?= $(FUZZTIME)
FUZZ_PKGS = $(sort $(dir $(shell grep -rl --include='*_test.go' '^func Fuzz' .)))
fuzz:
	@set -e; for dir in $(FUZZ_PKGS); do \
	  for f in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$dir*_test.go); do \
	    t=$(FUZZTIME); case $$f in FuzzLogin) t=$(FUZZTIME_SLOW);; esac; \
	    echo "== $$dir $$f ($$t)"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $$t -fuzzminimizetime $(FUZZMINTIME) $$dir; \
	  done; \
	done

# CI: every fuzz target for a bounded number of inputs after the tests. Counts,
# not durations: Go 1.26's fuzzing coordinator can fail a target with a bare
# "context deadline exceeded" when a duration runs out (go.dev/issue/75804).
fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=50000x FUZZTIME_SLOW=2000x FUZZMINTIME=200x

clean:
	rm -rf $(BIN)
