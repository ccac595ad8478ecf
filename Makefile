# The habits: build, test, generate, lint, run, bench.
GO      ?= go
BIN     ?= bin
TESTFLAGS ?= -race -count=1 -timeout 15m

.PHONY: all build test generate check-generate lint run bench load soak hostile fuzz fuzz-ci screenshot clean \
	release deb image release-check dashboard-screenshot FORCE

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
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 -run 'TestLayers|TestBinariesLinkNoTesting' ./app/wiring

run:
	$(GO) run ./cmd/notify_push --embedded

# Refreshes docs/img/console.png from the console's browser test (needs
# Chromium; CI=true makes a missing one an error instead of a skip).
screenshot:
	CI=true CONSOLE_SCREENSHOT=$(CURDIR)/docs/img/console.png \
	  $(GO) test -count=1 -run '^TestConsoleInChromium$$' ./app/wiring

# Refreshes docs/img/dashboard.png: contrib/grafana/notify_push.json drawn
# from a local Prometheus that scraped a 2,000-connection load run (about
# 2 minutes; needs prometheus and gnuplot). LOADFLAGS as for make load.
dashboard-screenshot: build
	LOADFLAGS="$(LOADFLAGS)" internal/dashboardplot/screenshot.sh docs/img/dashboard.png

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
# against itself with the others paused and one instance alone: make load
# LOADFLAGS="--instances 3 --conns 57000" (add --redis-cluster for a Redis
# Cluster of 3 masters).
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
# flooding frames, silent sockets, slow wrong-password logins), three rounds
# of each, pooled; the report gives their delivery p99 and disconnects in
# both kinds of phase. About two minutes.
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

# ---- Release (issue 20) ----
# make release: static binaries in $(DIST)/ for the machines upstream's app
# ships to, each named after the folder the app looks in for it
# (apps/notify_push/bin/<uname -m>/notify_push; fbsd_amd64 on FreeBSD), plus
# armv6l (Raspberry Pi Zero and 1), and $(DIST)/SHA256SUMS. The Linux ones
# link SQLite (cgo) statically with Debian's cross compilers, so they need no
# dynamic loader and run on musl (Alpine) and glibc alike; FreeBSD is built
# without cgo, so it has no SQLite. One target: make dist/notify_push-aarch64.
DIST    ?= dist
VERSION ?= $(shell git describe --tags --always --dirty --abbrev=12 2>/dev/null || echo unknown)
# The time of the last commit: file dates in the .deb, so that it is
# reproducible too.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
RELEASE_TARGETS ?= x86_64 i686 aarch64 armv7 armv6l fbsd_amd64

# Per target: the Go platform and the C cross compiler (none: no cgo).
target_env_x86_64     = GOOS=linux GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-linux-gnu-gcc
target_env_i686       = GOOS=linux GOARCH=386 CGO_ENABLED=1 CC=i686-linux-gnu-gcc
target_env_aarch64    = GOOS=linux GOARCH=arm64 CGO_ENABLED=1 CC=aarch64-linux-gnu-gcc
target_env_armv7      = GOOS=linux GOARCH=arm GOARM=7 CGO_ENABLED=1 CC=arm-linux-gnueabihf-gcc
target_env_armv6l     = GOOS=linux GOARCH=arm GOARM=6 CGO_ENABLED=1 CC=arm-linux-gnueabi-gcc
target_env_fbsd_amd64 = GOOS=freebsd GOARCH=amd64 CGO_ENABLED=0
target_cc = $(patsubst CC=%,%,$(filter CC=%,$(target_env_$(1))))

# -trimpath and -buildvcs=false keep build paths and the checkout out of the
# binary (the version is stamped instead); netgo and osusergo keep glibc's
# NSS, which cannot be linked statically, out; sqlite_omit_load_extension
# drops SQLite's dlopen for the same reason.
RELEASE_GOBUILD = $(GO) build -trimpath -buildvcs=false -tags netgo,osusergo,sqlite_omit_load_extension
RELEASE_LDFLAGS = -s -w -X main.buildVersion=$(VERSION)
RELEASE_FILES   = $(foreach t,$(RELEASE_TARGETS),notify_push-$(t) test_client-$(t))

release: $(addprefix $(DIST)/,$(RELEASE_FILES))
	cd $(DIST) && sha256sum $(RELEASE_FILES) > SHA256SUMS

