#!/bin/sh
# deploy.sh - the deployment artefacts of deploy/, exercised without a
# container engine: deploy/build.sh (the Dockerfile's build stage) builds
# and installs backbone, whose libraries must all come from the runtime
# stage's packages and which must serve as a user without privileges; the
# Dockerfile, compose file and Kubernetes manifests are read and checked
# (deploy/check.py); promtool checks the alert rules, runs their tests and
# checks the Prometheus configuration; nginx checks its configuration and
# then runs it, privately, in front of the installed binary; and every
# command of docs/deploy.md that needs neither Docker nor a cluster runs.
set -u
: "${BACKBONE:?BACKBONE must name the backbone binary}"
cd "$(dirname "$0")/../.."
ROOT=$PWD
PY=/usr/bin/python3
CHECK="$PY $ROOT/tests/integration/deploy/check.py"
WORK=$(mktemp -d)
SRV_PID="" NGINX_PID=""
stop_pid() { [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; }
trap 'stop_pid "$NGINX_PID"; stop_pid "$SRV_PID"; rm -rf "$WORK"' EXIT
. tests/integration/lib/serve.sh

fail() {
    echo "deploy.sh: FAIL: $*" >&2
    exit 1
}
for tool in promtool nginx; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/deps.sh test installs it)"
done
# A make above this one (make integration) must not choose the variant.
unset MAKEFLAGS MAKELEVEL MFLAGS

# ---- the image's build and runtime -----------------------------------------

$CHECK dockerfile deploy/Dockerfile scripts/deps.sh > "$WORK/runtime-packages" || fail "Dockerfile"
sh deploy/build.sh "$WORK/image" > "$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log"; fail "deploy/build.sh"; }
bin="$WORK/image/usr/local/bin/backbone"
[ -x "$bin" ] || fail "deploy/build.sh installed no binary"

