#!/bin/sh
# bench/run.sh - runs every bench/bench_*.sh in order and prints its figures.
# BACKBONE names the release binary; each script prints its own results.
set -eu
cd "$(dirname "$0")/.."
BACKBONE=${BACKBONE:-$PWD/build/release/backbone}
export BACKBONE
status=0
for b in bench/bench_*.sh; do
    [ -f "$b" ] || continue
    echo "== $b"
    sh "$b" || status=1
done
exit $status
