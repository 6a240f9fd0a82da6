# lib_wrk.sh - what the service benchmarks share, sourced after they set
# work (a temporary folder) and schema (an absolute path): the settings
# from the environment, an API key and the wrk script that posts schema
# with it ($work/post.lua), free ports, waiting for a server, wrk runs and
# their medians, a process's CPU time.

BACKBONE=${BACKBONE:-$PWD/build/release/backbone}
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
repeat=${BENCH_REPEAT:-3}
requests_total=0

key=$("$BACKBONE" keys new bench --api-keys-file "$work/keys" 2>/dev/null)
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
local f = io.open("$schema", "rb")
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "$key"
LUA

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
    for _ in $(seq 1 200); do
        curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
        sleep 0.05
    done
    echo "bench: nothing listens on port $1" >&2
    return 1
}

# run NAME URL: one wrk run; prints a result row and checks for errors.
run() {
    wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$work/post.lua" "$2" >"$work/wrk" 2>&1
    rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$work/wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk")
    sock=$(awk '/Socket errors/ {n = $4 + $6 + $8 + $10; gsub(",", "", n); print n}' "$work/wrk")
    errs=$(( ${non2xx:-0} + ${sock:-0} ))
    requests_total=$((requests_total + $(awk '/requests in/ {print $1}' "$work/wrk")))
    printf '%-34s %10s req/s   p50 %-9s p99 %-9s errors %s\n' "$1" "$rps" "$p50" "$p99" "$errs"
    eval "rps_$3=\${rps%.*}; errs_$3=$errs"
}

# run_median NAME URL VAR: BENCH_REPEAT (default 3) runs of one target, as
# this machine shares its CPUs with others and one run can land on a busy
# moment; VAR gets the median requests/s and every run's errors.
run_median() {
    all="" errs_all=0 rps_one=0 errs_one=0
    for k in $(seq 1 "$repeat"); do
        # When wrk stops, the requests it leaves in flight are still queued:
        # let the server drain them, so each run starts on an idle server
        # (else the first requests of a run can meet a full queue: 503).
        sleep 1
        run "$1 (run $k of $repeat)" "$2" one
        all="$all $rps_one"
        errs_all=$((errs_all + errs_one))
    done
    med=$(printf '%s\n' $all | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
    printf '%-34s %10s req/s   (median of%s)\n' "$1" "$med" "$all"
    eval "rps_$3=$med; errs_$3=$errs_all"
}

# cpu_ticks PID: the user + system time of a process, in clock ticks.
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat"
}

