#!/bin/sh
# scale.sh - `backbone serve --redis`: three replicas behind nginx sharing a
# private redis-server, all on free loopback ports. Checks that one key's
# rate limit is exact across the replicas, that jobs are read through any
# replica and survive the replica running them (SIGKILL), that ownership
# and per-key job limits hold across replicas, and that with Redis stopped
# under load validate keeps answering (no 5xx) while job submission
# answers 503 with Retry-After, until Redis is back.
set -u
[ -n "${BACKBONE:-}" ] || { echo "BACKBONE is not set" >&2; exit 2; }
for tool in redis-server redis-cli nginx curl; do
    command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
    command -v "$tool" >/dev/null 2>&1 || { echo "scale: $tool is missing (scripts/deps.sh test)" >&2; exit 1; }
done
WORK=$(mktemp -d)
. "$(dirname "$0")/llm/helpers.sh"
. "$(dirname "$0")/lib/replicas.sh"
REDIS_PID="" NGINX_PID="" PIDS=""
cleanup() {
    fake_stop
    for p in $PIDS $NGINX_PID $REDIS_PID; do kill "$p" 2>/dev/null; done
    for p in $PIDS $NGINX_PID $REDIS_PID; do wait "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
cd "$WORK" || exit 2

free_port() {
    $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

RPORT=$(free_port)
redis_stop() {
    kill "$REDIS_PID" && wait "$REDIS_PID" 2>/dev/null
    REDIS_PID=""
}
rcli() { redis-cli -p "$RPORT" -n 3 "$@"; }

export OPENAI_API_KEY=sk-test-never-shown-4242 BACKBONE_LLM_PROVIDER=openai
export BACKBONE_LLM_RETRY_BASE_MS=10
unset CI BACKBONE_LLM_CACHE BACKBONE_REDIS_URL 2>/dev/null || true
fake_start advise-slow

ALICE=$("$BACKBONE" keys new alice --api-keys-file "$WORK/keys" 2>/dev/null)
BOB=$("$BACKBONE" keys new bob --api-keys-file "$WORK/keys" 2>/dev/null)
CAROL=$("$BACKBONE" keys new carol --api-keys-file "$WORK/keys" 2>/dev/null)
DAVE=$("$BACKBONE" keys new dave --api-keys-file "$WORK/keys" 2>/dev/null)
LIMIT=10

# replica_start N: starts replica N (1..3) on its port; PORT_N is set.
replica_start() {
    n=$1
    eval "port=\${PORT_$n:-0}"
    "$BACKBONE" serve --port "$port" --api-keys-file "$WORK/keys" \
        --redis "redis://127.0.0.1:$RPORT/3" --job-visibility 3 --max-jobs-per-key 1 \
        --rate-validate $LIMIT --rate-authenticated 0 --rate-generate 1000 \
        --rate-generate-hour 0 --shutdown-grace 5 2>> "$WORK/replica$n.log" &
    eval "PID_$n=$!"
    PIDS="$PIDS $!"
    got=""
    for _ in $(seq 1 200); do
        got=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$WORK/replica$n.log" | tail -n 1)
        [ -n "$got" ] && [ "$got" != 0 ] && break
        sleep 0.05
    done
    [ -n "$got" ] || fail "replica $n did not start"
    eval "PORT_$n=$got"
}

redis_start "$WORK" "$RPORT" || fail "redis-server did not start"
: > replica1.log
: > replica2.log
: > replica3.log
replica_start 1
replica_start 2
replica_start 3
grep -q '"redis":"redis://127.0.0.1:' replica1.log || fail "the start-up line does not name Redis"

NPORT=$(free_port)
nginx_start "$WORK" "$NPORT" "$PORT_1" "$PORT_2" "$PORT_3" || fail "nginx did not start"
LB="http://127.0.0.1:$NPORT"
direct() { echo "http://127.0.0.1:$(eval echo "\$PORT_$1")"; }

SCHEMA=$ROOT/schemas/blog.json
validate() { # validate KEY URL: prints the status; headers in $WORK/h.$$
    curl -s -o /dev/null -D "$WORK/h.$3" -w '%{http_code}\n' -H "X-API-Key: $1" \
        -H 'Content-Type: application/json' --data-binary @"$SCHEMA" "$2/api/v1/validate"
}

# ---- one key, a limit of N per window: exactly N pass across the replicas.
# Started just after a window begins, so that all requests fall in one.
$PY -c 'import time; t = time.time(); time.sleep(0 if t % 60 < 45 else 61 - t % 60)'
seq 1 $((3 * LIMIT)) > seq.txt
export ALICE SCHEMA LB WORK
xargs -P 6 -I{} sh -c 'curl -s -o /dev/null -D "$WORK/h.{}" -w "%{http_code}\n" -H "X-API-Key: $ALICE" \
    -H "Content-Type: application/json" --data-binary @"$SCHEMA" "$LB/api/v1/validate"' < seq.txt > codes.txt
passed=$(grep -c '^200$' codes.txt)
limited=$(grep -c '^429$' codes.txt)
expect_eq "requests passed across 3 replicas" $LIMIT "$passed"
expect_eq "requests limited" $((2 * LIMIT)) "$limited"
for f in h.*; do
    if grep -q '^HTTP/1.1 429' "$f"; then
        grep -qi '^Retry-After: [1-9]' "$f" || fail "a 429 without Retry-After"
        grep -qi '^X-RateLimit-Remaining: 0' "$f" || fail "a 429 without X-RateLimit-Remaining"
    fi
done
rm -f h.*
# Each replica answered some of them.
for n in 1 2 3; do
    grep -q '"path":"/api/v1/validate","status":' replica$n.log || fail "replica $n served no validate"
done
echo "ok - rate limit of $LIMIT exact across 3 replicas"

# ---- jobs: submitted through one replica, read through the others.
$PY -c "import json,sys; print(json.dumps({'schema': json.load(open(sys.argv[1])), 'options': {'llm': 'advise'}}))" \
    "$ROOT/schemas/blog.json" > req.json
$PY -c "import json,sys; print(json.dumps({'schema': json.load(open(sys.argv[1])), 'options': {'llm': 'advise'}}))" \
    "$ROOT/schemas/shop.json" > req-shop.json
TRACE=4bf92f3577b34da6a3ce929d0e0e4736
submit() { # submit KEY URL [BODY]: the status; the body in $WORK/sub.json, headers in $WORK/sub.h
    curl -s -o "$WORK/sub.json" -D "$WORK/sub.h" -w '%{http_code}' -H "X-API-Key: $1" \
        -H "traceparent: 00-$TRACE-00f067aa0ba902b7-01" -H "X-Request-Id: job-of-$1" \
        -H 'Content-Type: application/json' --data-binary @"$WORK/${3:-req.json}" "$2/api/v1/generate"
}
wait_done() { # wait_done KEY JOB: polls through nginx; the last answer in $WORK/job.json
    for _ in $(seq 1 300); do
        curl -s -o "$WORK/job.json" -H "X-API-Key: $1" "$LB/api/v1/jobs/$2"
        case $(job_field "$WORK/job.json" state) in done | failed | cancelled) return ;; esac
        sleep 0.1
    done
}
job_field() { $PY -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))" "$@"; }
expect_eq "alice's job through replica 1" 202 "$(submit "$ALICE" "$(direct 1)")"
JOB=$(job_field sub.json job)
# Her limit of one unfinished job holds on another replica.
expect_eq "alice's second job through replica 2" 429 "$(submit "$ALICE" "$(direct 2)")"
grep -qi '^Retry-After: [1-9]' sub.h || fail "too_many_jobs without Retry-After"
grep -q too_many_jobs sub.json || fail "the 429 is not too_many_jobs: $(cat sub.json)"
expect_eq "bob's job through replica 3" 202 "$(submit "$BOB" "$(direct 3)")"
BOB_JOB=$(job_field sub.json job)
for n in 2 3; do
    code=$(curl -s -o job.json -w '%{http_code}' -H "X-API-Key: $ALICE" "$(direct $n)/api/v1/jobs/$JOB")
    expect_eq "alice's job read through replica $n" 200 "$code"
