# Helpers shared by the end-to-end scripts, which source this file. The script sets `checks=0`
# before its first `pass`.

# Counts one passed check and prints it in TAP form.
pass() {
    checks=$((checks + 1))
    echo "ok $checks - $*"
}

# Prints a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command until it succeeds, for at most $1 seconds.
wait_for() {
    local seconds=$1
    shift
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# Prints the member $1 of the JSON object on standard input.
json_field() {
    python3 -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"
}
