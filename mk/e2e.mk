# The end-to-end quickstart test: the README's quickstart run by a script with real processes.

.PHONY: test-e2e

test-e2e: build
	Tests/e2e/quickstart.sh build/bin

EXTRA_TESTS += test-e2e