# FORCE: go build decides what is stale (its cache makes a rebuild cheap).
$(DIST)/notify_push-%: FORCE
	$(if $(target_env_$*),,$(error unknown release target $*: one of $(RELEASE_TARGETS)))
	$(if $(call target_cc,$*),@command -v $(call target_cc,$*) >/dev/null || { echo "$(call target_cc,$*) is missing:" \
	  "apt-get install $(if $(filter x86_64,$*),gcc,gcc-$(patsubst %-gcc,%,$(call target_cc,$*)))" >&2; exit 1; })
	@mkdir -p $(DIST)
	$(target_env_$*) $(RELEASE_GOBUILD) -o $@ \
	  -ldflags '$(RELEASE_LDFLAGS)$(if $(call target_cc,$*), -linkmode external -extldflags "-static")' ./cmd/notify_push

# The diagnostic client needs no C: pure Go, static by itself.
$(DIST)/test_client-%: FORCE
	$(if $(target_env_$*),,$(error unknown release target $*: one of $(RELEASE_TARGETS)))
	@mkdir -p $(DIST)
	$(target_env_$*) CGO_ENABLED=0 $(RELEASE_GOBUILD) -ldflags '-s -w' -o $@ ./cmd/test_client

# make deb: notify_push_<version>_<arch>.deb for each of DEB_ARCHES (Debian's
# names) from that machine's release binary, with dpkg-deb (contrib/deb).
# The package is called notify-push: Debian names cannot hold "_".
DEB_ARCHES ?= amd64
deb_target_amd64 = x86_64
deb_target_i386  = i686
deb_target_arm64 = aarch64
deb_target_armhf = armv7
APP_VERSION := $(shell sed -n 's/^const Version = "\(.*\)"$$/\1/p' domain/version.go)
# Ordered by commit time, then the commit: 1.4.0+git20261207004512.33aec4a
DEB_VERSION ?= $(APP_VERSION)+git$(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y%m%d%H%M%S).$(subst -,.,$(VERSION))
DEB_FILES = $(foreach a,$(DEB_ARCHES),$(DIST)/notify_push_$(DEB_VERSION)_$(a).deb)

deb: $(foreach a,$(DEB_ARCHES),$(DIST)/notify_push-$(deb_target_$(a)))
	$(foreach a,$(DEB_ARCHES),$(if $(deb_target_$(a)),,$(error no release binary for Debian architecture $(a))))
	@command -v dpkg-deb >/dev/null || { echo "dpkg-deb is missing: apt-get install dpkg" >&2; exit 1; }
	$(foreach a,$(DEB_ARCHES),SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) contrib/deb/mkdeb.sh \
	  $(DIST)/notify_push-$(deb_target_$(a)) $(a) $(DEB_VERSION) $(DIST)/notify_push_$(DEB_VERSION)_$(a).deb;)

# make image: the container image (contrib/Dockerfile, FROM scratch) with
# buildah, offline, from the static binary and this machine's CA bundle.
IMAGE        ?= notify_push-go
IMAGE_TARGET ?= x86_64
$(DIST)/ca-certificates.crt: /etc/ssl/certs/ca-certificates.crt
	@mkdir -p $(DIST)
	cp $< $@

image: $(DIST)/notify_push-$(IMAGE_TARGET) $(DIST)/ca-certificates.crt
	buildah --storage-driver vfs bud --isolation chroot --build-arg TARGET=$(IMAGE_TARGET) \
	  -f contrib/Dockerfile -t $(IMAGE) $(DIST)

# make release-check: builds the release, the .deb and the image's context,
# then runs internal/release's checks of them (build tag "release"): static
# ELF files and checksums; every Linux binary under qemu-user (--version,
# and the embedded demo with a WebSocket login); SQLite's error in a build
# without cgo; a rebuild at another path gives the same bytes (REPRO=cold:
# with an empty build cache, some minutes more); as root, the .deb
# installed, run, verified, removed and purged, and the image built and run
# with buildah. CI runs it; it needs the tools .ci/run installs.
REPRO ?= warm
release-check: release deb $(DIST)/ca-certificates.crt
	$(GO) vet -tags release ./internal/release
	NOTIFY_PUSH_DIST=$(abspath $(DIST)) NOTIFY_PUSH_VERSION=$(VERSION) NOTIFY_PUSH_DEB_VERSION=$(DEB_VERSION) \
	  NOTIFY_PUSH_REPRO=$(REPRO) $(GO) test -tags release -count=1 -timeout 30m -v ./internal/release

FORCE:

clean:
	rm -rf $(BIN) $(DIST)
