# The habits: build, test, generate, lint, run, bench.
GO      ?= go
BIN     ?= bin
TESTFLAGS ?= -race -count=1 -timeout 15m

.PHONY: all build test generate check-generate lint run bench fuzz screenshot clean

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

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./...

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
