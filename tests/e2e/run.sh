#!/bin/sh
# run.sh - end to end: every example schema is generated, checked with
# black/isort/flake8, and its generated test suite is run with
# /usr/bin/python3 against SQLite and against a private PostgreSQL 15; the
# generated app/schemas are imported and validated under a Pydantic 2
# interpreter when one is found.
#
#   BACKBONE=/abs/path/to/backbone sh tests/e2e/run.sh [SCHEMA...]
#
# Without arguments: schemas/*.json (except backbone.schema.json),
# ../shared/compat/backbone-ai/examples/*.json and the edge cases beside this
# script (tests/e2e/*.json), then schemas/shop.json generated with the advice
# of a fake model (tests/e2e/advice.py). E2E_NO_PG=1 skips PostgreSQL.
set -u

: "${BACKBONE:?set BACKBONE to the backbone binary}"
PY=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/e2e/lib/postgres.sh
. "$here/lib/postgres.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/backbone-e2e.XXXXXX")
passed=0
failed=0
failures=""

cleanup() {
    pg_stop
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

start_postgres() {
    if [ "${E2E_NO_PG:-0}" = 1 ]; then
        echo "e2e: PostgreSQL skipped (E2E_NO_PG=1)"
        return 1
    fi
    pg_start "$work" || { echo "e2e: no PostgreSQL: its runs count as failures"; return 1; }
}

# The interpreter with Pydantic 2 (the first python3 on PATH that is not
# /usr/bin/python3 and imports pydantic 2).
find_pydantic2() {
    for p in $(which -a python3 2>/dev/null) ; do
        [ "$p" = "$PY" ] && continue
        v=$("$p" -c 'import pydantic; print(pydantic.VERSION)' 2>/dev/null) || continue
        case "$v" in 2.*) echo "$p"; return 0 ;; esac
    done
    return 1
}

# step NAME CMD...: runs one check, counts it, keeps its output on failure.
step() {
    name=$1
    shift
    if "$@" >"$work/step.log" 2>&1; then
        passed=$((passed + 1))
        echo "  ok    $name"
    else
        failed=$((failed + 1))
        failures="$failures $name"
        echo "  FAIL  $name"
        sed 's/^/        /' "$work/step.log" | tail -40
    fi
}

check_style() {
    (cd "$1" && black --check . 2>&1 | grep -v "^All done\|left unchanged\|^Oh no" ; black --check -q . && isort --check-only --profile black . && flake8 .)
}

run_pytest() {
    (cd "$1" && SQLALCHEMY_WARN_20=1 "$PY" -m pytest -q -p no:cacheprovider \
        -W error::sqlalchemy.exc.RemovedIn20Warning)
}

run_pytest_pg() {
    db=$2
    pg_createdb "$db" || return 1
    TEST_DATABASE_URL="postgresql://postgres@/$db?host=$PG_SOCK" run_pytest "$1"
}

import_schemas() {
    (cd "$1" && "$2" - <<'PYEOF'
import importlib
import pkgutil

import pydantic

import app.schemas

assert pydantic.VERSION.startswith("2."), pydantic.VERSION
count = 0
for info in pkgutil.iter_modules(app.schemas.__path__):
    module = importlib.import_module("app.schemas." + info.name)
    for name in dir(module):
        cls = getattr(module, name)
        if not isinstance(cls, type) or cls.__module__ != module.__name__:
            continue
        if name.endswith("Update"):
            cls()  # every field is optional
        elif name.endswith("Page"):
            page = cls.model_validate({"items": [], "total": 0, "limit": 1, "offset": 0})
            assert page.total == 0
        elif name.endswith("Create"):
            try:
                cls.model_validate({})
            except pydantic.ValidationError:
                pass  # required fields are reported, as they should be
        else:
            continue
        count += 1
print(f"{count} schemas validate under Pydantic {pydantic.VERSION}")
PYEOF
    )
}

if [ $# -gt 0 ]; then
    schemas="$*"
else
    schemas=""
    for f in "$root"/schemas/*.json "$root"/../shared/compat/backbone-ai/examples/*.json \
        "$here"/*.json; do
        [ -f "$f" ] || continue
        case "$(basename "$f")" in backbone.schema.json) continue ;; esac
        schemas="$schemas $f"
    done
fi

mkdir -p "$work/out"
have_pg=0
start_postgres && have_pg=1
py2=$(find_pydantic2) || py2=""
[ -n "$py2" ] || echo "e2e: no Python with Pydantic 2 found: the Pydantic 2 import check is not run"

n=0
for schema in $schemas; do
    n=$((n + 1))
    base=$(basename "$schema" .json)
    out="$work/out/$n-$base"
    echo "== $base ($schema)"
    step "$base: generate" "$BACKBONE" generate -q --no-python "$schema" -o "$out"
    [ -d "$out/app" ] || continue
    step "$base: black, isort, flake8" check_style "$out"
    step "$base: pytest on SQLite" run_pytest "$out"
    if [ "$have_pg" = 1 ]; then
        step "$base: pytest on PostgreSQL" run_pytest_pg "$out" "e2e_$n"
    else
        failed=$((failed + 1))
        failures="$failures $base:postgresql"
        echo "  FAIL  $base: pytest on PostgreSQL (no PostgreSQL)"
    fi
    if [ -n "$py2" ]; then
        step "$base: schemas under Pydantic 2" import_schemas "$out" "$py2"
    fi
done

# generate_advised SCHEMA OUT: `generate --llm advise` against the fake model
# of tests/fake_llm, answering with tests/e2e/advice.py's proposals.
generate_advised() {
    "$PY" "$here/advice.py" > "$work/advice.json" || return 1
    rm -f "$work/fake.port"
    "$PY" "$root/tests/fake_llm/fake_llm.py" --script "$work/advice.json" \
        --log "$work/fake.log" --port-file "$work/fake.port" &
    fake=$!
    i=0
    while [ ! -s "$work/fake.port" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.01; done
    OPENAI_API_KEY=sk-e2e BACKBONE_LLM_PROVIDER=openai BACKBONE_LLM_MODEL=fake \
        BACKBONE_LLM_BASE_URL="http://127.0.0.1:$(cat "$work/fake.port")" BACKBONE_LLM_CACHE=off \
        "$BACKBONE" generate -q --no-python --llm advise "$1" -o "$2"
    rc=$?
    kill "$fake" 2>/dev/null
    wait "$fake" 2>/dev/null
    [ $rc = 0 ] || return 1
    grep -q 'prefix="/catalog/products"' "$2/app/api/routes/products.py" &&
        grep -q 'sort: str = "-price"' "$2/app/api/routes/products.py" &&
        grep -q "def test_search_ignores_case_and_wildcards" "$2/tests/test_products.py" &&
        grep -q 'examples=\["Blue mug"\]' "$2/app/schemas/products.py"
}

if [ $# -eq 0 ]; then
    n=$((n + 1))
    out="$work/out/$n-advised"
    echo "== shop, advised by a (fake) model"
    step "advised: generate" generate_advised "$root/schemas/shop.json" "$out"
    if [ -d "$out/app" ]; then
        step "advised: black, isort, flake8" check_style "$out"
        step "advised: pytest on SQLite" run_pytest "$out"
        if [ "$have_pg" = 1 ]; then
            step "advised: pytest on PostgreSQL" run_pytest_pg "$out" "e2e_$n"
        fi
    fi
fi

step "migrations: schemas/evolution on SQLite and PostgreSQL" sh "$here/migrations.sh"
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "e2e: failed:$failures"; exit 1; }
