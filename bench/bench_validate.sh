#!/bin/sh
# bench_validate.sh - what validating costs:
#   1. small schemas, in process: CPU time per POST /api/v1/validate request
#      beside HTTP (bb_frontend(), then the answer as the service builds
#      and prints it) on schemas/blog.json and the compat examples' complex
#      schema: the service's per-request budget is under 100 us of CPU for
#      everything, HTTP included;
#   2. a 50-table, ~100 KB schema, in process: CPU time per bb_frontend() run
#      (target < 2 ms), from a small driver linked with libbackbone.a;
#   3. the whole `backbone validate` process, start to exit (target < 10 ms),
#      with hyperfine when installed, else a timed loop.
# BACKBONE names the release binary; libbackbone.a is taken from its folder.
set -eu
cd "$(dirname "$0")/.."
BACKBONE=${BACKBONE:-$PWD/build/release/backbone}
LIB=$(dirname "$BACKBONE")/libbackbone.a
RUNS=${BENCH_RUNS:-2000}
SMALL_RUNS=${BENCH_SMALL_RUNS:-20000}
[ -x "$BACKBONE" ] || { echo "bench_validate: no binary at $BACKBONE (make first)" >&2; exit 2; }
[ -f "$LIB" ] || { echo "bench_validate: no library at $LIB" >&2; exit 2; }
W=$(mktemp -d /tmp/bb-bench-validate-XXXXXX)
trap 'rm -rf "$W"' EXIT
pkgs="libcjson libpcre2-8 libcurl libmicrohttpd openssl zlib"

cc -std=c11 -O2 -o "$W/gen_schema" bench/gen_schema.c
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc $(pkg-config --cflags $pkgs) \
    -o "$W/bench_validate" bench/bench_validate.c "$LIB" $(pkg-config --libs $pkgs) -lpthread -lm
"$W/gen_schema" 50 >"$W/schema.json"
"$BACKBONE" validate --quiet "$W/schema.json" ||
    { echo "bench_validate: the generated schema is not valid" >&2; exit 1; }
# 1. Small schemas, in process, as the HTTP service validates them.
small=schemas/blog.json
[ -f ../shared/compat/backbone-ai/examples/complex_schema.json ] &&
    small="$small ../shared/compat/backbone-ai/examples/complex_schema.json"
# shellcheck disable=SC2086
"$W/bench_validate" --request "$SMALL_RUNS" $small

# 2. A large schema, in process.
echo "schema: 50 tables, $(wc -c <"$W/schema.json") bytes"
"$W/bench_validate" "$W/schema.json" "$RUNS"

# 3. The whole process, next to a bare start (`backbone --version`): on a
#    busy machine the wall time mostly measures waiting for a CPU, so the
#    CPU time (user + system) is printed as well.
if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 20 --runs 300 --export-json "$W/h.json" \
        "$BACKBONE validate --quiet $W/schema.json" "$BACKBONE --version" >/dev/null 2>&1
    /usr/bin/python3 -c '
import json, sys
names = ["validate process", "bare start (--version)"]
for name, r in zip(names, json.load(open(sys.argv[1]))["results"]):
    print("%s (hyperfine, %d runs): median %.2f ms, mean %.2f ms, min %.2f ms wall; "
          "%.2f ms CPU (user %.2f + system %.2f)"
          % (name, len(r["times"]), r["median"] * 1e3, r["mean"] * 1e3, r["min"] * 1e3,
             (r["user"] + r["system"]) * 1e3, r["user"] * 1e3, r["system"] * 1e3))' "$W/h.json"
else
    n=200
    start=$(date +%s%N)
    i=0
    while [ $i -lt $n ]; do
        "$BACKBONE" validate --quiet "$W/schema.json"
        i=$((i + 1))
    done
    end=$(date +%s%N)
    echo "validate process (loop of $n): $(((end - start) / n / 1000)) us wall per run"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
