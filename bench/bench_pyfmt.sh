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
NAME=bench_pyfmt
. bench/lib_c.sh
pkgs="libcjson libpcre2-8 zlib"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc $(pkg-config --cflags $pkgs) \
    -o "$W/bench_pyfmt" bench/bench_pyfmt.c "$LIB" $(pkg-config --libs $pkgs) -lpthread -lm -ldl
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
