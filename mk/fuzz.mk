# libFuzzer targets of the protocol decoders (fuzz/), built with swiftc against the
# HookwireCore and HookwireProtocol sources directly, with the fuzzer and AddressSanitizer.
#
#   make fuzz                   run each target for FUZZ_SECONDS (default 60) seconds
#   make test-fuzz              a short run of each target (FUZZ_TEST_RUNS inputs), part of make test
#
# Seeds live in fuzz/corpus/<target>; new inputs go to build/fuzz/corpus-<target>, and a crash
# leaves its input in build/fuzz as crash-<hash>.

FUZZ_DIR := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_TEST_RUNS ?= 100000
FUZZ_SWIFTC ?= swiftc
FUZZ_FLAGS := -parse-as-library -sanitize=fuzzer,address -O
FUZZ_CORE_SOURCES := $(wildcard Sources/HookwireCore/*.swift)
FUZZ_PROTOCOL_SOURCES := $(shell find Sources/HookwireProtocol -name '*.swift')
FUZZ_TARGETS := frame-decoder message-decoder

.PHONY: fuzz test-fuzz fuzz-build

$(FUZZ_DIR)/libHookwireCore.a: $(FUZZ_CORE_SOURCES)
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_SWIFTC) $(FUZZ_FLAGS) -emit-library -static -emit-module -module-name HookwireCore \
		-emit-module-path $(FUZZ_DIR)/HookwireCore.swiftmodule $(FUZZ_CORE_SOURCES) -o $@

# The linker warns about ASan symbols it cannot export; the binaries work, so the noise is cut.
$(FUZZ_DIR)/frame-decoder-fuzz: fuzz/FrameDecoderFuzz.swift $(FUZZ_PROTOCOL_SOURCES) $(FUZZ_DIR)/libHookwireCore.a
	@rm -f $@
	$(FUZZ_SWIFTC) $(FUZZ_FLAGS) -module-name HookwireProtocolFuzz -I $(FUZZ_DIR) -L $(FUZZ_DIR) -lHookwireCore \
		$(FUZZ_PROTOCOL_SOURCES) $< -o $@ 2>&1 | grep -v "Cannot export local symbol '__asan" || true
	@test -x $@

$(FUZZ_DIR)/message-decoder-fuzz: fuzz/MessageDecoderFuzz.swift $(FUZZ_PROTOCOL_SOURCES) $(FUZZ_DIR)/libHookwireCore.a
	@rm -f $@
	$(FUZZ_SWIFTC) $(FUZZ_FLAGS) -module-name HookwireProtocolFuzz -I $(FUZZ_DIR) -L $(FUZZ_DIR) -lHookwireCore \
		$(FUZZ_PROTOCOL_SOURCES) $< -o $@ 2>&1 | grep -v "Cannot export local symbol '__asan" || true
	@test -x $@

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%-fuzz)

fuzz: fuzz-build
	@for target in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus-$$target; \
		echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
		$(FUZZ_DIR)/$$target-fuzz -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_DIR)/ \
			$(FUZZ_DIR)/corpus-$$target fuzz/corpus/$${target%-decoder} || exit 1; \
	done

test-fuzz: fuzz-build
	@for target in $(FUZZ_TARGETS); do \
		corpus=$$(mktemp -d); \
		echo "test-fuzz: $$target, $(FUZZ_TEST_RUNS) inputs"; \
		$(FUZZ_DIR)/$$target-fuzz -runs=$(FUZZ_TEST_RUNS) -max_total_time=120 -artifact_prefix=$(FUZZ_DIR)/ \
			$$corpus fuzz/corpus/$${target%-decoder} > $(FUZZ_DIR)/$$target.log 2>&1; \
		status=$$?; rm -rf $$corpus; \
		tail -n 1 $(FUZZ_DIR)/$$target.log; \
		if [ $$status -ne 0 ]; then tail -n 30 $(FUZZ_DIR)/$$target.log; exit 1; fi; \
	done

EXTRA_TESTS += test-fuzz
