#!/bin/sh
# bench_server.sh - throughput of `backbone serve` with wrk: validate and
# generate on the example blog schema, 64 connections, a valid API key, rate
# limits raised; requests/s, p50/p99 latency, errors and the server's peak
# RSS.
#
# Every request runs the front end (and, for generate, the pipeline); the
# figures are checked against the targets (validate >= 20,000 req/s,
# generate >= 2,000 req/s). Then a FastAPI + uvicorn endpoint doing the
# same validation in Python, and the ratio.
#
#   BACKBONE=build/release/backbone sh bench/bench_server.sh
#   BENCH_SECONDS (default 10), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
#   BENCH_REPEAT (3: the figures are the median of that many runs)
set -eu
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench_server: wrk is missing (scripts/deps.sh bench)" >&2; exit 1; }

schema=schemas/blog.json
[ -f "$schema" ] || schema=../shared/compat/backbone-ai/examples/blog_schema.json
schema=$(realpath "$schema")
work=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

. bench/lib_wrk.sh
digest=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)

peak_rss() {
    awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/$1/status"
}

serve() {
    port=$(free_port)
    "$BACKBONE" serve --port "$port" --api-keys-file "$work/keys" \
        --rate-public 0 --rate-authenticated 0 --rate-generate 0 --rate-generate-hour 0 \
        --rate-validate 0 "$@" 2>"$work/server.log" &
    pid=$!
    pids="$pids $pid"
    wait_port "$port"
}

verdict() { [ "$1" -ge "$2" ] && [ "$3" = 0 ] && echo "met" || echo "MISSED"; }

echo "backbone serve: $(nproc) CPUs, $conns connections, ${secs}s per run, schema $(basename "$schema")"
serve
run_median "validate" "http://127.0.0.1:$port/api/v1/validate" vn
echo "  target >= 20000 req/s, 0 errors: $(verdict "$rps_vn" 20000 "$errs_vn")"
requests_total=0
ticks0=$(cpu_ticks "$pid")
run_median "generate" "http://127.0.0.1:$port/api/v1/generate" gn
ticks1=$(cpu_ticks "$pid")
echo "  target >= 2000 req/s, 0 errors: $(verdict "$rps_gn" 2000 "$errs_gn")"
echo "  peak RSS of the server: $(peak_rss $pid)"
echo "  server CPU per generate: $(awk -v t="$((ticks1 - ticks0))" -v n="$requests_total" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.3f ms", 1000 * t / hz / n; else print "n/a" }') (user + system over $requests_total requests)"
# Where a generation's time goes, from the server's own stage histograms.
# The stage is read from its own label: others (instance) come before it.
curl -s "http://127.0.0.1:$port/metrics" | awk '
    function stage(s) { sub(/.*stage="/, "", s); sub(/".*/, "", s); return s }
    /^backbone_pipeline_stage_duration_seconds_sum/ { sum[stage($1)] = $2 }
    /^backbone_pipeline_stage_duration_seconds_count/ { cnt[stage($1)] = $2 }
    END { line = "  pipeline stage means:"
          n = split("validator architect advisor generator reviewer", order, " ")
          for (i = 1; i <= n; i++) { st = order[i]
              if (cnt[st] > 0) line = line sprintf(" %s %.3f ms", st, 1000 * sum[st] / cnt[st]) }
          print line }'
kill "$pid"; wait "$pid" || true

fport=$(free_port)
BENCH_KEY_DIGEST=$digest /usr/bin/python3 -m uvicorn --app-dir bench fastapi_validate:app \
    --host 127.0.0.1 --port "$fport" --workers "$(nproc)" --log-level warning --no-access-log \
    2>"$work/uvicorn.log" &
fpid=$!
pids="$pids $fpid"
wait_port "$fport"
run "FastAPI + uvicorn validate" "http://127.0.0.1:$fport/api/v1/validate" fa
kill "$fpid"; wait "$fpid" || true

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }
echo "ratio validate backbone/FastAPI: $(ratio "$rps_vn" "$rps_fa")"
echo "summary: validate $rps_vn req/s (target 20000: $(verdict "$rps_vn" 20000 "$errs_vn")), generate $rps_gn req/s (target 2000: $(verdict "$rps_gn" 2000 "$errs_gn"))"
