#!/bin/sh
# pyfmt_ast.sh - the Python formatting pass never changes a program, and a
# second pass changes nothing. The Python files of three generated projects
# are rewritten by tests/integration/pyfmt/perturb.py (lines joined,
# brackets exploded, with comments or without, parentheses against
# keywords, doubled parentheses, single quotes, blank lines removed or
# tripled) and go through the pass as templates of the user's
# (`generate --templates`, one file in each template that makes one file).
# Each output must parse to the same program as its input (Python's ast),
# come back unchanged from a second pass, and, for the rewrites that space
# tokens as Black does, equal what Black and isort make of the input.
# Needs $BACKBONE.
set -eu
BB=${BACKBONE:?BACKBONE must name the backbone binary}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
PERTURB="$HERE/pyfmt/perturb.py"
T=$(mktemp -d /tmp/bb-pyfmt-ast-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$HERE/lib/checks.sh"

# The templates that make one file each: a round fills each with one input.
SLOTS="alembic/env.py app/__init__.py app/api/__init__.py app/api/crud.py app/core/__init__.py
app/core/auth.py app/core/config.py app/core/database.py app/enums.py app/main.py
scripts/check_migrations.py tests/__init__.py tests/conftest.py tests/factories.py"
SCHEMA=schemas/blog.json
# The kinds whose output must also be Black's (their spacing is Black's).
AS_BLACK="join explode keyword keyword+explode parens spacing tight wide quotes docstring squeeze spread"

# --- the inputs: every distinct .py file of three projects, rewritten -----------------
for p in "shop.json" "shop.json --style sa2" "../tests/e2e/edge_cases.json"; do
    set -- $p
    name=$(basename "$1" .json)${2:+-sa2}
    "$BB" generate -q --no-python "schemas/$1" ${2:+"$2"} ${3:+"$3"} -o "$T/src/$name" ||
        fail "generate schemas/$p"
done
find "$T/src" -name '*.py' -size +0 | sort | xargs md5sum | sort -k1,1 -u | cut -d' ' -f3- >"$T/corpus"
mkdir -p "$T/in"
"$PY" "$PERTURB" rewrite "$T/corpus" "$T/in" >"$T/inputs" || fail "perturb.py rewrite"
inputs=$(wc -l <"$T/inputs")
[ "$inputs" -ge 200 ] || fail "only $inputs rewritten inputs"

# format DIR OUT LIST: each file of LIST (numbers, in DIR) through the pass,
# into OUT/NUMBER.py, a round of as many files as there are slots.
format() {
    dir=$1 out=$2
    mkdir -p "$out"
    set -- $3
    round=0
    while [ $# -gt 0 ]; do
        round=$((round + 1))
        rm -rf "$T/tpl" "$T/gen"
        used=""
        for slot in $SLOTS; do
            [ $# -gt 0 ] || break
            mkdir -p "$T/tpl/$(dirname "$slot")"
            # a standalone delimiter change: the Python is read as text
            { echo '{{=<% %>=}}'; cat "$dir/$1.py"; } >"$T/tpl/$slot.mustache"
            used="$used $slot=$1"
            shift
        done
        "$BB" generate -q --no-python "$SCHEMA" -o "$T/gen" --templates "$T/tpl" >"$T/gen.log" 2>&1 || {
            cat "$T/gen.log" >&2
            fail "generate of round $round ($used)"
        }
        for pair in $used; do
            cp "$T/gen/${pair%%=*}" "$out/${pair#*=}.py"
        done
    done
}

numbers=$(cut -d' ' -f1 "$T/inputs" | tr '\n' ' ')
format "$T/in" "$T/once" "$numbers"
format "$T/once" "$T/twice" "$numbers"

"$PY" "$PERTURB" same "$T/inputs" "$T/in" "$T/once" >"$T/same" || {
    head -5 "$T/same" >&2
    fail "the pass changed the program of $(wc -l <"$T/same") rewritten files"
}
changed=0
while read -r k kind f; do
    cmp -s "$T/once/$k.py" "$T/twice/$k.py" || {
        diff "$T/once/$k.py" "$T/twice/$k.py" | head -20 >&2
        fail "a second pass changes $f rewritten by $kind"
    }
    cmp -s "$T/in/$k.py" "$T/once/$k.py" || changed=$((changed + 1))
done <"$T/inputs"
ok "$inputs rewritten files keep their program through the pass ($changed reformatted)"
ok "a second pass changes none of them"

# --- what Black makes of the same inputs --------------------------------------------
mkdir -p "$T/black"
for kind in $AS_BLACK; do
    # Black takes most of this script's time: the SQLAlchemy 2.0 project's
    # files, much like the others', are compared for their program only.
    grep " $kind " "$T/inputs" | grep -v "/src/shop-sa2/" | while read -r k _ _; do
        cp "$T/in/$k.py" "$T/black/$k.py"
    done
done
# The pass is Black's and then isort's; alembic/, app/ and tests/ are the
# project's own packages, as isort finds them in a project.
"$PY" -m black -q --fast "$T/black" || fail "black could not format the inputs"
"$PY" -m isort -q --profile black -p alembic -p app -p tests "$T/black" ||
    fail "isort could not sort the inputs"
compared=0
for b in "$T/black"/*.py; do
    k=$(basename "$b" .py)
    cmp -s "$b" "$T/once/$k.py" || {
        diff "$b" "$T/once/$k.py" | head -20 >&2
        fail "the pass differs from Black and isort on $(grep "^$k " "$T/inputs")"
    }
    compared=$((compared + 1))
done
[ "$compared" -ge 100 ] || fail "only $compared files compared with Black"
ok "$compared of them ($AS_BLACK) come out as Black and isort write them"