# Every library the binary links or loads (base/dynlib: the soname and
# its package are in the source) comes from a runtime package or libc6.
# A soname the source completes from its headers (hiredis's
# "libhiredis.so." HIREDIS_SONAME) is matched by its prefix.
package_of() { # soname
    path=$(ldconfig -p | awk -v l="$1" '$1 == l || (l ~ /\.$/ && index($1, l) == 1) { print $NF; exit }')
    [ -n "$path" ] || return 1
    { dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null; } | head -n 1 | cut -d: -f1
}
libs=$(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
loaded=$(grep -ho 'BB_DYNLIB_INIT("[^"]*"' src/*/*.c | sed 's/.*("//; s/"$//')
[ -n "$loaded" ] || fail "no library loaded at run time found in the source"
for lib in $libs $loaded; do
    pkg=$(package_of "$lib") || fail "$lib is not installed here"
    [ "$pkg" = libc6 ] || grep -qx "$pkg" "$WORK/runtime-packages" ||
        fail "$lib comes from $pkg, which the runtime stage does not install"
done

# As the image runs it: user 10001, no home, a bare environment.
as_user=""
[ "$(id -u)" -eq 0 ] && as_user="setpriv --reuid 10001 --regid 10001 --clear-groups"
cp schemas/blog.json "$WORK/blog.json"
chmod 644 "$WORK/blog.json"
chmod 755 "$WORK" "$WORK/image" "$WORK/image/usr" "$WORK/image/usr/local" "$WORK/image/usr/local/bin"
env -i PATH=/usr/bin:/bin $as_user "$bin" validate "$WORK/blog.json" > /dev/null ||
    fail "the installed binary cannot validate"
# With a Redis nobody serves: the image loads libhiredis, and a replica
# whose Redis is down still starts, answers its probes and says so.
env -i PATH=/usr/bin:/bin $as_user "$bin" serve --port 0 --no-auth --instance image-1 --trusted-proxy 127.0.0.1 \
    --redis redis://127.0.0.1:9/0 2> "$WORK/serve.log" &
SRV_PID=$!
port=$(listening_port "$WORK/serve.log") || fail "the installed binary does not serve: $(cat "$WORK/serve.log")"

# ---- compose, Kubernetes ------------------------------------------------------

$CHECK compose deploy/compose.yaml || fail "compose file"
$CHECK k8s deploy/k8s/backbone.yaml deploy/k8s/redis.yaml > "$WORK/probes" || fail "Kubernetes manifests"
# The probes answer 200 on a running replica.
for path in $(cat "$WORK/probes"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")
    [ "$code" = 200 ] || fail "probe $path answers $code"
done

# ---- Prometheus -----------------------------------------------------------------

promtool check rules deploy/prometheus/alerts.yml > "$WORK/promtool.log" 2>&1 || { cat "$WORK/promtool.log"; fail "promtool check rules"; }
promtool test rules deploy/prometheus/alerts_test.yml > "$WORK/promtool.log" 2>&1 || { cat "$WORK/promtool.log"; fail "promtool test rules"; }
promtool check config deploy/prometheus/prometheus.yml > "$WORK/promtool.log" 2>&1 || { cat "$WORK/promtool.log"; fail "promtool check config"; }
# Every metric the rules name is one backbone exports (up is Prometheus').
curl -s "http://127.0.0.1:$port/metrics" > "$WORK/metrics"
for name in $(grep -o 'backbone_[a-z_]*' deploy/prometheus/alerts.yml | sed 's/_bucket$//' | sort -u); do
    grep -q "^# TYPE $name " "$WORK/metrics" || fail "alerts.yml names $name, which /metrics does not have"
done
grep -q '^backbone_uptime_seconds{instance="image-1"} ' "$WORK/metrics" || fail "no instance label"

# ---- nginx ----------------------------------------------------------------------

mkdir -p "$WORK/nginx"
npport=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Compose's replicas by name are this replica by address; nginx's port and
# temporary files are the test's own.
sed -e "s/server backbone:8000;/server 127.0.0.1:$port;/" \
    -e "s/listen 8080;/listen 127.0.0.1:$npport;/" \
    -e "s|access_log /dev/stdout backbone;|access_log $WORK/nginx/access.log backbone; client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;|" \
    deploy/nginx/nginx.conf > "$WORK/nginx/nginx.conf"
grep -q "127.0.0.1:$port" "$WORK/nginx/nginx.conf" && grep -q "127.0.0.1:$npport" "$WORK/nginx/nginx.conf" ||
    fail "the nginx configuration's upstream or listen line moved"
nginx -t -p "$WORK/nginx" -e stderr -c nginx.conf -g 'pid nginx.pid;' 2> "$WORK/nginx/t.log" ||
    { cat "$WORK/nginx/t.log"; fail "nginx -t"; }
nginx -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c nginx.conf -g 'pid nginx.pid; daemon off; master_process off;' &
NGINX_PID=$!
via="http://127.0.0.1:$npport"
for _ in $(seq 1 100); do
    curl -s -o /dev/null "$via/health" && break
    sleep 0.05
done
trace=4bf92f3577b34da6a3ce929d0e0e4736
code=$(curl -s -o "$WORK/answer" -D "$WORK/headers" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "traceparent: 00-$trace-00f067aa0ba902b7-01" --data-binary @schemas/blog.json "$via/api/v1/validate")
[ "$code" = 200 ] || fail "validate through nginx: $code $(cat "$WORK/answer")"
# nginx named the request; the replica kept that id and the caller's trace.
rid=$(sed -n 's/^[Xx]-[Rr]equest-[Ii][Dd]: *\([^[:space:]]*\).*/\1/p' "$WORK/headers")
echo "$rid" | grep -q '^[0-9a-f]\{32\}$' || fail "the request id is not nginx's: '$rid'"
sleep 0.2
grep "\"request_id\":\"$rid\"" "$WORK/serve.log" | grep -q "\"trace_id\":\"$trace\"" ||
    fail "the replica's log does not name nginx's request id with the caller's trace"
grep -q "\"request_id\":\"$rid\".*\"traceparent\":\"00-$trace-" "$WORK/nginx/access.log" ||
    fail "nginx's log does not name the request id and traceparent"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Request-Id: given-1' "$via/health")
[ "$code" = 200 ] && grep -q '"request_id":"given-1"' "$WORK/serve.log" || fail "a client's request id is not kept"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$via/metrics")" = 404 ] || fail "/metrics is served through nginx"

# ---- docs/deploy.md -------------------------------------------------------------

$CHECK docs docs/deploy.md > "$WORK/docs.sh" || fail "docs/deploy.md"
mkdir -p "$WORK/path" "$WORK/config"
ln -s "$BACKBONE" "$WORK/path/backbone"
PATH="$WORK/path:$PATH" XDG_CONFIG_HOME="$WORK/config" sh "$WORK/docs.sh" > "$WORK/docs.log" 2>&1 ||
    { tail -20 "$WORK/docs.log"; fail "a command of docs/deploy.md"; }
echo "deploy: all checks passed"
