#!/usr/bin/env bash
# End-to-end test of the C receiver example: hookwired delivers three events to
# examples/c/receiver.c, which verifies each with hw_verify() from libhookwire.so.
#
#   Tests/e2e/c-receiver.sh BIN_DIR RECEIVER
set -euo pipefail

bin=$(cd "$1" && pwd)
receiver=$2
work=$(mktemp -d)
server_pid=""
receiver_pid=""

cleanup() {
    [ -z "$receiver_pid" ] || kill "$receiver_pid" 2>/dev/null || true
    [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "c-receiver: FAILED: $*" >&2
    tail -n 20 "$work/server.log" "$work/receiver.out" >&2 || true
    echo "c-receiver: 0 passed, 1 failed"
    exit 1
}

. "$(dirname "$0")/lib.sh"

verified_count() {
    grep -c ' verified$' "$work/receiver.out" 2>/dev/null || true
}

server_port=$(free_port)
receiver_port=$(free_port)
export HOOKWIRE_SERVER="127.0.0.1:$server_port"
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

"$receiver" "$receiver_port" "$secret" >"$work/receiver.out" 2>&1 &
receiver_pid=$!
"$bin/hookwired" --db "$work/c-receiver.db" --listen "$HOOKWIRE_SERVER" --allow-range 127.0.0.0/8 \
    >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do "$bin/hookwire" stats >/dev/null 2>&1 && break; sleep 0.2; done

"$bin/hookwire" save --name "C receiver" --url "http://127.0.0.1:$receiver_port/" --events 'sale.*' \
    --secret "$secret" >/dev/null || fail "save failed"
for key in 1 2 3; do
    "$bin/hookwire" publish sale.changed --entity sale --primary-key "$key" >/dev/null || fail "publish failed"
done
for _ in $(seq 150); do [ "$(verified_count)" -ge 3 ] && break; sleep 0.2; done
[ "$(verified_count)" -eq 3 ] || fail "expected 3 verified deliveries, got $(verified_count)"
if grep -q REJECTED "$work/receiver.out"; then fail "the C receiver rejected a delivery"; fi
echo "c-receiver: 1 passed, 0 failed"
