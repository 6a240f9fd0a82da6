#!/bin/sh
# bench_sha256.sh - SHA-256 over a 50-table project's files, each hashed
# once as generate does for its manifest: the SHA extensions against the
# portable code (base/sha256.h). BACKBONE names the release binary;
# libbackbone.a is taken from its folder.
set -eu
cd "$(dirname "$0")/.."
NAME=bench_sha256
. bench/lib_c.sh
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -o "$W/bench_sha256" bench/bench_sha256.c "$LIB" -lpthread
echo "sha256 of a 50-table project, best of $RUNS runs:"
# shellcheck disable=SC2046
"$W/bench_sha256" "$RUNS" $(find "$W/project" -type f | sort)
