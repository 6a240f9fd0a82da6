#!/bin/sh
# migrations.sh - acceptance test of migrations, on SQLite and on a private
# PostgreSQL 15 started here (lib/postgres.sh: initdb + pg_ctl as the
# postgres user, a Unix socket in a temporary folder):
#
#   1. `backbone generate` makes the project of schemas/evolution/v1.json;
#      `alembic upgrade head` creates its database;
#   2. each later version (v2 a table, v3 a column with a default, v4
#      indexes, v5 make nullable, v6 many-to-many, v7 drop a column, v8
#      rename + enum value + check, v9 table rename + FK changes + enum
#      column, v10 drop a table + type and default changes, v11 a column
#      rename with a unique constraint after a new column) is generated
#      over the same tree: exactly one new revision each time, applied with
#      `alembic upgrade head`, while every row inserted before (one per
#      table per step) must survive;
#   3. dropping a column without --allow-destructive is refused (BB0820);
#      regenerating the same schema adds nothing and `--check` passes;
#      `backbone migrate` prints the same revision as `generate` wrote;
#   4. `alembic downgrade base` leaves an empty database;
#   5. the initial revision of every example schema builds a database that
#      Alembic's autogenerate finds identical to the models, on both;
#   6. the CI script of docs/ci.md runs for real on a generated project.
#
#   BACKBONE=/abs/path/to/backbone sh tests/e2e/migrations.sh
set -eu

: "${BACKBONE:?set BACKBONE to the backbone binary}"
PY=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/e2e/lib/postgres.sh
. "$here/lib/postgres.sh"
evo="$root/schemas/evolution"
work=$(mktemp -d "${TMPDIR:-/tmp}/backbone-migrations.XXXXXX")
checks=0

cleanup() {
    pg_stop
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
    echo "migrations: FAIL: $*" >&2
    exit 1
}

ok() {
    checks=$((checks + 1))
    echo "  ok    $*"
}

start_postgres() {
    pg_start "$work" || fail "cannot start PostgreSQL"
    pg_createdb evolution || fail "createdb"
}

# rows.py URL STATE STEP [SCHEMA | --empty]: checks that every row recorded
# in STATE is still there (in tables that still exist; under the new name of
# a table SCHEMA renames), then inserts one row into every table and records
# it. --empty: checks that no table but alembic_version is left.
cat >"$work/rows.py" <<'PYEOF'
import datetime
import decimal
import json
import os
import sys

import sqlalchemy as sa

url, state_path, step = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = sa.create_engine(url)
md = sa.MetaData()
md.reflect(engine)
if "--empty" in sys.argv:
    left = sorted(t for t in md.tables if t != "alembic_version")
    assert not left, "tables left after downgrade base: %s" % left
    sys.exit(0)
state = json.load(open(state_path)) if os.path.exists(state_path) else {}
# A table renamed by this step keeps its rows under its new name.
if len(sys.argv) > 4 and sys.argv[4] != "--empty":
    for t in json.load(open(sys.argv[4]))["schema"]:
        old = t.get("renamed_from")
        if old in state and t["table_name"] not in state:
            state[t["table_name"]] = state.pop(old)


def value(col, table):
    enums = getattr(col.type, "enums", None)
    if enums:
        return enums[0]
    try:
        py = col.type.python_type
    except NotImplementedError:
        py = str
    if py is bool:
        return True
    if py is int:
        return step * 100 + len(table.name)
    if py in (float, decimal.Decimal):
        return 1.5
    if py is datetime.datetime:
        return datetime.datetime(2026, 1, step)
    if py is datetime.date:
        return datetime.date(2026, 1, step)
    text = "%s-%s-%d" % (table.name, col.name, step)
    n = getattr(col.type, "length", None)
    return text[-n:] if n else text


with engine.begin() as c:
    for name, keys in state.items():
        if name not in md.tables:
            continue  # dropped on purpose by a later step
        t = md.tables[name]
        pk = list(t.primary_key.columns)
        for key in keys:
            where = sa.and_(*[col == v for col, v in zip(pk, key)])
            n = c.execute(sa.select(sa.func.count()).select_from(t).where(where)).scalar()
            assert n == 1, "step %d: row %r of %s is gone" % (step, key, name)
    for t in md.sorted_tables:
        if t.name == "alembic_version":
            continue
        row = {}
        single_pk = len(t.primary_key.columns) == 1
        for col in t.columns:
            if col.foreign_keys:
                ref = next(iter(col.foreign_keys)).column
                row[col.name] = c.execute(sa.select(sa.func.max(ref))).scalar()
            elif col.primary_key and single_pk and col.autoincrement in (True, "auto"):
                continue
            else:
                row[col.name] = value(col, t)
        key = list(c.execute(t.insert().values(**row)).inserted_primary_key)
        state.setdefault(t.name, []).append(key)
