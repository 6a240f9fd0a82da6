#!/bin/sh
# migrate.sh - `backbone migrate` end to end: revisions on stdout and in
# files, determinism, refusals and their exit codes, SARIF and JSON
# diagnostics, manifests and normalized schemas as inputs. Needs $BACKBONE.
set -eu
BB=${BACKBONE:?BACKBONE must name the backbone binary}
EVO=$(pwd)/schemas/evolution
PY=/usr/bin/python3
T=$(mktemp -d /tmp/bb-migrate-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/checks.sh"
python_parses() {
    "$PY" -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' "$1"
}

run migrate --help
expect_rc 0 "--help"
grep -q -- "--allow-destructive" "$T/out" || fail "--help does not list --allow-destructive"
ok "--help"

run migrate "$EVO/v1.json"
expect_rc 2 "one argument"
run migrate --bogus "$EVO/v1.json" "$EVO/v2.json"
expect_rc 2 "unknown option"
run migrate "$T/missing.json" "$EVO/v2.json"
expect_rc 2 "missing file"
run migrate --format json "$EVO/v1.json" "$EVO/v2.json"
expect_rc 2 "--format json without -o"
ok "usage and I/O errors exit 2"

run migrate "$EVO/v1.json" "$EVO/v2.json"
expect_rc 0 "v1 -> v2"
cp "$T/out" "$T/r2.py"
python_parses "$T/r2.py" || fail "the revision is not Python"
grep -q 'op.create_table(' "$T/r2.py" || fail "v1 -> v2 does not create the comments table"
grep -q '^down_revision = None$' "$T/r2.py" || fail "no --down-revision should give None"
run migrate "$EVO/v1.json" "$EVO/v2.json"
cmp -s "$T/out" "$T/r2.py" || fail "two runs gave different revisions"
ok "v1 -> v2 prints a parseable, deterministic revision"

run migrate --down-revision 0123abcd "$EVO/v2.json" "$EVO/v3.json" -o "$T/r3.py"
expect_rc 0 "-o FILE"
[ ! -s "$T/out" ] || fail "-o FILE still printed the revision"
grep -q '^down_revision = "0123abcd"$' "$T/r3.py" || fail "--down-revision not used"
grep -q 'in a project: alembic/versions/.*_add_column_posts_views.py' "$T/err" ||
    fail "no project file name on stderr: $(cat "$T/err")"
ok "-o FILE and --down-revision"

run migrate "$EVO/v6.json" "$EVO/v7.json"
expect_rc 1 "drop without --allow-destructive"
grep -q 'BB0820' "$T/err" || fail "no BB0820"
[ ! -s "$T/out" ] || fail "a refused revision was printed"
run migrate --allow-destructive "$EVO/v6.json" "$EVO/v7.json"
expect_rc 0 "drop with --allow-destructive"
grep -q 'batch_op.drop_column("legacy_code")' "$T/out" || fail "no drop_column"
ok "drops need --allow-destructive (exit 1, BB0820)"

run migrate --format sarif -o "$T/x.py" "$EVO/v6.json" "$EVO/v7.json"
expect_rc 1 "--format sarif"
"$PY" - "$T/out" <<'PYEOF' || fail "the SARIF log is wrong: $(cat "$T/out")"
import json, sys
log = json.load(open(sys.argv[1]))
assert log["version"] == "2.1.0"
# The design lints (BB048x) warn about both versions; the refusal is the error.
results = [r for r in log["runs"][0]["results"] if not r["ruleId"].startswith("BB048")]
assert [r["ruleId"] for r in results] == ["BB0820"], results
assert results[0]["level"] == "error"
loc = results[0]["locations"][0]
assert loc["physicalLocation"]["region"]["startLine"] > 1, loc
PYEOF
ok "--format sarif: one BB0820 result with a source line"

"$PY" - "$EVO/v6.json" "$T/bad.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["schema"][1]["columns"][1]["type"] = "Strin"
json.dump(d, open(sys.argv[2], "w"), indent=2)
PYEOF
run migrate "$EVO/v6.json" "$T/bad.json"
expect_rc 1 "invalid NEW schema"
grep -q 'BB0203' "$T/err" || fail "the invalid schema's diagnostic is not shown"
ok "an invalid schema exits 1 with its diagnostics"

run migrate "$EVO/v5.json" "$EVO/v5.json"
expect_rc 0 "same schema"
[ ! -s "$T/out" ] || fail "a revision for no change"
grep -q 'no revision' "$T/err" || fail "no 'no revision' note"
ok "equal schemas: nothing to migrate"

run migrate --down-revision 'x";import os' "$EVO/v1.json" "$EVO/v2.json"
expect_rc 1 "bad --down-revision"
grep -q 'BB0827' "$T/err" || fail "no BB0827"
ok "a bad --down-revision is refused (BB0827)"

# A generated project's manifest as OLD: its head is the parent, and the
# revision is the one generate adds.
run generate -q --no-python "$EVO/v1.json" -o "$T/p"
expect_rc 0 "generate v1"
run migrate "$T/p/.backbone/manifest.json" "$EVO/v2.json"
expect_rc 0 "manifest as OLD"
cp "$T/out" "$T/from-manifest.py"
run generate -q --no-python "$EVO/v2.json" -o "$T/p"
expect_rc 0 "generate v2"
new=$(ls "$T/p/alembic/versions" | grep -v _initial)
cmp -s "$T/from-manifest.py" "$T/p/alembic/versions/$new" ||
    fail "migrate from the manifest differs from what generate added"
run migrate "$T/p" "$EVO/v3.json"
expect_rc 0 "project folder as OLD"
grep -q "^down_revision = \"$(echo "$new" | cut -c1-12)\"$" "$T/out" ||
    fail "a project folder as OLD does not follow its head"
ok "a manifest as OLD gives the revision generate adds; a project folder works too"

"$PY" -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["schema"], open(sys.argv[2], "w"))' \
    "$T/p/.backbone/manifest.json" "$T/norm.json"
