# rolo — two commands set everything up on a fresh Debian machine:
#   make run    builds rolo and opens it on a local cache seeded with the demo contacts
#   make test   builds and runs every test (unit, screen snapshots, CLI, end to end in tmux)
#
# Missing system packages are installed with apt-get when run as root; otherwise the
# exact command to run is printed.

SWIFT        ?= swift
PREFIX       ?= /usr/local
BUILD_DIR    ?= .build
# Contacts in the benchmark's caches (make bench BENCH_SIZES=100000 for the smaller one only).
BENCH_SIZES  ?= 100000,1000000
DEMO_DB      ?= $(CURDIR)/$(BUILD_DIR)/demo/rolo.sqlite
# Release builds carry the Swift runtime and Foundation inside the binary: it starts sooner
# (no dynamic symbol lookups into the Swift libraries: `rolo --version` 19.5 → 11.7 ms) and
# runs on a jump host without a Swift toolchain, needing only the C and C++ runtimes,
# libsqlite3 and libncursesw.
RELEASE      := -c release --static-swift-stdlib
# libcurl4-openssl-dev: libcurl's header, for the HTTP transport, which loads libcurl itself
# when a sync first sends a request.
SYSTEM_DEPS  := libncurses-dev libsqlite3-dev libcurl4-openssl-dev tmux
# Headers or programs that prove each package is there.
DEP_CHECKS   := /usr/include/ncursesw/curses.h /usr/include/sqlite3.h /usr/bin/curl-config /usr/bin/tmux

.PHONY: all build run test soak bench install uninstall clean deps check-swift help

all: build

help:
	@echo "make run      build, seed a demo cache in $(BUILD_DIR)/demo, serve local copies of the providers and open the TUI"
	@echo "make test     run every test"
	@echo "make soak     kill a syncing rolo 1,000 times and check nothing was lost"
	@echo "make bench    build in release mode, import 100k and 1M contacts with rolo import, sync with emulators, and measure"
	@echo "make install  install rolo to $(PREFIX)/bin (PREFIX=... to change)"
	@echo "make clean    remove build products and benchmark data"

check-swift:
	@command -v $(SWIFT) >/dev/null 2>&1 || { \
	  echo "rolo needs the Swift 6 toolchain (swift.org/install/linux): 'swift' is not on PATH."; exit 1; }

