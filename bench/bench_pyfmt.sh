#!/bin/sh
# bench_pyfmt.sh - what the Python formatting pass (render/pyfmt) costs on
# a 50-table project (~1 MB of Python), in process:
#   1. the files as backbone generates them (most lines fit: the fast
#      path; the statements written over several lines go through the
#      Black port);
#   2. the same files with every split statement joined onto one line and
#      the import block split one name per line, shuffled: what templates
#      that write each statement on one line hand to the pass.
# Budget: about 2 ms per generate of 50 tables. BACKBONE names the release
# binary; libbackbone.a is taken from its folder; step 2 needs python3.
set -eu
cd "$(dirname "$0")/.."
BACKBONE=${BACKBONE:-$PWD/build/release/backbone}
LIB=$(dirname "$BACKBONE")/libbackbone.a
RUNS=${BENCH_RUNS:-30}
[ -x "$BACKBONE" ] || { echo "bench_pyfmt: no binary at $BACKBONE (make first)" >&2; exit 2; }
[ -f "$LIB" ] || { echo "bench_pyfmt: no library at $LIB" >&2; exit 2; }
W=$(mktemp -d /tmp/bb-bench-pyfmt-XXXXXX)
trap 'rm -rf "$W"' EXIT
pkgs="libcjson libpcre2-8 zlib"

cc -std=c11 -O2 -o "$W/gen_schema" bench/gen_schema.c
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc $(pkg-config --cflags $pkgs) \
    -o "$W/bench_pyfmt" bench/bench_pyfmt.c "$LIB" $(pkg-config --libs $pkgs) -lpthread -lm -ldl
"$W/gen_schema" 50 >"$W/schema.json"
"$BACKBONE" generate --quiet "$W/schema.json" -o "$W/project" >/dev/null
find "$W/project" -name '*.py' | sort >"$W/files"

echo "generated files:"
# shellcheck disable=SC2046
"$W/bench_pyfmt" "$RUNS" $(cat "$W/files")

if command -v python3 >/dev/null 2>&1; then
    mkdir "$W/flat"
    i=0
    while read -r f; do
        i=$((i + 1))
        python3 bench/pyfmt_flatten.py "$f" >"$W/flat/$i.py"
    done <"$W/files"
    echo "one statement a line, imports one name a line:"
    # shellcheck disable=SC2046
    "$W/bench_pyfmt" "$RUNS" $(find "$W/flat" -name '*.py' | sort)
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
