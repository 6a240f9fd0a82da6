#!/bin/sh
# bench_generate.sh - `backbone generate` of a 50-table schema into a full
# project: whole-process wall time (hyperfine) and peak RSS (/usr/bin/time -v),
# next to `cp -r` of the same generated tree, and the ratio.
# Targets: < 20 ms, < 10 MiB RSS, within 3x of cp -r.
#
# Two figures for generate: the default run, whose reviewer compiles every
# generated .py file with Python, and --no-python (built-in check only),
# which isolates what backbone itself costs.
set -eu
cd "$(dirname "$0")/.."
BB=${BACKBONE:-$PWD/build/release/backbone}
PY=/usr/bin/python3
RUNS=${BENCH_RUNS:-30}
T=$(mktemp -d /tmp/bb-bench-generate-XXXXXX)
trap 'rm -rf "$T"' EXIT

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

# Mean wall time in ms of a command run with a fresh output folder each time.
mean_ms() {
    label=$1
    shift
    hyperfine -N --style none --warmup 3 --runs "$RUNS" --prepare "rm -rf $T/out" \
        --export-json "$T/h.json" "$*" >/dev/null 2>&1
    $PY -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.2f %.2f" % (r["mean"]*1e3, r["stddev"]*1e3))' "$T/h.json"
}

# Peak resident set size in KiB (the largest of 5 runs).
peak_kib() {
    max=0
    for i in 1 2 3 4 5; do
        rm -rf "$T/out"
        /usr/bin/time -v "$@" >/dev/null 2>"$T/time.txt" || true
        kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time.txt")
        [ "$kib" -gt "$max" ] && max=$kib
    done
    echo "$max"
}

set -- $(mean_ms generate "$BB generate $T/schema50.json -o $T/out -q")
gen_ms=$1 gen_sd=$2
set -- $(mean_ms generate-no-python "$BB generate $T/schema50.json -o $T/out -q --no-python")
nopy_ms=$1 nopy_sd=$2
set -- $(mean_ms cp "cp -r $T/ref $T/out")
cp_ms=$1 cp_sd=$2
gen_rss=$(peak_kib "$BB" generate "$T/schema50.json" -o "$T/out" -q)
nopy_rss=$(peak_kib "$BB" generate "$T/schema50.json" -o "$T/out" -q --no-python)
cp_rss=$(peak_kib cp -r "$T/ref" "$T/out")

$PY - "$gen_ms" "$gen_sd" "$nopy_ms" "$nopy_sd" "$cp_ms" "$cp_sd" "$gen_rss" "$nopy_rss" "$cp_rss" <<'PYEOF'
import sys
g, gs, n, ns, c, cs = map(float, sys.argv[1:7])
gr, nr, cr = map(int, sys.argv[7:10])
print("%-34s %9s %9s %11s %9s" % ("", "mean ms", "stddev", "peak RSS", "vs cp -r"))
for label, ms, sd, rss in (("generate (Python compile check)", g, gs, gr),
                           ("generate --no-python", n, ns, nr),
                           ("cp -r of the generated tree", c, cs, cr)):
    print("%-34s %9.2f %9.2f %8.1f MiB %8.2fx" % (label, ms, sd, rss / 1024.0, ms / c))
print("targets: < 20 ms, < 10 MiB, within 3x of cp -r")
PYEOF
