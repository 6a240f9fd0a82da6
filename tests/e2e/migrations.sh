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
#      Alembic's autogenerate finds identical to the models (check
#      constraints included, by name), on both, online and from the SQL of
#      --sql (offline mode);
#   6. what a new user hits, on both: an enum value added and made the
#      default in one change; a table of a many-to-many renamed (its links
#      kept); a revision written by hand and `alembic merge heads`, which
#      the next revision follows; on SQLite, a String -> Integer change
#      that converts numbers and stops on text;
#   7. offline mode: on PostgreSQL the SQL of the whole evolution, up and
#      down; on SQLite the limit docs/migrations.md states;
#   8. the CI script of docs/ci.md runs for real on a generated project.
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
    # Autogenerate does not compare check constraints: their names, at least.
    inspector = sa.inspect(c)
    found = sorted((t, ck["name"]) for t in inspector.get_table_names()
                   for ck in inspector.get_check_constraints(t))
models = sorted((t.name, str(ck.name)) for t in Base.metadata.sorted_tables
                for ck in t.constraints if isinstance(ck, sa.CheckConstraint))
if found != models:
    diffs.append(("check constraints", found, "models", models))
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

# sql_apply URL FILE: runs the SQL that `alembic ... --sql` printed.
sql_apply() {
    case "$1" in
    sqlite*) "$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.close()' \
        "${1#sqlite:///}" "$2" ;;
    *) psql -q -v ON_ERROR_STOP=1 -d "$1" -f "$2" >/dev/null ;;
    esac
}

# offline_chain: on PostgreSQL, `alembic upgrade head --sql` prints the SQL
# of the whole evolution ($proj), which builds the same database as the
# revisions run online; the SQL of `downgrade head:base` empties it.
# On SQLite, --sql covers the initial revision only (later ones copy
# tables, which needs the live database): the limit docs/migrations.md
# states.
offline_chain() {
    pg_createdb offline || fail "createdb offline"
    url=$(pg_url offline)
    (cd "$proj" && DATABASE_URL="$url" "$PY" -m alembic upgrade head --sql) >"$work/up.sql" 2>"$work/alembic.log" ||
        { cat "$work/alembic.log"; fail "offline: upgrade head --sql on PostgreSQL"; }
    sql_apply "$url" "$work/up.sql" || fail "offline: the SQL of upgrade head does not run"
    (cd "$proj" && "$PY" "$work/agree.py" "$url") || fail "offline: the SQL builds another database"
    (cd "$proj" && DATABASE_URL="$url" "$PY" -m alembic downgrade head:base --sql) >"$work/down.sql" 2>"$work/alembic.log" ||
        { cat "$work/alembic.log"; fail "offline: downgrade head:base --sql on PostgreSQL"; }
    sql_apply "$url" "$work/down.sql" || fail "offline: the SQL of downgrade head:base does not run"
    "$PY" "$work/rows.py" "$url" "$work/none.json" 0 --empty || fail "offline: downgrade SQL left tables"
    ok "offline: the SQL of the whole evolution builds the database on PostgreSQL, and removes it"
    url="sqlite:///$work/offline.db"
    if (cd "$proj" && DATABASE_URL="$url" "$PY" -m alembic upgrade head --sql) >/dev/null 2>"$work/alembic.log"; then
        fail "offline: SQLite printed SQL for table copies: update docs/migrations.md"
    fi
    grep -q 'requires a live database connection' "$work/alembic.log" ||
        { cat "$work/alembic.log"; fail "offline: SQLite stops for another reason"; }
    first=$(revision_id "$proj" 1)
    (cd "$proj" && DATABASE_URL="$url" "$PY" -m alembic upgrade "$first" --sql) >"$work/up.sql" 2>"$work/alembic.log" ||
        { cat "$work/alembic.log"; fail "offline: the initial revision --sql on SQLite"; }
    sql_apply "$url" "$work/up.sql" || fail "offline: the SQL of the initial revision does not run on SQLite"
    ok "offline: on SQLite the initial revision prints SQL; a table copy stops, as documented"
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
        pg_createdb "example_sql_$k" || fail "createdb"
        for url in "sqlite:///$work/example-sql-$k.db" "$(pg_url "example_sql_$k")"; do
            name="$base (${url%%:*}, --sql)"
            (cd "$proj" && DATABASE_URL="$url" "$PY" -m alembic upgrade head --sql) >"$work/up.sql" 2>"$work/alembic.log" ||
                { cat "$work/alembic.log"; fail "$name: upgrade head --sql"; }
            sql_apply "$url" "$work/up.sql" || fail "$name: the SQL of upgrade head --sql does not run"
            (cd "$proj" && "$PY" "$work/agree.py" "$url") || fail "$name: the SQL and the models differ"
            ok "$name: the SQL of the initial revision builds the models' database"
        done
    done
}

