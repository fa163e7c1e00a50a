# Hookwire build entry points. `make run` sets up and starts the server; `make test` runs every
# test. Build products land in build/ (bin/hookwired, bin/hookwire, lib/libhookwire.so).
#
# Each area adds its own targets in mk/<area>.mk and appends its test target to EXTRA_TESTS,
# so that `make test` runs it after the Swift tests.

SWIFT ?= swift
CONFIG ?= debug
PREFIX ?= /usr/local
DB ?= hookwire.db
LISTEN ?= 127.0.0.1:7600
HOOKWIRED_FLAGS ?=
SWIFT_BUILD = $(SWIFT) build -c $(CONFIG)
BIN_DIR = $(shell $(SWIFT) build -c $(CONFIG) --show-bin-path 2>/dev/null)
EXTRA_TESTS :=

.PHONY: setup build run test test-swift clean

all: build

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT_BUILD) --product hookwired
	$(SWIFT_BUILD) --product hookwire-cli
	@mkdir -p build/bin
	@cp "$(BIN_DIR)/hookwired" build/bin/hookwired
	@cp "$(BIN_DIR)/hookwire-cli" build/bin/hookwire

run: build
	build/bin/hookwired --db $(DB) --listen $(LISTEN) $(HOOKWIRED_FLAGS)

test-swift: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

-include mk/*.mk

test: setup test-swift $(EXTRA_TESTS)

clean:
	rm -rf .build build
