# lib_c.sh - what the benches of library code share: the release binary
# (BACKBONE) and libbackbone.a beside it, a scratch folder W removed on
# exit, and a 50-table project generated in "$W/project". Sourced with
# NAME set to the bench's name, from the repository's root.
BACKBONE=${BACKBONE:-$PWD/build/release/backbone}
LIB=$(dirname "$BACKBONE")/libbackbone.a
RUNS=${BENCH_RUNS:-30}
[ -x "$BACKBONE" ] || { echo "$NAME: no binary at $BACKBONE (make first)" >&2; exit 2; }
[ -f "$LIB" ] || { echo "$NAME: no library at $LIB" >&2; exit 2; }
W=$(mktemp -d "/tmp/bb-$NAME-XXXXXX")
trap 'rm -rf "$W"' EXIT
cc -std=c11 -O2 -o "$W/gen_schema" bench/gen_schema.c
"$W/gen_schema" 50 >"$W/schema.json"
"$BACKBONE" generate --quiet "$W/schema.json" -o "$W/project" >/dev/null
