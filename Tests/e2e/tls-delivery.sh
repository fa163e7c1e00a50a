#!/usr/bin/env bash
# End-to-end test of https delivery with `hookwired --ca-file`: a throwaway CA made with openssl
# signs a certificate for 127.0.0.1, nginx serves it on loopback with TLS and HTTP/2, and a real
# hookwired delivers one event to it. A second hookwired without --ca-file must record the same
# delivery as a TLS failure. Everything runs in a temporary directory and stops by itself.
#
#   Tests/e2e/tls-delivery.sh [BIN_DIR]     (default build/bin, as made by `make build`)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:-$root/build/bin}" && pwd)
work=$(mktemp -d)
nginx_pid=""
server_pid=""
checks=0

cleanup() {
    [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
    [ -z "$nginx_pid" ] || kill -KILL "$nginx_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "tls-delivery: FAILED: $*" >&2
    echo "--- server log (last 20 lines)" >&2
    tail -n 20 "$work/server.log" >&2 || true
    echo "--- nginx error log" >&2
    tail -n 20 "$work/nginx/error.log" >&2 || true
    echo "tls-delivery: 0 passed, 1 failed"
    exit 1
}

. "$(dirname "$0")/lib.sh"

logged_count() {
    [ -f "$work/nginx/access.log" ] || { echo 0; return; }
    wc -l <"$work/nginx/access.log" | tr -d ' '
}

# Prints field $2 of the first delivery of webhook $1.
first_delivery() {
    "$bin/hookwire" deliveries --webhook "$1" --json \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$2"
}

delivery_state_is() {
    [ "$(first_delivery "$1" state)" = "$2" ]
}

delivery_attempted() {
    [ "$(first_delivery "$1" attempts)" -ge 1 ]
}

# Starts hookwired on a fresh database with the given extra flags.
start_server() {
    local name=$1
    shift
    HOOKWIRE_SERVER="127.0.0.1:$(free_port)"
    export HOOKWIRE_SERVER
    "$bin/hookwired" --db "$work/$name.db" --listen "$HOOKWIRE_SERVER" --allow-range 127.0.0.0/8 "$@" \
        >"$work/server.log" 2>&1 &
    server_pid=$!
    wait_for 20 "$bin/hookwire" stats || fail "hookwired did not answer on $HOOKWIRE_SERVER"
}

# Stops hookwired with SIGTERM and waits up to 15 seconds for a clean exit.
stop_server() {
    kill -TERM "$server_pid"
    local deadline=$((SECONDS + 15))
    while kill -0 "$server_pid" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || fail "hookwired did not exit within 15 s of SIGTERM"
        sleep 0.2
    done
    local status=0
    wait "$server_pid" || status=$?
    server_pid=""
    [ "$status" -eq 0 ] || fail "hookwired exited with status $status after SIGTERM"
}

# 1. A throwaway CA and a server certificate for IP 127.0.0.1 and DNS localhost.
command -v openssl >/dev/null || fail "openssl is not installed; run scripts/setup.sh"
p256=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${p256[@]}" -keyout "$work/ca.key" -out "$work/ca.pem" -days 2 \
    -subj "/CN=Hookwire e2e CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" >"$work/openssl.log" 2>&1 || fail "creating the CA failed"
openssl req -new "${p256[@]}" -keyout "$work/server.key" -out "$work/server.csr" -subj "/CN=hookwire-e2e" \
    >>"$work/openssl.log" 2>&1 || fail "creating the server key failed"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    >"$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -set_serial 1001 -days 2 \
    -extfile "$work/server.ext" -out "$work/server.pem" >>"$work/openssl.log" 2>&1 || fail "signing failed"
pass "certificates generated"

# 2. nginx with TLS and HTTP/2 (nginx 1.22 `listen ... ssl http2` syntax), logging the protocol
#    and the webhook-id header of every request.
nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
error_log $work/nginx/error.log warn;
pid $work/nginx/nginx.pid;
events { worker_connections 64; }
http {
    log_format hookwire '\$server_protocol "\$http_webhook_id"';
    access_log $work/nginx/access.log hookwire;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    server {
        listen 127.0.0.1:$nginx_port ssl http2;
        ssl_certificate $work/server.pem;
        ssl_certificate_key $work/server.key;
        location / { default_type text/plain; return 200 "ok\n"; }
    }
}
EOF
/usr/sbin/nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" >/dev/null 2>&1 &
nginx_pid=$!
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $nginx_port), 1)" \
    || fail "nginx did not start on port $nginx_port"
pass "nginx serves https on 127.0.0.1:$nginx_port"

# A libcurl built without nghttp2 offers only http/1.1 by ALPN. The curl tool links the same
# library, so its feature list shows which protocol to expect.
expected_protocol="HTTP/2.0"
curl -V 2>/dev/null | grep -q '^Features:.* HTTP2' || expected_protocol="HTTP/1.1"
target="https://127.0.0.1:$nginx_port/tls-e2e"

# 3. hookwired --ca-file delivers over https.
start_server trusting --ca-file "$work/ca.pem"
grep -q "ca-file=$work/ca.pem" "$work/server.log" || fail "the start line does not show the CA file"
pass "hookwired started with --ca-file"
hook_id=$("$bin/hookwire" save --name "TLS e2e" --url "$target" --events 'contact.*' --json | json_field id)
"$bin/hookwire" publish contact.created --entity contact --primary-key 1 >/dev/null || fail "publish failed"
wait_for 20 delivery_state_is "$hook_id" succeeded || fail "the delivery did not succeed"
message_id=$(first_delivery "$hook_id" messageId)
[ "$(logged_count)" = 1 ] || fail "expected 1 request in the nginx log, found $(logged_count)"
logged=$(cat "$work/nginx/access.log")
[ "$logged" = "$expected_protocol \"$message_id\"" ] \
    || fail "expected '$expected_protocol \"$message_id\"' in the nginx log, found '$logged'"
pass "delivery $message_id arrived over $expected_protocol"
stop_server
pass "hookwired stopped cleanly on SIGTERM"

# 4. Without --ca-file the throwaway CA is not trusted, so the attempt fails as tls and nginx
#    receives no request.
start_server untrusting --retry-schedule 1h
hook_id=$("$bin/hookwire" save --name "TLS e2e" --url "$target" --events 'contact.*' --json | json_field id)
"$bin/hookwire" publish contact.created --entity contact --primary-key 2 >/dev/null || fail "publish failed"
wait_for 20 delivery_attempted "$hook_id" || fail "no attempt was recorded"
delivery_id=$(first_delivery "$hook_id" id)
attempts=$("$bin/hookwire" attempts "$delivery_id" --json)
python3 - "$attempts" <<'PYTHON' || fail "the attempt without --ca-file: $attempts"
import json, sys
attempts = json.loads(sys.argv[1])
assert len(attempts) == 1, attempts
assert attempts[0]["errorKind"] == "tls", attempts[0]
assert attempts[0]["status"] == 0, attempts[0]
assert "certificate" in attempts[0]["error"], attempts[0]["error"]
PYTHON
[ "$(logged_count)" = 1 ] || fail "nginx logged a request from the hookwired without --ca-file"
pass "without --ca-file the attempt failed as tls: $("$bin/hookwire" last-error "$hook_id")"
stop_server

echo "tls-delivery: $checks passed, 0 failed"
