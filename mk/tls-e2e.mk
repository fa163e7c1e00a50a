# End-to-end test of https delivery: hookwired --ca-file against nginx with TLS and HTTP/2 on
# loopback, using certificates made at test time by openssl.

.PHONY: test-tls-e2e

test-tls-e2e: build
	Tests/e2e/tls-delivery.sh build/bin

EXTRA_TESTS += test-tls-e2e
