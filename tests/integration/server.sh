#!/bin/sh
# server.sh - `backbone serve` end to end: starts the real server on a free
# loopback port, checks the basics with curl, then runs the Python client
# suite (tests/server, httpx + pytest with /usr/bin/python3).
set -eu
: "${BACKBONE:?BACKBONE must name the backbone binary}"
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

fail() {
    echo "server.sh: FAIL: $*" >&2
    [ -f "$work/log" ] && tail -n 20 "$work/log" >&2
    exit 1
}

schema=schemas/blog.json
[ -f "$schema" ] || schema=../shared/compat/backbone-ai/examples/blog_schema.json

# A key, shown once; only its digest lands in the file (mode 0600).
key=$("$BACKBONE" keys new ci --api-keys-file "$work/keys")
case "$key" in bb_???????????????????????????????????????????) ;; *) fail "key format: $key" ;; esac
grep -q "$key" "$work/keys" && fail "the key itself was written to the keys file"
[ "$(stat -c %a "$work/keys")" = 600 ] || fail "keys file mode is not 0600"
"$BACKBONE" keys list --api-keys-file "$work/keys" | grep -q '^ci ' || fail "keys list"
"$BACKBONE" keys new ci --api-keys-file "$work/keys" >/dev/null 2>&1 && fail "duplicate key name accepted"
"$BACKBONE" keys new gone --api-keys-file "$work/keys" >/dev/null
"$BACKBONE" keys revoke gone --api-keys-file "$work/keys" 2>/dev/null || fail "keys revoke"
"$BACKBONE" keys list --api-keys-file "$work/keys" | grep -q '^gone ' && fail "revoked key still listed"

XDG_CONFIG_HOME=$work "$BACKBONE" serve --port 0 --api-keys-file "$work/keys" 2>"$work/log" &
pid=$!
port=""
for _ in $(seq 1 200); do
    port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$work/log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "server exited at start"
    sleep 0.05
done
[ -n "$port" ] || fail "server did not report its port"
base="http://127.0.0.1:$port"

code() { curl -s -o "$work/body" -w '%{http_code}' "$@"; }

[ "$(code "$base/health")" = 200 ] || fail "GET /health"
[ "$(code "$base/metrics")" = 200 ] || fail "GET /metrics"
[ "$(code -X POST -H 'Content-Type: application/json' --data-binary @"$schema" "$base/api/v1/validate")" = 401 ] ||
    fail "validate without a key"
[ "$(code -X POST -H "X-API-Key: $key" -H 'Content-Type: application/json' --data-binary @"$schema" \
    "$base/api/v1/validate")" = 200 ] || fail "validate with a key: $(cat "$work/body")"
grep -q '"valid":true' "$work/body" || fail "validate body: $(cat "$work/body")"
[ "$(code -X POST -H "X-API-Key: $key" --data-binary @"$schema" "$base/api/v1/validate")" = 415 ] ||
    fail "form content type not refused"
[ "$(code "$base/nope")" = 404 ] || fail "unknown route"
curl -s -D "$work/headers" -o /dev/null "$base/api/v1/validate"
grep -qi '^Allow: POST, OPTIONS' "$work/headers" || fail "405 without Allow"
grep -qi '^X-Request-ID: ' "$work/headers" || fail "no X-Request-ID"
head -c 11000000 /dev/zero | tr '\0' ' ' >"$work/big"
[ "$(code -X POST -H "X-API-Key: $key" -H 'Content-Type: application/json' --data-binary @"$work/big" \
    "$base/api/v1/validate")" = 413 ] || fail "11 MB body not refused"
grep -q "$key" "$work/log" && fail "the key appears in the log"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
echo "server.sh: curl checks passed"

cd tests/server
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider .
