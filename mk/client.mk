# The protocol benchmark: release builds of hookwired and hookwire-bench, then
# `hookwire-bench protocol`, which starts its own hookwired and redis-server on loopback ports.
#
#   make bench-protocol                          defaults: -c 50 -P 1
#   make bench-protocol BENCH_PROTOCOL_FLAGS="-c 50 -P 16"

BENCH_PROTOCOL_FLAGS ?=
# A scratch path of its own, so that the release build does not wait on a debug build's lock.
BENCH_SCRATCH ?= .build-bench-release

.PHONY: bench-protocol

bench-protocol:
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --product hookwired
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --product hookwire-bench
	"$$($(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH) --show-bin-path)/hookwire-bench" protocol $(BENCH_PROTOCOL_FLAGS)