done
# Ownership holds on every replica: bob is told it does not exist.
for n in 1 2 3; do
    expect_eq "bob reads alice's job on replica $n" 404 \
        "$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $BOB" "$(direct $n)/api/v1/jobs/$JOB")"
done
expect_eq "bob cancels alice's job" 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "X-API-Key: $BOB" "$LB/api/v1/jobs/$JOB")"
echo "ok - jobs read through any replica; ownership and per-key limits across replicas"

# job_runner JOB: waits until a replica takes JOB; $runner is its consumer
# name in Redis, $victim the number of its replica (both empty if none).
job_runner() {
    runner="" victim=""
    for _ in $(seq 1 100); do
        runner=$(rcli HGET "bb:job:$1" runner)
        [ -n "$runner" ] && break
        sleep 0.05
    done
    for n in 1 2 3; do
        eval "p=\$PID_$n"
        case $runner in *-$p-*) victim=$n ;; esac
    done
}
# replica_stop SIGNAL N: stops replica N with SIGNAL and waits for it.
replica_stop() {
    eval "kill -$1 \$PID_$2"
    eval "wait \$PID_$2 2>/dev/null"
}

# ---- the replica running alice's job is killed: another finishes it.
job_runner "$JOB"
[ -n "$runner" ] || fail "nobody took alice's job"
[ -n "$victim" ] || fail "the job's runner $runner is no replica"
replica_stop KILL "$victim"
wait_done "$ALICE" "$JOB"
expect_eq "alice's job after its replica was killed" done "$(job_field job.json state)"
expect_eq "its status" 200 "$(job_field job.json status)"
$PY -c "import json; r = json.load(open('job.json'))['result']; assert r['summary']['files'] == len(r['files'])" ||
    fail "the finished job has no project"
