# The protocol interop test: Python classes generated from proto/hookwire.proto at test time
# talk to a hookwired started on a free loopback port (Tests/interop/protocol_interop.py).
#
#   make test-protocol-interop  part of make test

PYTHON ?= python3

.PHONY: test-protocol-interop

test-protocol-interop:
	$(SWIFT_BUILD) --product hookwired
	$(PYTHON) Tests/interop/protocol_interop.py "$(BIN_DIR)/hookwired"

EXTRA_TESTS += test-protocol-interop