run migrate "$T/norm.json" "$EVO/v3.json"
expect_rc 0 "normalized schema as OLD"
grep -q 'add_column' "$T/out" || fail "normalized OLD: no add_column"
ok "a normalized schema as OLD"

# A revision written by hand after the project's last one (as `alembic
# revision` writes it): the next revision follows it, from `migrate` given
# the folder or its manifest and from `generate`; a second head is refused.
head=$(echo "$new" | cut -c1-12)
printf '"""backfill"""\nrevision = '"'"'feed0001'"'"'\ndown_revision = '"'"'%s'"'"'\n' "$head" \
    >"$T/p/alembic/versions/feed0001_backfill.py"
run migrate "$T/p" "$EVO/v3.json"
expect_rc 0 "project folder with a revision by hand"
grep -q '^down_revision = "feed0001"$' "$T/out" || fail "migrate does not follow the revision by hand"
cp "$T/out" "$T/after-hand.py"
run migrate "$T/p/.backbone/manifest.json" "$EVO/v3.json"
cmp -s "$T/out" "$T/after-hand.py" || fail "the manifest as OLD does not follow the revision by hand"
printf '"""beside"""\nrevision = "feed0002"\ndown_revision = "%s"\n' "$head" \
    >"$T/p/alembic/versions/feed0002_beside.py"
run migrate "$T/p" "$EVO/v3.json"
expect_rc 1 "two heads"
grep -q 'BB0830' "$T/err" || fail "no BB0830 for two heads: $(cat "$T/err")"
run generate -q --no-python "$EVO/v3.json" -o "$T/p"
expect_rc 1 "generate with two heads"
grep -q 'BB0830' "$T/err" || fail "generate: no BB0830 for two heads"
rm "$T/p/alembic/versions/feed0002_beside.py"
run generate -q --no-python "$EVO/v3.json" -o "$T/p"
expect_rc 0 "generate after a revision by hand"
grep -rq '^down_revision = "feed0001"$' "$T/p/alembic/versions" ||
    fail "generate does not follow the revision by hand"
ok "a revision written by hand is followed (migrate and generate); two heads are refused (BB0830)"

echo "migrate: $n checks passed"