newrunner=$(rcli HGET "bb:job:$JOB" runner)
[ "$newrunner" != "$runner" ] || fail "the job was not taken by another replica"
expect_eq "attempts" 2 "$(rcli HGET "bb:job:$JOB" attempts)"
# The job kept its request's trace and id in Redis: the model calls of
# the replica that took it over carry them.
expect_eq "model calls in the submitting request's trace, with its id" "True True" \
    "$(log_query "all(r['headers'].get('traceparent', '')[:36] == '00-$TRACE-' for r in log), any(r['headers'].get('x-request-id') == 'job-of-$ALICE' for r in log)")"
replica_start "$victim"
echo "ok - a job whose replica was killed is finished by another"

# ---- model answers are shared: the same request on another replica asks
# the model nothing.
wait_done "$BOB" "$BOB_JOB"
expect_eq "bob's job" done "$(job_field job.json state)"
expect_eq "carol's job, the same request" 202 "$(submit "$CAROL" "$LB")"
wait_done "$CAROL" "$(job_field sub.json job)"
expect_eq "carol's job" done "$(job_field job.json state)"
$PY -c "import json; l = json.load(open('job.json'))['result']['llm']; assert l['cache_hits'] >= 1, l" ||
    fail "carol's job asked the model what another replica already had: $(cat job.json | head -c 300)"
[ "$(rcli EXISTS "$(rcli --scan --pattern 'bb:llm:*' | grep -v index | head -n 1)")" = 1 ] ||
    fail "no model answer in Redis"
echo "ok - model answers shared through Redis"

# ---- on SIGTERM a replica hands its running job back.
expect_eq "bob's next job" 202 "$(submit "$BOB" "$LB" req-shop.json)"
BOB_JOB=$(job_field sub.json job)
job_runner "$BOB_JOB"
[ -n "$victim" ] || fail "bob's job was not taken"
replica_stop TERM "$victim"
grep -q '"jobs_handed_back":1' "replica$victim.log" || fail "the stopping replica did not hand its job back"
wait_done "$BOB" "$BOB_JOB"
expect_eq "bob's handed-back job" done "$(job_field job.json state)"
expect_eq "attempts of a handed-back job" 1 "$(rcli HGET "bb:job:$BOB_JOB" attempts)"
replica_start "$victim"
echo "ok - a stopping replica hands its job back"

