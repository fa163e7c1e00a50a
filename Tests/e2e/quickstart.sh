#!/usr/bin/env bash
# End-to-end test of the README quickstart: real hookwired and hookwire processes, a fresh
# database, and the Python receiver, which verifies every delivery with the standardwebhooks
# library. It checks each delivery's signature and content, retries while the receiver is down,
# the last error, the TooManyErrors state, and that held deliveries resume on reactivation.
#
#   Tests/e2e/quickstart.sh [BIN_DIR]     (default build/bin, as made by `make build`)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:-$root/build/bin}" && pwd)
work=$(mktemp -d)
server_pid=""
receiver_pid=""
checks=0

cleanup() {
    [ -z "$receiver_pid" ] || kill "$receiver_pid" 2>/dev/null || true
    [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "quickstart: FAILED: $*" >&2
    echo "--- server log (last 30 lines)" >&2
    tail -n 30 "$work/server.log" >&2 || true
    echo "--- receiver log (last 10 lines)" >&2
    tail -n 10 "$work/receiver.out" >&2 || true
    echo "quickstart: 0 passed, 1 failed"
    exit 1
}

. "$(dirname "$0")/lib.sh"

received_count() {
    [ -f "$work/received.jsonl" ] || { echo 0; return; }
    wc -l <"$work/received.jsonl" | tr -d ' '
}

at_least_received() {
    [ "$(received_count)" -ge "$1" ]
}

hook_state_is() {
    [ "$("$bin/hookwire" get "$hook_id" --json | json_field state)" = "$1" ]
}

start_receiver() {
    python3 "$root/examples/receiver.py" --port "$receiver_port" --secret "$secret" \
        --log "$work/received.jsonl" >>"$work/receiver.out" 2>&1 &
    receiver_pid=$!
    wait_for 30 python3 -c "import socket; socket.create_connection(('127.0.0.1', $receiver_port), 1)" \
        || fail "the receiver did not start"
}

server_port=$(free_port)
receiver_port=$(free_port)
export HOOKWIRE_SERVER="127.0.0.1:$server_port"

# 1. The server on a fresh database. Loopback targets are private, so the quickstart allows
#    127.0.0.0/8 explicitly, and a short retry schedule makes the failure steps take seconds.
"$bin/hookwired" --db "$work/quickstart.db" --listen "$HOOKWIRE_SERVER" --allow-range 127.0.0.0/8 \
    --retry-schedule 1s,1s,1s,1s,1s,1s,1s,1s,1s,1s >"$work/server.log" 2>&1 &
server_pid=$!
wait_for 20 "$bin/hookwire" stats || fail "hookwired did not answer on $HOOKWIRE_SERVER"
pass "hookwired serves on $HOOKWIRE_SERVER"

# 2. Register a webhook. The CLI prints the new hook's generated secret this once.
saved=$("$bin/hookwire" save --name "CRM sync" --url "http://127.0.0.1:$receiver_port/hooks" \
    --events 'contact.*,person.*,sale.*,project.*,ticket.*' --header 'X-Tenant=Cust26759' \
    --property 'source="quickstart"' --json)
hook_id=$(json_field id <<<"$saved")
secret=$(json_field secret <<<"$saved")
[[ "$secret" == whsec_* ]] || fail "expected a generated whsec_ secret, got '${secret:0:6}...'"
pass "webhook $hook_id saved with a generated secret"
listed=$("$bin/hookwire" list --json)
if grep -q "$secret" <<<"$listed"; then fail "list printed the secret"; fi
pass "list does not print the secret"

# 3. Start the receiver, publish one event and every event of the sample file.
start_receiver
"$bin/hookwire" publish contact.created --entity contact --primary-key 4711 --changes name,department \
    --data '{"note":"first event"}' >/dev/null || fail "publish contact.created failed"
"$bin/hookwire" publish --file "$root/examples/events/crm-events.jsonl" >/dev/null \
    || fail "publish --file failed"
expected=$((1 + $(wc -l <"$root/examples/events/crm-events.jsonl")))
wait_for 30 at_least_received "$expected" || fail "expected $expected deliveries, got $(received_count)"
pass "$expected deliveries arrived"

# 4. Every delivery verified and carried the envelope, the hook's header and its property.
python3 - "$work/received.jsonl" "$root/examples/events/crm-events.jsonl" "$hook_id" <<'PYTHON' || fail "delivery content"
import json, sys
received = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
published = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
for record in received:
    assert record["verified"], f"signature rejected: {record['reason']}"
    payload, headers = record["payload"], record["headers"]
    for key in ("EventId", "Timestamp", "Event", "Entity", "PrimaryKey", "Changes", "ChangedByAssociateId",
                "ContextIdentifier", "WebhookName", "FieldValues"):
        assert key in payload, f"{key} missing from {payload}"
    assert payload["WebhookName"] == "CRM sync", payload["WebhookName"]
    assert payload.get("source") == "quickstart", f"property missing: {payload}"
    assert headers.get("x-tenant") == "Cust26759", headers
    assert headers.get("x-hookwire-event") == payload["Event"], headers
    assert headers.get("x-hookwire-event-id") == payload["EventId"], headers
    assert headers.get("x-hookwire-signature"), "body signature header missing"
    assert headers.get("user-agent", "").startswith("Hookwire/"), headers.get("user-agent")
first = [r for r in received if r["event"] == "contact.created" and r["payload"]["PrimaryKey"] == 4711
         and r["payload"].get("Data") == {"note": "first event"}]
assert first, "the first contact.created event with its data did not arrive"
by_key = {(r["payload"]["Event"], r["payload"]["PrimaryKey"]): r["payload"] for r in received}
for event in published:
    payload = by_key.get((event["event"], event["primaryKey"]))
    assert payload is not None, f"{event['event']} {event['primaryKey']} not delivered"
    assert payload["FieldValues"] == event["fieldValues"], (payload["FieldValues"], event["fieldValues"])
    assert payload["Changes"] == event["changes"]
    assert payload["ContextIdentifier"] == event["contextIdentifier"]
PYTHON
pass "every delivery verified and carried the published fields"

# 5. Break the receiver: deliveries fail, are retried, and after 9 failed attempts the hook
#    switches to TooManyErrors with the connection error as its last error.
kill "$receiver_pid"
wait "$receiver_pid" 2>/dev/null || true
receiver_pid=""
before_outage=$(received_count)
"$bin/hookwire" publish sale.changed --entity sale --primary-key 3301 --changes probability >/dev/null
wait_for 60 hook_state_is TooManyErrors || fail "the hook did not reach TooManyErrors"
pass "hook $hook_id switched to TooManyErrors after repeated failures"
last_error=$("$bin/hookwire" last-error "$hook_id")
[ -n "$last_error" ] || fail "last-error printed nothing"
pass "last error: $(head -n 1 <<<"$last_error")"
grep -q "retry" "$work/server.log" || fail "the server log shows no retry"
pass "the server logged the retries"

# 6. The failed delivery is held, not dropped, while the hook is disabled. Events published now
#    match no hook, because only active hooks receive new events.
held=$("$bin/hookwire" deliveries --webhook "$hook_id" --state held --json)
python3 -c 'import json, sys; rows = json.loads(sys.argv[1]); assert [r["event"] for r in rows] == ["sale.changed"], rows' "$held" \
    || fail "expected the sale.changed delivery to be held, got: $held"
pass "the failed delivery is held while the hook is disabled"
matched=$("$bin/hookwire" publish ticket.changed --entity ticket --primary-key 88001 --changes status --json)
[ "$(json_field matchedWebhooks <<<"$matched")" = 0 ] || fail "a disabled hook matched a new event: $matched"
pass "a disabled hook receives no new events"

# 7. Bring the receiver back and reactivate the hook, and the held delivery arrives.
start_receiver
"$bin/hookwire" save --id "$hook_id" --state Active >/dev/null
wait_for 30 at_least_received $((before_outage + 1)) || fail "the held delivery did not arrive"
python3 - "$work/received.jsonl" "$before_outage" <<'PYTHON' || fail "resumed deliveries"
import json, sys
received = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")][int(sys.argv[2]):]
assert all(r["verified"] for r in received), [r["reason"] for r in received]
events = {r["event"]: r for r in received}
assert list(events) == ["sale.changed"], sorted(events)
assert int(events["sale.changed"]["retry"]) >= 9, events["sale.changed"]["retry"]
PYTHON
pass "the held delivery resumed, signed afresh, after reactivation"
hook_state_is Active || fail "the hook is not Active after reactivation"
pass "hook $hook_id is Active again"

echo "quickstart: $checks passed, 0 failed"
