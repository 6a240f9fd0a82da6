#!/bin/sh
# fuzz/run.sh - builds every fuzz/fuzz_*.c as a libFuzzer target (clang-14,
# ASan + UBSan) and runs each for FUZZ_SECONDS (default 30) on its seed
# corpus in fuzz/seeds/<name>/ (if present). Fails on any crash.
# FUZZ_TARGETS="fuzz_auth fuzz_wire" runs only those.
set -eu
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-30}
out=build/fuzz
mkdir -p "$out"
CC=${FUZZ_CC:-clang-14}
pkgs="libcjson libpcre2-8 zlib"
# libcurl, libmicrohttpd and hiredis: headers only, loaded on first use
# (base/dynlib.c), as in the Makefile's PKGS_DLOPEN. Warnings are errors,
# as in the main build: a target that no longer matches an interface it
# calls must not build.
cflags="-std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Isrc -Ibuild/release/gen $(pkg-config --cflags $pkgs libcurl libmicrohttpd hiredis)"
libs="$(pkg-config --libs $pkgs) -lpthread -lm -ldl"
make -s build/release/gen/embedded_templates.c >/dev/null
src=$(ls src/*/*.c | grep -v '^src/cli/main.c$')
for f in fuzz/fuzz_*.c; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .c)
    case " ${FUZZ_TARGETS:-$name} " in *" $name "*) ;; *) continue ;; esac
    echo "== $name: building"
    # shellcheck disable=SC2086
    $CC $cflags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -o "$out/$name" "$f" $src build/release/gen/embedded_templates.c $libs
    corpus="$out/corpus-$name"
    mkdir -p "$corpus"
    seeds=""
    [ -d "fuzz/seeds/$name" ] && seeds="fuzz/seeds/$name"
    echo "== $name: running ${secs}s"
    # shellcheck disable=SC2086
    "$out/$name" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$corpus" $seeds
done
