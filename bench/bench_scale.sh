#!/bin/sh
# bench_scale.sh - `backbone serve --redis`, measured with wrk on the example
# blog schema (not a timed test: the figures are printed):
#
#   1. one replica, rate limits counted in its memory (today's default);
#   2. one replica, the same limits counted in a private redis-server;
#   3. three replicas with --redis behind nginx.
#
# The cost of Redis-backed limits per request is the difference of 1 and 2,
# as time per request (1/throughput) and as CPU (the replica's and Redis's
# user + system time per request), against the target of under 10% of a
# validate request. The limits are on (authenticated and validate: two
# counters) but too high to refuse, so each call to Redis leases 64
# requests (src/server/redis_rate.h).
#
#   BACKBONE=build/release/backbone sh bench/bench_scale.sh
#   BENCH_SECONDS (default 10), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
#   BENCH_REPEAT (3: the figures are the median of that many runs)
set -eu
cd "$(dirname "$0")/.."
PATH=$PATH:/usr/sbin
for tool in wrk redis-server nginx; do
    command -v $tool >/dev/null || { echo "bench_scale: $tool is missing (scripts/deps.sh bench)" >&2; exit 1; }
done

schema=$(realpath schemas/blog.json)
work=$(mktemp -d)
pids=""
REDIS_PID="" NGINX_PID=""
cleanup() {
    for p in $pids $NGINX_PID $REDIS_PID; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
. bench/lib_wrk.sh
. tests/integration/lib/replicas.sh

# replica [OPTIONS]: a replica on a free port with limits too high to
# refuse; its port in $port, its pid in $pid.
replica() {
    port=$(free_port)
    "$BACKBONE" serve --port "$port" --api-keys-file "$work/keys" \
        --rate-authenticated 1000000000 --rate-validate 1000000000 "$@" 2>>"$work/server.log" &
    pid=$!
    pids="$pids $pid"
    wait_port "$port"
}

# per_request TICKS...: CPU ms per request of the requests counted since
# requests_total was reset, from clock-tick differences.
per_request() {
    awk -v t="$1" -v n="$requests_total" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { if (n > 0) printf "%.4f", 1000 * t / hz / n; else print 0 }'
}

rport=$(free_port)
redis_start "$work" "$rport" || { echo "bench_scale: redis-server did not start" >&2; exit 1; }
url="redis://127.0.0.1:$rport/5"
echo "backbone serve --redis: $(nproc) CPUs, $conns connections, ${secs}s per run, schema $(basename "$schema")"

replica
requests_total=0
t0=$(cpu_ticks "$pid")
run_median "1 replica, limits in memory" "http://127.0.0.1:$port/api/v1/validate" mem
cpu_mem=$(per_request $(($(cpu_ticks "$pid") - t0)))
kill "$pid"; wait "$pid" 2>/dev/null || true

replica --redis "$url"
requests_total=0
t0=$(cpu_ticks "$pid")
r0=$(cpu_ticks "$REDIS_PID")
run_median "1 replica, limits in Redis" "http://127.0.0.1:$port/api/v1/validate" red
cpu_red=$(per_request $(($(cpu_ticks "$pid") - t0)))
cpu_redis=$(per_request $(($(cpu_ticks "$REDIS_PID") - r0)))
kill "$pid"; wait "$pid" 2>/dev/null || true

ports=""
for _ in 1 2 3; do
    replica --redis "$url" --threads 1
    ports="$ports $port"
done
nport=$(free_port)
# shellcheck disable=SC2086
nginx_start "$work" "$nport" $ports || { echo "bench_scale: nginx did not start" >&2; exit 1; }
run_median "3 replicas behind nginx, Redis" "http://127.0.0.1:$nport/api/v1/validate" lb

awk -v m="$rps_mem" -v r="$rps_red" -v lb="$rps_lb" -v cm="$cpu_mem" -v cr="$cpu_red" -v cd="$cpu_redis" 'BEGIN {
    if (m <= 0 || r <= 0) { print "no figures"; exit }
    tm = 1e6 / m; tr = 1e6 / r
    printf "time per request: %.1f us in memory, %.1f us with Redis: +%.1f us (%.1f%%)\n", tm, tr, tr - tm, 100 * (tr - tm) / tm
    printf "CPU per request: replica %.1f us in memory, %.1f us with Redis, + Redis itself %.1f us: +%.1f us (%.1f%%)\n", 1000 * cm, 1000 * cr, 1000 * cd, 1000 * (cr + cd - cm), 100 * (cr + cd - cm) / cm
    printf "3 replicas behind nginx against 1 replica direct (both with Redis): %.2fx\n", lb / r
    printf "summary: Redis-backed limits cost %.1f%% of a validate request in time (target < 10%%: %s)\n", 100 * (tr - tm) / tm, (tr - tm) / tm < 0.10 ? "met" : "MISSED"
}'
