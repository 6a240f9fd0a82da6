#!/bin/sh
# otlp.sh - traces sent to an OpenTelemetry collector: `backbone serve
# --otlp-endpoint` against a scripted collector on loopback
# (otlp/collector.py checks every body's OTLP/JSON shape). A request's span
# is the child of the caller's traceparent; pipeline stages are children of
# the request (or of its job), model calls children of the advisor stage,
# and the model receives a traceparent naming its call's span. A collector
# that is down costs nothing but the spans.
set -u
[ -n "${BACKBONE:-}" ] || { echo "BACKBONE is not set" >&2; exit 2; }
WORK=$(mktemp -d)
. "$(dirname "$0")/llm/helpers.sh"
. "$(dirname "$0")/lib/serve.sh"
SRV_PID="" COL_PID=""
stop_pid() { [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; }
trap 'fake_stop; stop_pid "$SRV_PID"; stop_pid "$COL_PID"; rm -rf "$WORK"' EXIT
cd "$WORK" || exit 2

export OPENAI_API_KEY=sk-test-never-shown-4242 BACKBONE_LLM_PROVIDER=openai
export BACKBONE_LLM_RETRY_BASE_MS=10
unset CI BACKBONE_LLM_CACHE BACKBONE_OTLP_ENDPOINT BACKBONE_INSTANCE 2>/dev/null || true
fake_start advise-normal

# start_collector LOG [--refuse N]: sets COL_URL.
start_collector() {
    log=$1
    shift
    rm -f col.port
    $PY "$ROOT/tests/integration/otlp/collector.py" --log "$log" --port-file col.port "$@" &
    COL_PID=$!
    for _ in $(seq 1 200); do [ -s col.port ] && break; sleep 0.02; done
    [ -s col.port ] || fail "the collector did not start"
    COL_URL="http://127.0.0.1:$(cat col.port)"
}

# start_server LOG ARGS...: sets BASE.
start_server() {
    log=$1
    shift
    "$BACKBONE" serve --port 0 --no-auth "$@" 2> "$log" &
    SRV_PID=$!
    port=$(listening_port "$log") || fail "the service did not start: $(cat "$log")"
    BASE="http://127.0.0.1:$port"
}

post() { # PATH BODY-FILE TRACEPARENT REQUEST-ID
    curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -H "traceparent: $3" -H "X-Request-Id: $4" --data-binary @"$2" "$BASE$1"
}

start_collector spans.jsonl
start_server srv.log --otlp-endpoint "$COL_URL" --instance otlp-1

schema="$ROOT/schemas/blog.json"
T1=4bf92f3577b34da6a3ce929d0e0e4736 T2=0af7651916cd43dd8448eb211c80319c T3=5d4fb1c2a3e04e6f8b0c9d7e6f5a4b3c
T4=11111111111111111111111111111111 P=00f067aa0ba902b7
expect_eq "validate" 200 "$(post /api/v1/validate "$schema" "00-$T1-$P-01" otlp-validate)"
expect_eq "generate" 200 "$(post /api/v1/generate "$schema" "00-$T2-$P-01" otlp-generate)"
# Not sampled: passed on, never exported.
expect_eq "unsampled validate" 200 "$(post /api/v1/validate "$schema" "00-$T4-$P-00" otlp-quiet)"

$PY -c "import json,sys; print(json.dumps({'schema': json.load(open(sys.argv[1])), 'options': {'llm': 'advise'}}))" \
    /dev/stdin > advise.json <<JSON
$($PY "$FIXTURES" --clinic-schema)
JSON
curl -s -o accepted.json -H 'Content-Type: application/json' -H "traceparent: 00-$T3-$P-01" \
    -H 'X-Request-Id: otlp-advise' --data-binary @advise.json "$BASE/api/v1/generate"
job=$($PY -c "import json; print(json.load(open('accepted.json'))['job'])") || fail "no job: $(cat accepted.json)"
state=""
for _ in $(seq 1 300); do
    state=$(curl -s "$BASE/api/v1/jobs/$job" | $PY -c "import json,sys; print(json.load(sys.stdin)['state'])")
    [ "$state" = done ] || [ "$state" = failed ] && break
    sleep 0.05
done
expect_eq "advise job" done "$state"

curl -s -o /dev/null -H "traceparent: 00-$T1-$P-01" "$BASE/health/readiness"
curl -s -o /dev/null -H "traceparent: 00-$T1-$P-01" "$BASE/metrics"

# SIGTERM sends what is queued before the service exits.
kill "$SRV_PID"
wait "$SRV_PID"
rc=$?
SRV_PID=""
[ "$rc" -eq 0 ] || fail "the service exited $rc on SIGTERM: $(tail -5 srv.log)"
cp "$FAKE_LOG" model.jsonl

$PY - "$T1" "$T2" "$T3" "$T4" "$P" <<'PY' || { cat spans.jsonl >&2; fail "the spans"; }
import json, sys
t1, t2, t3, t4, p = sys.argv[1:]
spans = [json.loads(l) for l in open("spans.jsonl")]
errors = [s["error"] for s in spans if "error" in s]
assert not errors, errors
for s in spans:
    assert s["resource"]["service.name"] == "backbone", s["resource"]
    assert s["resource"]["service.instance.id"] == "otlp-1", s["resource"]
    assert s["scope"] == "backbone"
by_id = {s["spanId"]: s for s in spans}
assert len(by_id) == len(spans), "span ids repeat"
def trace(t):
    return [s for s in spans if s["traceId"] == t]
def one(t, name):
    found = [s for s in trace(t) if s["name"] == name]
    assert len(found) == 1, (name, [s["name"] for s in trace(t)])
    return found[0]

# validate: one server span, the caller's child, with its route and status
v = one(t1, "POST /api/v1/validate")
assert v["kind"] == 2 and v["parentSpanId"] == p, v
assert v["attributes"]["http.route"] == "/api/v1/validate"
assert v["attributes"]["http.response.status_code"] == 200
assert v["attributes"]["backbone.request_id"] == "otlp-validate"
assert len(trace(t1)) == 1  # the probe and the scrape in it are not traced

# generate: the stages are the request's children, within its time
g = one(t2, "POST /api/v1/generate")
stages = [s for s in trace(t2) if s is not g]
names = [s["name"] for s in stages]
for stage in ("validator", "architect", "generator", "reviewer"):
    assert stage in names, names
for s in stages:
    assert s["kind"] == 1 and s["parentSpanId"] == g["spanId"], s
    assert g["start"] <= s["start"] <= s["end"] <= g["end"], (g, s)
    assert s["attributes"]["backbone.stage"] == s["name"]

# not sampled: nothing
assert not trace(t4), trace(t4)

# advise: request (202) -> job -> stages -> advisor -> model calls
a = one(t3, "POST /api/v1/generate")
assert a["attributes"]["http.response.status_code"] == 202
job = one(t3, "job generate")
assert job["parentSpanId"] == a["spanId"]
advisor = one(t3, "advisor")
assert advisor["parentSpanId"] == job["spanId"]
calls = [s for s in trace(t3) if s["name"].startswith("chat ")]
assert len(calls) == 2, [s["name"] for s in trace(t3)]
model = [json.loads(l) for l in open("model.jsonl")]
sent = sorted(r["headers"]["traceparent"] for r in model)
assert sent == sorted("00-%s-%s-01" % (t3, c["spanId"]) for c in calls), (sent, calls)
for c in calls:
    assert c["kind"] == 3 and c["parentSpanId"] == advisor["spanId"], c
    assert c["attributes"]["gen_ai.system"] == "openai"
    assert c["attributes"]["http.response.status_code"] == 200
    assert c["attributes"]["backbone.attempts"] == 1
for r in model:
    assert r["headers"]["x-request-id"] == "otlp-advise", r["headers"]
PY

# A collector that refuses, then is gone: requests are answered as ever,
# and the lost spans are counted.
stop_pid "$COL_PID"
start_collector refused.jsonl --refuse 1000
start_server srv2.log --otlp-endpoint "$COL_URL" --instance otlp-2
t0=$(date +%s%N)
for i in $(seq 1 20); do
    expect_eq "validate while the collector refuses" 200 "$(post /api/v1/validate "$schema" "00-$T1-$P-01" "down-$i")"
done
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "20 validations took $(((t1 - t0) / 1000000)) ms"
dropped=""
for _ in $(seq 1 100); do
    dropped=$(curl -s "$BASE/metrics" | sed -n 's/^backbone_trace_spans_dropped_total{instance="otlp-2"} //p')
    [ "${dropped:-0}" -ge 20 ] && break
    sleep 0.05
done
[ "${dropped:-0}" -ge 20 ] || fail "dropped spans not counted: '$dropped'"
curl -s "$BASE/metrics" | grep -q '^backbone_trace_spans_exported_total{instance="otlp-2"} 0$' \
    || fail "spans counted as exported"
echo "otlp: all cases passed"