deps:
	@missing=""; \
	for pair in "libncurses-dev:/usr/include/ncursesw/curses.h" "libsqlite3-dev:/usr/include/sqlite3.h" \
	            "libcurl4-openssl-dev:/usr/bin/curl-config" "tmux:/usr/bin/tmux"; do \
	  pkg=$${pair%%:*}; file=$${pair#*:}; [ -e "$$file" ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null || exit 1; \
	  else \
	    echo "rolo needs these Debian packages:$$missing"; \
	    echo "Install them with:  sudo apt-get install$$missing"; \
	    exit 1; \
	  fi; \
	fi

# rolo-emulators: the emulators `rolo sandbox` serves, in a program of their own (rolo finds
# it beside itself, or in ../libexec/rolo when installed).
build: check-swift deps
	$(SWIFT) build --scratch-path $(BUILD_DIR) --product rolo
	$(SWIFT) build --scratch-path $(BUILD_DIR) --product rolo-emulators

# The demo cache syncs for real: `rolo sandbox` serves emulators of Notifuse, DailyStory and
# iVvy on 127.0.0.1 (seeded from the cache), writes a config pointing at them, and stops when
# the TUI exits. A colleague edits a contact on the servers every 45 s, so `s` brings news.
# rolo makes the demo folder itself, 0700 (a cache holds contact data).
DEMO_DIR     := $(dir $(DEMO_DB))
DEMO_CONFIG  := $(DEMO_DIR)config.toml
run: build
	@$(BUILD_DIR)/debug/rolo demo --db $(DEMO_DB)
	@umask 077; rm -f $(DEMO_CONFIG); \
	$(BUILD_DIR)/debug/rolo sandbox --db $(DEMO_DB) --write-config $(DEMO_CONFIG) --colleague 45 \
	  >$(DEMO_DIR)sandbox.log 2>&1 & sandbox=$$!; \
	trap 'kill $$sandbox 2>/dev/null' EXIT INT TERM HUP; \
	for i in $$(seq 1 300); do [ -s $(DEMO_CONFIG) ] && break; kill -0 $$sandbox 2>/dev/null || break; sleep 0.1; done; \
	if [ -s $(DEMO_CONFIG) ]; then \
	  $(BUILD_DIR)/debug/rolo --db $(DEMO_DB) --config $(DEMO_CONFIG); \
	else \
	  echo "The sandbox did not start (see $(DEMO_DIR)sandbox.log); opening the demo without sync."; cat $(DEMO_DIR)sandbox.log; \
	  $(BUILD_DIR)/debug/rolo --db $(DEMO_DB); \
	fi

# Tests that serve HTTP from inside the test process (the emulators, and rolo syncing with
# them) run in a process of their own: the other tests wait for child processes and terminals
# on Swift's concurrency threads, of which a 2-core machine has two, and an emulator starved
# of them could not answer in time.
NETWORK_TESTS := --filter RoloEmulatorsTests --filter RoloConformanceTests --filter RoloProvidersTests \
                 --filter RoloCLITests.SyncCLITests --filter RoloCLITests.CrashTests --filter RoloCLITests.FetchCLITests
OTHER_TESTS   := --skip RoloEmulatorsTests --skip RoloConformanceTests --skip RoloProvidersTests \
                 --skip RoloCLITests.SyncCLITests --skip RoloCLITests.CrashTests --skip RoloCLITests.FetchCLITests

# vobject: an independent vCard reader the export tests check rolo's vCards with.
test: check-swift deps
	@python3 -c 'import vobject' 2>/dev/null || python3 -m pip install --quiet --user 'vobject==0.9.9' 2>/dev/null || \
	  python3 -m pip install --quiet --user --break-system-packages 'vobject==0.9.9' 2>/dev/null || \
	  echo "vobject could not be installed (pip install --user vobject==0.9.9); the vCard export tests that use it will say they were skipped"
	$(SWIFT) build --scratch-path $(BUILD_DIR) --build-tests
	ROLO_BIN=$(CURDIR)/$(BUILD_DIR)/debug/rolo $(SWIFT) test --scratch-path $(BUILD_DIR) --skip-build $(OTHER_TESTS)
	ROLO_BIN=$(CURDIR)/$(BUILD_DIR)/debug/rolo $(SWIFT) test --scratch-path $(BUILD_DIR) --skip-build $(NETWORK_TESTS)

# The crash test at length: the binary syncing against the emulator is killed 1,000 times.
soak: check-swift deps
	$(SWIFT) build --scratch-path $(BUILD_DIR) --build-tests
	ROLO_SOAK_CYCLES=1000 ROLO_BIN=$(CURDIR)/$(BUILD_DIR)/debug/rolo $(SWIFT) test --scratch-path $(BUILD_DIR) --skip-build \
	  --filter RoloCLITests.CrashTests

bench: check-swift deps
	$(SWIFT) build --scratch-path $(BUILD_DIR) $(RELEASE) --product rolo-bench
	$(SWIFT) build --scratch-path $(BUILD_DIR) $(RELEASE) --product rolo
	ROLO_BIN=$(CURDIR)/$(BUILD_DIR)/release/rolo $(BUILD_DIR)/release/rolo-bench --dir $(BUILD_DIR)/bench-data --sizes $(BENCH_SIZES)

install: check-swift deps
	$(SWIFT) build --scratch-path $(BUILD_DIR) $(RELEASE) --product rolo
	$(SWIFT) build --scratch-path $(BUILD_DIR) $(RELEASE) --product rolo-emulators
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/rolo $(DESTDIR)$(PREFIX)/share/rolo/demo
	install -m 755 -s $(BUILD_DIR)/release/rolo $(DESTDIR)$(PREFIX)/bin/rolo
	install -m 755 -s $(BUILD_DIR)/release/rolo-emulators $(DESTDIR)$(PREFIX)/libexec/rolo/rolo-emulators
	install -m 644 assets/demo/*.json $(DESTDIR)$(PREFIX)/share/rolo/demo/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/rolo
	rm -rf $(DESTDIR)$(PREFIX)/libexec/rolo $(DESTDIR)$(PREFIX)/share/rolo

clean:
	rm -rf $(BUILD_DIR) bench-data