# ---- Redis stopped under load.
export CAROL
(
    i=0
    while [ $i -lt 400 ] && [ ! -f "$WORK/stop-load" ]; do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 -H "X-API-Key: $CAROL" \
            -H 'Content-Type: application/json' --data-binary @"$SCHEMA" "$LB/api/v1/validate"
        i=$((i + 1))
    done
) > load.txt &
LOAD_PID=$!
sleep 0.3
redis_stop
sleep 0.3
code=$(submit "$CAROL" "$LB")
expect_eq "job submission with Redis down" 503 "$code"
grep -qi '^Retry-After: [1-9]' sub.h || fail "the 503 has no Retry-After"
expect_eq "reading a job with Redis down" 503 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $ALICE" "$LB/api/v1/jobs/$JOB")"
curl -s -o ready.json -w '%{http_code}' "$(direct 1)/health/readiness" > ready.code
expect_eq "readiness with Redis down" 200 "$(cat ready.code)"
$PY - <<'PY' || fail "readiness does not report Redis degraded: $(cat ready.json)"
import json
r = json.load(open("ready.json"))["components"]["redis"]
assert r["status"] == "degraded" and "Redis" in r["message"], r
PY
curl -s "$(direct 1)/metrics" > metrics.txt
grep -Eq '^backbone_redis_up(\{[^}]*\})? 0$' metrics.txt || fail "metrics do not say Redis is down"
grep -Eq '^backbone_redis_failures_total(\{[^}]*\})? [1-9]' metrics.txt || fail "no Redis failures counted"
grep -q '"level":"warn","msg":"Redis stopped answering".*"error":"' replica1.log ||
    fail "replica 1 did not log the outage"
sleep 1
redis_start "$WORK" "$RPORT" || fail "redis-server did not restart"
# Each replica backs off up to 5 s between attempts; readiness probes
# Redis once that has passed, so every replica must say healthy in time.
for n in 1 2 3; do
    healthy=""
    for _ in $(seq 1 150); do
        curl -s -o ready.json "$(direct $n)/health/readiness"
        grep -q '"redis":{"name":"redis","status":"healthy"' ready.json && healthy=yes && break
        sleep 0.1
    done
    [ -n "$healthy" ] || fail "readiness of replica $n did not recover: $(cat ready.json)"
done
code=$(submit "$CAROL" "$LB")
expect_eq "job submission after Redis came back" 202 "$code"
grep -q '"msg":"Redis answers again"' replica1.log || fail "replica 1 did not log the recovery"
curl -s "$(direct 1)/metrics" | grep -Eq '^backbone_redis_up(\{[^}]*\})? 1$' ||
    fail "metrics do not say Redis is back"
touch stop-load
wait $LOAD_PID
total=$(wc -l < load.txt)
errors=$(grep -c '^5' load.txt)
[ "$total" -ge 20 ] || fail "the load sent only $total requests"
expect_eq "5xx answers to validate while Redis was stopped ($total requests)" 0 "$errors"
grep -q '^200$' load.txt || fail "no validate passed under load"
grep -q "sk-test-never-shown" "$WORK"/replica*.log && fail "the model key reached a log"
echo "ok - Redis stopped under load: validate answered, jobs 503 with Retry-After, logged and measured, recovered"

# ---- leases: with room to spare a replica counts several requests per
# call to Redis; the limit still holds, to the request.
for n in 1 2 3; do replica_stop TERM $n; done
LIMIT=300
for n in 1 2 3; do replica_start $n; done
evalsha_calls() { rcli INFO commandstats | sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p'; }
$PY -c 'import time; t = time.time(); time.sleep(0 if t % 60 < 45 else 61 - t % 60)'
before=$(evalsha_calls)
seq 1 340 > seq.txt
export DAVE
xargs -P 6 -I{} sh -c 'curl -s -o /dev/null -w "%{http_code}\n" -H "X-API-Key: $DAVE" \
    -H "Content-Type: application/json" --data-binary @"$SCHEMA" "$LB/api/v1/validate"' < seq.txt > codes.txt
calls=$(($(evalsha_calls) - ${before:-0}))
expect_eq "requests passed across 3 replicas with leases" 300 "$(grep -c '^200$' codes.txt)"
expect_eq "requests limited with leases" 40 "$(grep -c '^429$' codes.txt)"
[ "$calls" -lt 113 ] || fail "340 requests made $calls calls to Redis: no leases"
echo "ok - leases: a limit of 300 holds exactly across 3 replicas with $calls calls to Redis"
echo "scale: all cases passed"
