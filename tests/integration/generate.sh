#!/bin/sh
# generate.sh - `backbone generate` and `backbone plan` end to end: determinism,
# --check/--diff, edited files in every mode, refusals, the user's files,
# template overrides and the JSON outputs. Needs $BACKBONE.
set -eu
BB=${BACKBONE:?BACKBONE must name the backbone binary}
SCHEMA=$(pwd)/../shared/compat/backbone-ai/examples/blog_schema.json
[ -f "$SCHEMA" ] || SCHEMA=$(pwd)/${BACKBONE_SHARED:-../shared}/compat/backbone-ai/examples/blog_schema.json
PY=/usr/bin/python3
T=$(mktemp -d /tmp/bb-generate-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/checks.sh"

# --- plan ---------------------------------------------------------------------
run plan "$SCHEMA" --format json
expect_rc 0 "plan --format json"
$PY -c 'import json,sys; p=json.load(open(sys.argv[1])); assert p["files"], "no files"' "$T/out" ||
    fail "plan --format json is not a plan"
ok "plan --format json prints a JSON plan"
run plan "$SCHEMA"
expect_rc 0 "plan"
grep -q "build order:" "$T/out" && grep -q "^models:" "$T/out" && grep -q "^files:" "$T/out" ||
    fail "plan outline lacks its sections"
ok "plan prints a readable outline"
grep -q "^  /api/v1/users  *CRUD for User" "$T/out" || fail "plan routes lack the API prefix: $(grep CRUD "$T/out")"
INITIAL=$(sed -n 's|^  \(alembic/versions/[0-9a-f]*_initial\.py\) .*|\1|p' "$T/out")
[ -n "$INITIAL" ] || fail "plan leaves out the initial migration"
ok "plan prints the routes as served (/api/v1) and the initial migration"

# --- determinism ------------------------------------------------------------------
run generate "$SCHEMA" -o "$T/a"
expect_rc 0 "first generate"
grep -q "files" "$T/out" || fail "no summary printed"
set +e
(cd /tmp && TZ=Asia/Tokyo LC_ALL=C.UTF-8 "$BB" generate "$SCHEMA" -o "$T/b" >"$T/out" 2>"$T/err")
rc=$?
set -e
expect_rc 0 "second generate (another folder, time zone and locale)"
diff -r "$T/a" "$T/b" >/dev/null || fail "two runs differ"
[ -f "$T/a/.backbone/manifest.json" ] || fail "no manifest"
ls "$T" | grep -q tmp- && fail "a temporary tree was left behind"
ok "generate is deterministic (diff -r of two runs is empty)"
[ -f "$T/a/$INITIAL" ] || fail "plan named $INITIAL, generate wrote $(ls "$T/a/alembic/versions")"
ok "the initial migration plan names is the one generate writes"

run generate "$SCHEMA" -o "$T/a" --check
expect_rc 0 "--check on a fresh tree"
ok "--check exits 0 on a fresh tree"

# A generated Python file to edit: the first one the manifest lists.
PYFILE=$($PY -c 'import json,sys; print(sorted(f for f in json.load(open(sys.argv[1]))["files"] if f.endswith(".py") and f.startswith("app/"))[0])' "$T/a/.backbone/manifest.json")
[ -f "$T/a/$PYFILE" ] || fail "no generated Python file"

# --- the user's files ------------------------------------------------------------
echo "mine = True" >"$T/a/app/my_extension.py"
run generate "$SCHEMA" -o "$T/a"
expect_rc 0 "regenerate with a file of the user"
grep -q "mine = True" "$T/a/app/my_extension.py" || fail "the user's file was lost"
ok "files the user added survive regeneration"

# --- edits ------------------------------------------------------------------------
echo "# my edit" >>"$T/a/$PYFILE"
run generate "$SCHEMA" -o "$T/a" --check
expect_rc 1 "--check after an edit"
grep -q "BB0804" "$T/err" && grep -q "$PYFILE" "$T/err" || fail "--check does not name the file"
ok "--check exits 1 after an edit and names the file"

run generate "$SCHEMA" -o "$T/a" --check --diff
expect_rc 1 "--check --diff"
grep -q "^--- a/$PYFILE" "$T/out" && grep -q "^-# my edit" "$T/out" && grep -q "^@@ " "$T/out" ||
    fail "--diff does not show the edit as a unified diff"
ok "--diff prints a unified diff"

# The diff is exact: scattered edits, applied back with patch(1), give the
# generated file again.
cp -r "$T/b" "$T/pa"
BIGFILE=$(cd "$T/b" && ls -S app/models/*.py | head -n 1)
$PY - "$T/pa/$BIGFILE" <<'PYEOF'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
lines.insert(1, "# inserted near the top")
del lines[len(lines) // 2]
lines[-3] = lines[-3] + "  # changed near the end"
lines.insert(len(lines) // 3, "x = 1\ny = 2")
open(p, "w").write("\n".join(lines))
PYEOF
run generate "$SCHEMA" -o "$T/pa" --check --diff
expect_rc 1 "--check --diff after scattered edits"
(cd "$T/pa" && patch -s -p1 <"$T/out") || fail "patch(1) rejects the diff"
diff -r "$T/pa" "$T/b" >/dev/null || fail "the patched tree is not the generated one"
ok "--diff output applies with patch(1) and gives the generated file back"

run generate "$SCHEMA" -o "$T/a"
expect_rc 1 "plain regenerate over an edit"
grep -q "BB0801" "$T/err" || fail "no BB0801 for the edited file"
tail -n 1 "$T/a/$PYFILE" | grep -q "# my edit" || fail "the edit was overwritten"
ok "plain regeneration stops on an edited file and keeps it"

run generate "$SCHEMA" -o "$T/a" --force
expect_rc 1 "--force over an edit"
tail -n 1 "$T/a/$PYFILE" | grep -q "# my edit" || fail "--force overwrote the edit"
ok "--force does not overwrite an edited file"

run generate "$SCHEMA" -o "$T/a" --merge
expect_rc 0 "--merge"
tail -n 1 "$T/a/$PYFILE" | grep -q "# my edit" || fail "--merge overwrote the edit"
cmp -s "$T/a/$PYFILE.new" "$T/b/$PYFILE" || fail "the .new file is not the generated version"
grep -q "BB0802" "$T/err" || fail "--merge does not say what it did"
ok "--merge keeps the edit and writes <file>.new"

# Accepting the edit ends BB0801, the .new file and the --check failure.
rm -f "$T/a/$PYFILE.new"
run generate "$SCHEMA" -o "$T/a" --accept "$T/a/$PYFILE"
expect_rc 0 "--accept"
run generate "$SCHEMA" -o "$T/a" --check
expect_rc 0 "--check after --accept"
run generate "$SCHEMA" -o "$T/a" --merge
expect_rc 0 "--merge after --accept"
[ ! -e "$T/a/$PYFILE.new" ] || fail "--merge wrote a .new file for an accepted edit"
run generate "$SCHEMA" -o "$T/a"
expect_rc 0 "plain regenerate after --accept"
tail -n 1 "$T/a/$PYFILE" | grep -q "# my edit" || fail "the accepted edit was overwritten"
run generate "$SCHEMA" -o "$T/a" --accept app/no_such_file.py
expect_rc 1 "--accept of a file backbone does not generate"
grep -q "BB0841" "$T/err" || fail "no BB0841"
ok "--accept makes an edit the user's: no BB0801, .new or --check failure after it"

# --- schema change ---------------------------------------------------------------------
$PY - "$SCHEMA" "$T/changed.json" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
s["schema"][0]["columns"].append({"name": "nickname", "type": "String", "length": 40})
json.dump(s, open(sys.argv[2], "w"), indent=2)
PYEOF
cp -r "$T/b" "$T/b2"
run generate "$SCHEMA" -o "$T/b2" --check
expect_rc 0 "--check before the schema change"
run generate "$T/changed.json" -o "$T/b2" --check
expect_rc 1 "--check after a schema change"
ok "--check exits 1 after a schema change"
ino=$(stat -c %i "$T/b2")
set +e
(cd "$T/b2" && "$BB" generate "$T/changed.json" -o . --format json >"$T/out" 2>"$T/err" && ls app/main.py >/dev/null)
rc=$?
set -e
expect_rc 0 "generate --format json, from inside the folder"
[ "$(stat -c %i "$T/b2")" = "$ino" ] || fail "the output folder was replaced, not kept"
ok "regeneration keeps the folder itself: a shell inside it still sees the project"
$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["ok"] and r["files"] > 0 and [s["name"] for s in r["stages"]] == ["validator", "architect", "advisor", "generator", "reviewer"]' "$T/out" ||
    fail "--format json summary"
grep -rq nickname "$T/b2/app" || fail "the new column is not generated"
ok "regeneration after a schema change, with a JSON summary"

# --- refusals ----------------------------------------------------------------------------
mkdir "$T/c"
echo "keep me" >"$T/c/notes.txt"
run generate "$SCHEMA" -o "$T/c"
expect_rc 1 "non-empty folder"
grep -q "BB0731" "$T/err" || fail "no BB0731"
[ "$(ls -A "$T/c")" = "notes.txt" ] || fail "something was written into the refused folder"
ok "a non-empty folder backbone did not generate is refused"
run generate "$SCHEMA" -o "$T/c" --force
expect_rc 0 "--force into a folder of the user"
grep -q "keep me" "$T/c/notes.txt" || fail "--force lost the user's file"
ok "--force generates into it and keeps the user's files"

ln -s "$T/b" "$T/link"
run generate "$SCHEMA" -o "$T/link"
expect_rc 1 "output is a symlink"
grep -q "BB0732" "$T/err" || fail "no BB0732"
ok "a symbolic link as the output is refused"

# --- template overrides -----------------------------------------------------------------------
"$BB" plan "$SCHEMA" --format json >"$T/plan.json"
TPL=$($PY -c 'import json,sys; fs=json.load(open(sys.argv[1]))["files"]; f=[f for f in fs if f["path"].endswith(".py") and not f.get("user")][0]; print(f["template"] + "\t" + f["path"])' "$T/plan.json")
name=$(printf '%s' "$TPL" | cut -f1)
path=$(printf '%s' "$TPL" | cut -f2)
mkdir -p "$T/tpl/$(dirname "$name")"
printf '# overridden for {{project.name}}\n' >"$T/tpl/$name.mustache"
run generate "$SCHEMA" -o "$T/d" --templates "$T/tpl"
expect_rc 0 "--templates"
[ "$(cat "$T/d/$path")" = "# overridden for BlogBackend" ] || fail "the override was not used for $path"
other=$(cd "$T/d" && find app -name '*.py' ! -path "$path" | head -n 1)
cmp -s "$T/d/$other" "$T/a/$other" || fail "templates not overridden changed ($other)"
ok "--templates replaces one template and keeps the rest"

# --- options with a value that is missing or names nothing ----------------------------------------
rm -rf "$T/x"
run generate "$SCHEMA" -o "$T/x" --templates "$T/no-such-folder"
expect_rc 2 "--templates of a folder that does not exist"
grep -q "templates '$T/no-such-folder': No such file" "$T/err" || fail "--templates message: $(cat "$T/err")"
run generate "$SCHEMA" -o "$T/x" --python "$T/no-such-python"
expect_rc 2 "--python of a program that does not exist"
grep -q "is not a program that can be run" "$T/err" || fail "--python message: $(cat "$T/err")"
[ ! -e "$T/x" ] || fail "something was generated despite a bad option"
run generate "$SCHEMA" -o
expect_rc 2 "-o without a value"
grep -q "generate: -o needs a value" "$T/err" || fail "-o message: $(cat "$T/err")"
run generate "$SCHEMA" -o "$T/x" --bogus
expect_rc 2 "an unknown option"
grep -q "unknown option '--bogus'" "$T/err" || fail "unknown option message: $(cat "$T/err")"
ok "--templates and --python must name what exists; a missing value is said so"

# --- --jobs: any number of threads gives the same tree -----------------------------------------
for j in 1 3; do
    rm -rf "$T/j$j"
    run generate "$SCHEMA" -o "$T/j$j" --jobs "$j"
    expect_rc 0 "--jobs $j"
    diff -r "$T/b" "$T/j$j" >/dev/null || fail "--jobs $j gives another tree"
done
(taskset -c 0 "$BB" generate "$SCHEMA" -o "$T/j0" -q) || fail "generate on one CPU failed"
diff -r "$T/b" "$T/j0" >/dev/null || fail "generate on one CPU gives another tree"
for bad in 0 x 257 -3; do
    run generate "$SCHEMA" -o "$T/x" -j "$bad"
    expect_rc 2 "-j $bad"
    grep -q "generate: -j wants a number of threads from 1 to 256, not '$bad'" "$T/err" ||
        fail "-j $bad message: $(cat "$T/err")"
done
[ ! -e "$T/x" ] || fail "something was generated despite a bad -j"
ok "--jobs 1, --jobs 3 and one CPU give the same tree; -j 0, x, 257 and -3 are refused"

# --- from another folder: templates are embedded --------------------------------------------------
(cd / && "$BB" generate "$SCHEMA" -o "$T/e" -q) || fail "generate from / failed"
diff -r "$T/b" "$T/e" >/dev/null || fail "generating from / gives another tree"
ok "the binary works from any folder"

# "N revisions, H heads, all recorded" of the project in folder $1: the
# revision files, the ones no other names as its parent, and whether the
# manifest records exactly those.
revisions_of() {
    python3 - "$1" <<'PYEOF'
import json, os, re, sys
versions = os.path.join(sys.argv[1], "alembic", "versions")
ids, downs = set(), set()
for name in os.listdir(versions):
    if name.endswith(".py"):
        text = open(os.path.join(versions, name)).read()
        ids.add(re.search(r'^revision = "(\w+)"', text, re.M).group(1))
        down = re.search(r'^down_revision = "(\w+)"', text, re.M)
        if down:
            downs.add(down.group(1))
manifest = json.load(open(os.path.join(sys.argv[1], ".backbone", "manifest.json")))
recorded = {r["id"] for r in manifest["revisions"]}
print("%d revisions, %d heads, %s" % (len(ids), len(ids - downs),
      "all recorded" if recorded == ids else "not all recorded"))
PYEOF
}

# --- runs into one folder take turns ----------------------------------------------------------
"$BB" generate "$SCHEMA" -o "$T/conc" -q
for i in 1 2 3; do
    "$BB" generate "$SCHEMA" -o "$T/conc" -q --no-python --allow-destructive >"$T/c1" 2>&1 &
    p1=$!
    "$BB" generate "$T/changed.json" -o "$T/conc" -q --no-python --allow-destructive >"$T/c2" 2>&1 &
    p2=$!
    wait "$p1" || fail "concurrent run 1: $(cat "$T/c1")"
    wait "$p2" || fail "concurrent run 2: $(cat "$T/c2")"
done
ls "$T" | grep -q "conc.tmp-" && fail "a temporary tree was left behind"
# Each run's revision follows the one the run before it wrote (a run
# computes its migrations early, from the manifest it read first, and must
# compute them again when another run wrote in between): one chain with
# one head, which a further run extends.
"$BB" generate "$SCHEMA" -o "$T/conc" -q --no-python --allow-destructive >"$T/c3" 2>&1 ||
    fail "a run after the concurrent ones: $(cat "$T/c3")"
case $(revisions_of "$T/conc") in
*", 1 heads, all recorded") ;;
*) fail "the revisions of the concurrent runs: $(revisions_of "$T/conc")" ;;
esac
ok "concurrent runs into one folder take turns without false edits"

# --- migrations computed early are computed again when another run wrote first --------------------
# A run computes its migrations while it renders, from the manifest it read
# first. Here another run's tree (one revision further) lands while this
# run waits for the folder's lock: the run must build on that revision.
mkdir -p "$T/race" "$T/ahead"
"$BB" generate "$SCHEMA" -o "$T/race/p" -q --no-python
"$BB" generate "$SCHEMA" -o "$T/ahead/p" -q --no-python
"$BB" generate "$T/changed.json" -o "$T/ahead/p" -q --no-python --allow-destructive
exec 9<"$T/race"
flock 9
"$BB" generate "$SCHEMA" -o "$T/race/p" -q --no-python --allow-destructive >"$T/race.out" 2>&1 &
pid=$!
i=0
until grep -q -- "-> FLOCK  *ADVISORY  *WRITE $pid " /proc/locks; do
    i=$((i + 1))
    [ $i -le 400 ] || fail "the run never waited for the folder's lock"
    sleep 0.05
done
rm -rf "$T/race/p"
cp -a "$T/ahead/p" "$T/race/p"
flock -u 9
exec 9<&-
wait "$pid" || fail "the run that waited: $(cat "$T/race.out")"
got=$(revisions_of "$T/race/p")
[ "$got" = "3 revisions, 1 heads, all recorded" ] || fail "after the other run's tree: $got"
ok "migrations computed early are computed again when another run wrote meanwhile"

# --- every example passes the review, with Python and with the built-in check ------------------
for s in schemas/*.json ../shared/compat/backbone-ai/examples/*.json; do
    case "$s" in *backbone.schema.json) continue ;; esac
    [ -f "$s" ] || continue
    for flags in "" "--no-python"; do
        rm -rf "$T/ex"
        # shellcheck disable=SC2086
        run generate "$s" -o "$T/ex" $flags
        expect_rc 0 "generate $s $flags"
    done
done
ok "every example schema generates and passes the review (Python and built-in)"

# --- a read-only output folder is left alone, even by root -------------------------------------
rm -rf "$T/ro"
run generate "$SCHEMA" -o "$T/ro"
expect_rc 0 "generate into a folder made read-only later"
chmod 0555 "$T/ro"
run generate "$SCHEMA" -o "$T/ro"
expect_rc 1 "generate into a read-only folder"
grep -q "BB0736" "$T/err" || fail "no BB0736 for a read-only folder: $(cat "$T/err")"
[ "$(stat -c %a "$T/ro")" = 555 ] || fail "the read-only folder lost its mode"
ls -d "$T"/ro.tmp-* "$T"/ro.old-* 2>/dev/null && fail "a temporary tree was left beside the folder"
chmod 0755 "$T/ro"
ok "a read-only output folder is refused with BB0736 and keeps its mode"

# --- the style is kept: regenerating without --style does not switch it ------------------------
rm -rf "$T/st"
run generate "$SCHEMA" -o "$T/st" --style sa2
expect_rc 0 "generate --style sa2"
grep -q '"style":[[:space:]]*"sa2"' "$T/st/.backbone/manifest.json" || fail "the manifest does not record the style"
run generate "$SCHEMA" -o "$T/st"
expect_rc 0 "generate again without --style"
grep -q "up to date" "$T/out" || fail "a second run without --style rewrote the sa2 tree: $(cat "$T/out")"
grep -q "Mapped\[" "$T"/st/app/models/*.py || fail "the models are no longer sa2"
run generate "$SCHEMA" -o "$T/st" --check
expect_rc 0 "--check without --style compares with the tree's style"
run generate "$SCHEMA" -o "$T/st" --style classic
expect_rc 0 "an explicit --style classic switches"
grep -q "Mapped\[" "$T"/st/app/models/*.py && fail "--style classic kept the sa2 models"
grep -q '"style":[[:space:]]*"classic"' "$T/st/.backbone/manifest.json" || fail "the manifest did not follow"
sed -i 's/"style":[[:space:]]*"classic"/"style": "sa3"/' "$T/st/.backbone/manifest.json"
run generate "$SCHEMA" -o "$T/st"
expect_rc 2 "a style the manifest names but backbone lacks"
grep -q "says the style is 'sa3'.*--style" "$T/err" || fail "no clear error for an unknown kept style: $(cat "$T/err")"
ok "a tree keeps its --style when generated again; an explicit --style switches it"

# --- the input limits: every command that reads a schema takes the --max-* options -----------------
$PY - "$T/many.json" <<'PYEOF'
import json, sys
tables = [{"table_name": "t%03d" % i, "class_name": "T%03d" % i,
           "columns": [{"name": "id", "type": "Integer", "primary_key": True}]} for i in range(51)]
json.dump({"project_name": "many", "db_type": "sqlite", "description": "51 tables",
           "schema": tables}, open(sys.argv[1], "w"))
PYEOF
run generate "$T/many.json" -o "$T/many" -q --no-python
expect_rc 1 "51 tables under the default limit"
grep -q "BB0603" "$T/err" && grep -q "raise the limit with --max-tables" "$T/err" || fail "no BB0603 naming --max-tables: $(cat "$T/err")"
run generate "$T/many.json" -o "$T/many" -q --no-python --max-tables 60
expect_rc 0 "generate --max-tables 60"
[ -f "$T/many/app/models/t050.py" ] || fail "the 51st table was not generated"
run plan "$T/many.json" --max-tables=60
expect_rc 0 "plan --max-tables=60"
run advise "$T/many.json" --max-tables 51
expect_rc 0 "advise --max-tables 51"
run migrate "$T/many.json" "$T/many.json" --max-tables 60
expect_rc 0 "migrate --max-tables 60"
run generate "$T/many.json" -o "$T/many" --max-tables 0
expect_rc 2 "--max-tables 0"
ok "generate, plan, advise and migrate take the --max-* limits that BB06xx names"

echo "generate.sh: $n checks passed"