json.dump(state, open(state_path, "w"), default=str)
print("rows after step %d: %s" % (step, ", ".join(
    "%s=%d" % (k, len(v)) for k, v in sorted(state.items()))))
PYEOF

# agree.py URL: the database built by the migrations and the models'
# metadata agree (Alembic's autogenerate comparison finds nothing). Run
# from the project folder.
cat >"$work/agree.py" <<'PYEOF'
import pprint
import sys

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

sys.path.insert(0, ".")
import app.models  # noqa: E402,F401
from app.core.database import Base  # noqa: E402

with sa.create_engine(sys.argv[1]).connect() as c:
    diffs = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}),
                             Base.metadata)
if diffs:
    pprint.pprint(diffs)
    sys.exit("the migrated database and the models differ")
PYEOF

# The versions that drop something: refused without --allow-destructive.
destructive="7 10"

revision_count() {
    find "$1/alembic/versions" -name '*.py' | wc -l | tr -d ' '
}

# The id of the n-th recorded revision (1-based) of project $1.
revision_id() {
    "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["revisions"][int(sys.argv[2]) - 1]["id"])' \
        "$1/.backbone/manifest.json" "$2"
}

revision_path() {
    "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["revisions"][int(sys.argv[2]) - 1]["path"])' \
        "$1/.backbone/manifest.json" "$2"
}

alembic() {
    (cd "$proj" && DATABASE_URL="$url" "$PY" -m alembic "$@") >"$work/alembic.log" 2>&1 ||
        { cat "$work/alembic.log"; fail "$name: alembic $*"; }
}

# chain NAME URL: the whole evolution on one database.
chain() {
    name=$1
    url=$2
    proj="$work/$name"
    state="$work/$name-rows.json"
    echo "== $name"
    "$BACKBONE" generate -q --no-python "$evo/v1.json" -o "$proj" || fail "$name: generate v1"
    [ "$(revision_count "$proj")" = 1 ] || fail "$name: v1 should give one revision"
    case "$(revision_path "$proj" 1)" in *_initial.py) ;; *) fail "$name: no _initial revision" ;; esac
    alembic upgrade head
    "$PY" "$work/rows.py" "$url" "$state" 1 || fail "$name: rows at step 1"
    ok "$name: v1 created with the initial revision"
    i=1
    while [ -f "$evo/v$((i + 1)).json" ]; do
        i=$((i + 1))
        flags=""
        case " $destructive " in
        *" $i "*)
            set +e
            "$BACKBONE" generate -q --no-python "$evo/v$i.json" -o "$proj" >"$work/refused.log" 2>&1
            rc=$?
            set -e
            [ "$rc" = 1 ] || fail "$name: dropping without --allow-destructive gave exit $rc"
            grep -q BB0820 "$work/refused.log" || fail "$name: no BB0820 in: $(cat "$work/refused.log")"
            [ "$(revision_count "$proj")" = $((i - 1)) ] || fail "$name: a refused run wrote a revision"
            ok "$name: v$i refused without --allow-destructive (BB0820)"
            flags=--allow-destructive
            ;;
        esac
        "$BACKBONE" generate -q --no-python $flags "$evo/v$i.json" -o "$proj" ||
            fail "$name: generate v$i"
        [ "$(revision_count "$proj")" = "$i" ] ||
            fail "$name: v$i gave $(revision_count "$proj") revisions, not $i"
        alembic upgrade head
        "$PY" "$work/rows.py" "$url" "$state" "$i" "$evo/v$i.json" || fail "$name: rows at step $i"
        ok "$name: v$i: one new revision, upgraded, earlier rows kept ($(revision_path "$proj" "$i" | sed 's|.*/||'))"
    done
    (cd "$proj" && "$PY" "$work/agree.py" "$url") || fail "$name: models and migrations differ"
    ok "$name: the migrated database matches the models"
    (cd "$proj" && black -q --check alembic && isort -q --check-only --profile black alembic) ||
        fail "$name: the revisions are not as black and isort would write them"
    ok "$name: every revision passes black and isort"
    [ "$i" -ge 6 ] || fail "$name: schemas/evolution has fewer than five changes"
    "$BACKBONE" generate -q --no-python "$evo/v$i.json" -o "$proj" || fail "$name: regenerate v$i"
    [ "$(revision_count "$proj")" = "$i" ] || fail "$name: regenerating the same schema added a revision"
    "$BACKBONE" generate -q --no-python --check "$evo/v$i.json" -o "$proj" ||
        fail "$name: --check after regeneration"
    ok "$name: the same schema again adds no revision; --check passes"
    "$BACKBONE" migrate --down-revision "$(revision_id "$proj" 1)" "$evo/v1.json" "$evo/v2.json" \
        >"$work/migrate.py" 2>/dev/null || fail "$name: backbone migrate v1 v2"
    cmp -s "$work/migrate.py" "$proj/$(revision_path "$proj" 2)" ||
        fail "$name: backbone migrate and generate disagree on revision 2"
    ok "$name: backbone migrate prints the revision generate wrote"
    alembic downgrade base
    "$PY" "$work/rows.py" "$url" "$state" 0 --empty || fail "$name: downgrade base"
    ok "$name: downgrade base leaves an empty database"
}