# The schemas of what a new user hits (section 6), one per step:
#   nu1  tickets (an Enum with a default), posts and tags linked by a
#        many-to-many, posts.code a String
#   nu2  a value added to the Enum and made its default, in one change
#   nu3  posts renamed to articles (class Article): the association table
#        posts_tags becomes articles_tags, post_id article_id
#   nu4  a new column (after revisions written by hand)
#   nu5  articles.code String -> Integer (SQLite only: PostgreSQL wants
#        postgresql_using, written by hand)
"$PY" - "$work" <<'PYEOF'
import copy
import json
import sys

def table(name, cls, columns, rels=(), **extra):
    t = {"table_name": name, "class_name": cls,
         "columns": [{"name": "id", "type": "Integer", "primary_key": True}] + columns}
    if rels:
        t["relationships"] = list(rels)
    t.update(extra)
    return t

def m2m(target, cls, back, name):
    return {"name": name, "target_table": target, "target_class": cls,
            "type": "many_to_many", "back_populates": back}

status = {"name": "status", "type": "Enum", "values": ["open", "closed"],
          "nullable": False, "default": "open"}
steps = []
s = {"project_name": "newuser", "db_type": "postgresql", "schema": [
    table("tickets", "Ticket", [status]),
    table("posts", "Post", [{"name": "code", "type": "String", "length": 20}],
          [m2m("tags", "Tag", "posts", "tags")]),
    table("tags", "Tag", [{"name": "label", "type": "String", "length": 40}],
          [m2m("posts", "Post", "tags", "posts")]),
]}
steps.append(copy.deepcopy(s))
s["schema"][0]["columns"][1].update(values=["open", "closed", "triage"], default="triage")
steps.append(copy.deepcopy(s))
s["schema"][1].update(table_name="articles", class_name="Article", renamed_from="posts")
s["schema"][2]["relationships"][0].update(target_table="articles", target_class="Article",
                                          back_populates="tags", name="articles")
s["schema"][1]["relationships"][0]["back_populates"] = "articles"
steps.append(copy.deepcopy(s))
s["schema"][1]["columns"].append({"name": "subtitle", "type": "String", "length": 80})
steps.append(copy.deepcopy(s))
s["schema"][1]["columns"][1] = {"name": "code", "type": "Integer"}
steps.append(copy.deepcopy(s))
for i, step in enumerate(steps, 1):
    json.dump(step, open("%s/nu%d.json" % (sys.argv[1], i), "w"), indent=1)
PYEOF

# sql URL STATEMENT...: runs statements, printing the rows of the last one.
sql() {
    "$PY" - "$@" <<'PYEOF'
import sys

import sqlalchemy as sa

with sa.create_engine(sys.argv[1]).begin() as c:
    for statement in sys.argv[2:]:
        result = c.execute(sa.text(statement))
    if result.returns_rows:
        print(sorted(tuple(row) for row in result))
PYEOF
}

# expect WHAT ACTUAL EXPECTED
expect() {
    [ "$2" = "$3" ] || fail "$name: $1: got $2, expected $3"
}

