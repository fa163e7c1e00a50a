# End-to-end tests with real processes: the README quickstart, and the C receiver example
# verifying deliveries through the installed libhookwire (see mk/cabi.mk for `examples`).

.PHONY: test-e2e test-c-receiver

test-e2e: build
	Tests/e2e/quickstart.sh build/bin

test-c-receiver: build examples
	cc -std=c99 -Wall -Wextra -Werror -pedantic -o build/examples/c-receiver examples/c/receiver.c \
		$$($(CABI_PKG) --cflags hookwire) $$($(CABI_PKG) --libs hookwire) \
		-Wl,-rpath,$$($(CABI_PKG) --variable=libdir hookwire)
	Tests/e2e/c-receiver.sh build/bin build/examples/c-receiver

EXTRA_TESTS += test-e2e test-c-receiver