# examples: the initial revision of every example schema, on both databases:
# upgrade head, the result matches the models, downgrade base empties it.
examples() {
    echo "== initial revisions of the examples"
    k=0
    for schema in "$root"/schemas/*.json "$root"/../shared/compat/backbone-ai/examples/*.json; do
        [ -f "$schema" ] || continue
        case "$(basename "$schema")" in backbone.schema.json) continue ;; esac
        k=$((k + 1))
        base=$(basename "$schema" .json)
        proj="$work/example-$k"
        "$BACKBONE" generate -q --no-python "$schema" -o "$proj" || fail "$base: generate"
        pg_createdb "example_$k" || fail "createdb"
        for url in "sqlite:///$work/example-$k.db" "$(pg_url "example_$k")"; do
            name="$base (${url%%:*})"
            alembic upgrade head
            (cd "$proj" && "$PY" "$work/agree.py" "$url") || fail "$name: models and migrations differ"
            alembic downgrade base
            "$PY" "$work/rows.py" "$url" "$work/none.json" 0 --empty || fail "$name: downgrade base"
            ok "$name: initial revision up, matches the models, down"
        done
    done
}

start_postgres
chain sqlite "sqlite:///$work/sqlite.db"
chain postgresql "$(pg_url evolution)"
examples

# The plain shell pipeline of docs/ci.md, as written there, on a project
# committed from v8: it must pass, and fail once the schema moves on.
echo "== docs/ci.md"
sed -n '/^<!-- ci.sh begin -->$/,/^<!-- ci.sh end -->$/p' "$root/docs/ci.md" | sed '1,2d;$d' | sed '$d' >"$work/ci.sh"
grep -q 'generate --check' "$work/ci.sh" || fail "no CI script found in docs/ci.md"
ci="$work/ci"
mkdir -p "$ci" "$work/bin"
ln -s "$BACKBONE" "$work/bin/backbone" # the script calls `backbone` from PATH
cp "$evo/v8.json" "$ci/schema.json"
"$BACKBONE" generate -q --no-python "$ci/schema.json" -o "$ci/backend" || fail "generate for CI"
(cd "$ci" && PATH="$work/bin:$PATH" PYTHON="$PY" sh "$work/ci.sh") >"$work/ci.log" 2>&1 ||
    { tail -30 "$work/ci.log"; fail "the CI script of docs/ci.md fails on a current project"; }
ok "docs/ci.md: the pipeline passes on a current project"
[ -s "$ci/backbone.sarif" ] || fail "the CI script wrote no SARIF"
cp "$evo/v7.json" "$ci/schema.json"
if (cd "$ci" && PATH="$work/bin:$PATH" PYTHON="$PY" sh "$work/ci.sh") >"$work/ci.log" 2>&1; then
    fail "the CI script of docs/ci.md passes on a stale project"
fi
ok "docs/ci.md: the pipeline fails when the project is not regenerated"

echo "migrations: $checks checks passed"