# newuser NAME URL: the steps of nu1..nu5 on one project and database.
newuser() {
    name="new user, $1"
    url=$2
    proj="$work/newuser-$1"
    echo "== $name"
    "$BACKBONE" generate -q --no-python "$work/nu1.json" -o "$proj" || fail "$name: generate nu1"
    alembic upgrade head
    sql "$url" "INSERT INTO tickets (status) VALUES ('closed')" \
        "INSERT INTO posts (code) VALUES ('12')" "INSERT INTO tags (label) VALUES ('t')" \
        "INSERT INTO posts_tags (post_id, tag_id) VALUES (1, 1)"

    "$BACKBONE" generate -q --no-python "$work/nu2.json" -o "$proj" || fail "$name: generate nu2"
    alembic upgrade head
    expect "the new enum value as the default" "$(sql "$url" "INSERT INTO tickets DEFAULT VALUES" \
        "SELECT status FROM tickets")" "[('closed',), ('triage',)]"
    ok "$name: an enum value added and made the default in one revision"

    "$BACKBONE" generate -q --no-python "$work/nu3.json" -o "$proj" || fail "$name: generate nu3"
    alembic upgrade head
    expect "the links after the rename" "$(sql "$url" "SELECT article_id, tag_id FROM articles_tags")" "[(1, 1)]"
    (cd "$proj" && "$PY" "$work/agree.py" "$url") || fail "$name: models and migrations differ after the rename"
    ok "$name: a table of a many-to-many renamed with its association table, links kept"

    # Two revisions by hand beside each other: refused until merged; then
    # backbone's next revision follows the merge.
    head=$(revision_id "$proj" 3)
    alembic revision -m "first by hand"
    alembic revision -m "second by hand" --head "$head" --splice
    set +e
    "$BACKBONE" generate -q --no-python "$work/nu4.json" -o "$proj" >"$work/heads.log" 2>&1
    rc=$?
    set -e
    [ "$rc" = 1 ] && grep -q BB0830 "$work/heads.log" || fail "$name: two heads not refused: $(cat "$work/heads.log")"
    alembic merge heads -m "join"
    merge=$(cd "$proj" && DATABASE_URL="$url" "$PY" -m alembic heads 2>/dev/null | cut -d' ' -f1)
    "$BACKBONE" generate -q --no-python "$work/nu4.json" -o "$proj" || fail "$name: generate nu4 after the merge"
    grep -q "^down_revision = \"$merge\"$" "$proj/$(revision_path "$proj" 4)" ||
        fail "$name: the new revision does not follow the merge $merge"
    [ "$(cd "$proj" && DATABASE_URL="$url" "$PY" -m alembic heads 2>/dev/null | wc -l)" = 1 ] ||
        fail "$name: several heads after the merge"
    alembic upgrade head
    ok "$name: after revisions by hand and alembic merge heads, the next revision follows the merge"

    case "$url" in sqlite*) ;; *) return 0 ;; esac
    sql "$url" "INSERT INTO articles (code) VALUES ('abc')"
    "$BACKBONE" generate -q --no-python "$work/nu5.json" -o "$proj" 2>/dev/null || fail "$name: generate nu5"
    if (cd "$proj" && DATABASE_URL="$url" "$PY" -m alembic upgrade head) >"$work/alembic.log" 2>&1; then
        fail "$name: 'abc' was converted to an Integer"
    fi
    grep -q "articles.code: 1 value(s) would change" "$work/alembic.log" ||
        { cat "$work/alembic.log"; fail "$name: no message for the value that does not convert"; }
    expect "the values after the refusal" "$(sql "$url" "SELECT code FROM articles")" "[('12',), ('abc',)]"
    sql "$url" "UPDATE articles SET code = '7' WHERE code = 'abc'"
    alembic upgrade head
    expect "the converted values" "$(sql "$url" "SELECT code, typeof(code) FROM articles")" \
        "[(7, 'integer'), (12, 'integer')]"
    ok "$name: String -> Integer on SQLite stops on text and converts numbers"
}

start_postgres
chain sqlite "sqlite:///$work/sqlite.db"
chain postgresql "$(pg_url evolution)"
offline_chain
examples
pg_createdb newuser || fail "createdb newuser"
newuser sqlite "sqlite:///$work/newuser.db"
newuser postgresql "$(pg_url newuser)"

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
