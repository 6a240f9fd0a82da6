#!/bin/sh
# llm_service.sh - generation with a model through the HTTP service: a
# request asking for "llm": "advise" is answered 202 with a job, the job is
# polled until done, and its result is a valid project built with the model's
# (checked) advice; the service's metrics count the model's tokens.
set -u
[ -n "${BACKBONE:-}" ] || { echo "BACKBONE is not set" >&2; exit 2; }
WORK=$(mktemp -d)
. "$(dirname "$0")/llm/helpers.sh"
SRV_PID=""
trap 'fake_stop; [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK" || exit 2

export OPENAI_API_KEY=sk-test-never-shown-4242 BACKBONE_LLM_PROVIDER=openai
export BACKBONE_LLM_RETRY_BASE_MS=10
unset CI BACKBONE_LLM_CACHE 2>/dev/null || true
fake_start advise-normal

"$BACKBONE" serve --port 0 --no-auth --max-jobs 2 --job-ttl 60 2> srv.log &
SRV_PID=$!
port=""
for _ in $(seq 1 200); do
    port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' srv.log | head -n 1)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || fail "the service did not start"
base="http://127.0.0.1:$port"

$PY -c "import json,sys; print(json.dumps({'schema': json.load(open(sys.argv[1])), 'options': {'llm': 'advise'}}))" \
    /dev/stdin > req.json <<JSON
$($PY "$FIXTURES" --clinic-schema)
JSON
trace=4bf92f3577b34da6a3ce929d0e0e4736
code=$(curl -s -o accepted.json -D headers.txt -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "traceparent: 00-$trace-00f067aa0ba902b7-01" -H 'X-Request-Id: advise-1' \
    --data-binary @req.json "$base/api/v1/generate")
expect_eq "generate with a model is a job" 202 "$code"
job=$($PY -c "import json; print(json.load(open('accepted.json'))['job'])")
grep -qi "^location: /api/v1/jobs/$job" headers.txt || fail "no Location header"

state=""
for _ in $(seq 1 300); do
    curl -s -o job.json "$base/api/v1/jobs/$job"
    state=$($PY -c "import json; print(json.load(open('job.json'))['state'])")
    [ "$state" = done ] || [ "$state" = failed ] && break
    sleep 0.05
done
expect_eq "job state" done "$state"
expect_eq "job status" 200 "$($PY -c "import json; print(json.load(open('job.json'))['status'])")"
expect_eq "model requests" 2 "$(requests)"
# The model calls carry the request's trace (each with a span of its own)
# and its id.
expect_eq "traceparent passed on" "True True" "$(log_query "all(r['headers'].get('traceparent', '')[:36] == '00-$trace-' for r in log), len({r['headers']['traceparent'][36:52] for r in log} - {'00f067aa0ba902b7'}) == 2")"
expect_eq "request id passed on" "advise-1" "$(log_query "' '.join(sorted({r['headers'].get('x-request-id', '') for r in log}))")"
$PY - <<'PY' || fail "job result"
import json
r = json.load(open("job.json"))["result"]
assert "app/models/doctors.py" in r["files"], sorted(r["files"])[:5]
assert "A doctor who sees patients." in r["files"]["app/models/doctors.py"]
# The whole tree, as plain generation answers it: migrations and manifest too.
assert ".backbone/manifest.json" in r["files"], sorted(r["files"])
assert any(p.startswith("alembic/versions/") and p.endswith("_initial.py") for p in r["files"])
assert r["summary"]["files"] == len(r["files"]), (r["summary"], len(r["files"]))
codes = {d["code"] for d in r["diagnostics"]}
assert {"BB0907", "BB0908"} <= codes, codes
assert r["llm"]["requests"] == 2 and r["llm"]["prompt_tokens"] > 0, r["llm"]
PY
# Unknown ids are 404; a bad option value is 400.
expect_eq "unknown job" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/jobs/0123abcd")"
expect_eq "bad llm option" 400 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary '{"schema": {}, "options": {"llm": "always"}}' "$base/api/v1/generate")"
# The metrics count the model's tokens.
curl -s "$base/metrics" > metrics.txt
# Every series carries the replica's name (the host name by default).
grep -q '^backbone_llm_requests_total{instance="[^"]*"} 2$' metrics.txt || fail "LLM requests not in /metrics"
grep -q '^backbone_llm_prompt_tokens_total{instance="[^"]*"} [1-9]' metrics.txt || fail "LLM tokens not in /metrics"
grep -q "sk-test-never-shown" srv.log && fail "the key reached the service log"
echo "llm_service: all cases passed"
