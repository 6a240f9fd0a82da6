#!/bin/sh
# bench_generate.sh - `backbone generate` of a 50-table schema into a full
# project: whole-process wall time (hyperfine) and peak RSS (/usr/bin/time -v),
# next to `cp -r` of the same generated tree, and the ratio.
# Targets: < 20 ms, < 10 MiB RSS, within 3x of cp -r.
#
# Four figures for generate:
#  - the default run, cold: its reviewer compiles every generated .py file
#    with Python (the record of compiled files starts empty each run), and
#    the tree is flushed to disk before it is renamed in;
#  - the default run, warm: the same bytes were compiled by the same Python
#    in an earlier run (the record in $XDG_CACHE_HOME/backbone), as when CI
#    or a developer regenerates; Python is not started;
#  - --no-python (built-in check only);
#  - --no-python --no-sync, which does what cp -r does (no flush) and so
#    compares with it like for like.
# and the last on one thread (-j 1), as on a machine with one CPU.
# CPU is user + system time. Peak RSS is that of the process tree: in the
# cold run it is a Python compiler's.
set -eu
cd "$(dirname "$0")/.."
BB=${BACKBONE:-$PWD/build/release/backbone}
PY=/usr/bin/python3
RUNS=${BENCH_RUNS:-30}
# BENCH_TMP picks the file system. Unset, the run is made twice: in
# memory (/dev/shm, tmpfs), where the figures are the compiler's, and on
# the disk of /tmp, where the file system's cost comes on top for both
# backbone and cp -r.
if [ -z "${BENCH_TMP:-}" ]; then
    status=0
    for fs in /dev/shm /tmp; do
        [ -d "$fs" ] && [ -w "$fs" ] || continue
        echo "-- file system of $fs: $(stat -f -c %T "$fs")"
        BENCH_TMP=$fs sh "$0" || status=1
    done
    exit $status
fi
T=$(mktemp -d "$BENCH_TMP/bb-bench-generate-XXXXXX")
trap 'rm -rf "$T"' EXIT
# The record of compiled files (the reviewer's cache) stays inside $T.
export XDG_CACHE_HOME="$T/cache"

# A 50-table schema: each table has 8 columns of assorted types and a
# nullable foreign key to the table before it (a chain of relationships).
$PY - "$T/schema50.json" <<'PYEOF'
import json, sys
tables = []
for i in range(50):
    name = "table_%02d" % i
    cls = "Table%02d" % i
    cols = [
        {"name": "id", "type": "Integer", "primary_key": True},
        {"name": "name", "type": "String", "length": 100, "nullable": False, "unique": True},
        {"name": "description", "type": "Text"},
        {"name": "amount", "type": "Numeric", "precision": 10, "scale": 2},
        {"name": "active", "type": "Boolean", "default": True},
        {"name": "status", "type": "Enum", "values": ["draft", "live", "gone"], "default": "draft"},
        {"name": "happened_on", "type": "Date"},
        {"name": "rank", "type": "Integer", "index": True},
    ]
    rels = []
    if i > 0:
        prev = "table_%02d" % (i - 1)
        cols.append({"name": "parent_id", "type": "ForeignKey", "target": prev + ".id",
                     "on_delete": "SET NULL"})
        rels.append({"target_table": prev, "target_class": "Table%02d" % (i - 1),
                     "type": "many_to_one", "back_populates": "children_%02d" % i,
                     "foreign_key": "parent_id", "name": "parent"})
    tables.append({"table_name": name, "class_name": cls,
                   "description": "Table number %d of the benchmark." % i,
                   "options": {"use_timestamps": i % 2 == 0, "use_soft_delete": i % 5 == 0},
                   "columns": cols, "relationships": rels})
json.dump({"project_name": "bench50", "db_type": "postgresql",
           "description": "50 tables", "schema": tables}, open(sys.argv[1], "w"), indent=1)
PYEOF

"$BB" generate "$T/schema50.json" -o "$T/ref" -q
files=$(find "$T/ref" -type f | wc -l)
bytes=$(du -sb "$T/ref" | cut -f1)
echo "schema: 50 tables -> $files files, $bytes bytes"

# PREP is what runs before each timed run.
PREP="rm -rf $T/out"

# Mean wall time, its stddev and mean CPU time (user + system) in ms of a
# command run with a fresh output folder each time.
mean_ms() {
    hyperfine -N --style none --warmup 3 --runs "$RUNS" --prepare "$PREP" \
        --export-json "$T/h.json" "$*" >/dev/null 2>&1
    $PY -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.2f %.2f %.2f" % (r["mean"]*1e3, r["stddev"]*1e3, (r["user"]+r["system"])*1e3))' "$T/h.json"
}

# Peak resident set size in KiB (the largest of 5 runs).
peak_kib() {
    max=0
    for i in 1 2 3 4 5; do
        sh -c "$PREP"
        /usr/bin/time -v "$@" >/dev/null 2>"$T/time.txt" || true
        kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time.txt")
        [ "$kib" -gt "$max" ] && max=$kib
    done
    echo "$max"
}

G="$BB generate $T/schema50.json -o $T/out -q"
: >"$T/rows"
PREP="rm -rf $T/out $T/cache"
# shellcheck disable=SC2086
echo "generate (cold: Python compiles)|$(mean_ms "$G")|$(peak_kib $G)" >>"$T/rows"
PREP="rm -rf $T/out"
$G # fills the record
# shellcheck disable=SC2086
echo "generate (warm: compiled before)|$(mean_ms "$G")|$(peak_kib $G)" >>"$T/rows"
for flags in "--no-python" "--no-python --no-sync" "--no-python --no-sync -j 1"; do
    # shellcheck disable=SC2086
    echo "generate $flags|$(mean_ms "$G $flags")|$(peak_kib $G $flags)" >>"$T/rows"
done
echo "cp -r of the generated tree|$(mean_ms "cp -r $T/ref $T/out")|$(peak_kib cp -r "$T/ref" "$T/out")" >>"$T/rows"

$PY - "$T/rows" <<'PYEOF'
import sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1]) if l.strip()]
cp = float(rows[-1][1].split()[0])
print("%-36s %9s %8s %8s %11s %9s" % ("", "wall ms", "stddev", "CPU ms", "peak RSS", "vs cp -r"))
for label, t, rss in rows:
    ms, sd, cpu = map(float, t.split())
    print("%-36s %9.2f %8.2f %8.2f %7.1f MiB %8.2fx" % (label, ms, sd, cpu, int(rss) / 1024.0, ms / cp))
print("targets: < 20 ms, < 10 MiB, within 3x of cp -r")
PYEOF
