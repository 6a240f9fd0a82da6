#!/bin/sh
# run.sh - end to end: every example schema is generated, checked with
# black/isort/flake8, and its generated test suite is run with
# /usr/bin/python3 (Debian 12: SQLAlchemy 1.4, Pydantic 1) against SQLite and
# against a private PostgreSQL 15, then again with warnings as errors in a
# Debian 13 root (lib/debian13.sh: SQLAlchemy 2, FastAPI 0.115, Pydantic 2,
# pytest 8) against SQLite and the same PostgreSQL. Each project's CI script
# (scripts/ci.sh: lint, mypy, migrations compared with the models, tests)
# runs on both stacks, its Dockerfile is built and started in the Debian 13
# root, its compose and workflow files are parsed and checked. Each schema
# of schemas/ is also generated with `--style sa2` (SQLAlchemy 2.0 only) and
# run in the Debian 13 root, mypy --strict included; a project whose schema
# says "db_type": "mysql" is also run against a private MariaDB
# (lib/mariadb.sh). The generated app/schemas are imported and validated
# under a Pydantic 2 interpreter when one is found on PATH.
#
#   BACKBONE=/abs/path/to/backbone sh tests/e2e/run.sh [SCHEMA...]
#
# Without arguments: schemas/*.json (except backbone.schema.json),
# ../shared/compat/backbone-ai/examples/*.json and the edge cases beside this
# script (tests/e2e/*.json), then schemas/shop.json generated with the advice
# of a fake model (tests/e2e/advice.py).
#
# Switches (environment):
#   E2E_NO_PG=1        no PostgreSQL
#   E2E_NO_DEBIAN13=1  nothing in the Debian 13 root (which is otherwise
#                      built on first use and cached, see lib/debian13.sh)
#   (what these leave out is counted as failed, never as passed)
# A schema for another database whose generated names are over PostgreSQL's
# 63 bytes (BB0752) is not run on PostgreSQL: said as SKIP, counted apart.
#   E2E_MODERN=0       without, in the Debian 13 root, `pip install -e .` into a
#                      fresh venv (offline), black/isort/flake8 of Debian 13,
#                      the project's scripts/ci.sh and its Dockerfile
#                      (dockerfile.py builds and starts it without Docker)
#   E2E_MARIADB=0      without the tests of "mysql" projects on MariaDB (with
#                      both stacks); MariaDB is then only started and reached
#   E2E_JOBS=N         projects checked at once (default: the number of CPUs);
#                      each project's report is printed whole when it ends
set -u

: "${BACKBONE:?set BACKBONE to the backbone binary}"
PY=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/e2e/lib/postgres.sh
. "$here/lib/postgres.sh"
# shellcheck source=tests/e2e/lib/mariadb.sh
. "$here/lib/mariadb.sh"
# shellcheck source=tests/e2e/lib/debian13.sh
. "$here/lib/debian13.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/backbone-e2e.XXXXXX")
passed=0
failed=0
not_applicable=0
failures=""
step_log="$work/step.log"

cleanup() {
    pg_stop
    mdb_stop
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

start_mariadb() {
    mdb_start "$work" || { echo "e2e: no MariaDB: its runs count as failures"; return 1; }
}

start_debian13() {
    if [ "${E2E_NO_DEBIAN13:-0}" = 1 ]; then
        echo "e2e: the Debian 13 root skipped (E2E_NO_DEBIAN13=1)"
        return 1
    fi
    d13_start=$(date +%s)
    d13_ensure || { echo "e2e: no Debian 13 root: its runs count as failures"; return 1; }
    echo "e2e: Debian 13 root ready in $(($(date +%s) - d13_start)) s: $(d13_versions)"
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

# missing NAME WHY: a check that could not run, counted as failed.
# not_for NAME WHY: a check that does not apply to this project (never
# counted as passed): said and counted apart.
not_for() {
    not_applicable=$((not_applicable + 1))
    echo "  SKIP  $1 ($2)"
}

missing() {
    failed=$((failed + 1))
    failures="$failures $1"
    echo "  FAIL  $1 ($2)"
}

# step NAME CMD...: runs one check, counts it, keeps its output on failure.
step() {
    name=$1
    shift
    if "$@" >"$step_log" 2>&1; then
        passed=$((passed + 1))
        echo "  ok    $name"
    else
        failed=$((failed + 1))
        failures="$failures $name"
        echo "  FAIL  $name"
        sed 's/^/        /' "$step_log" | tail -40
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
    pg_createdb "$2" || return 1
    TEST_DATABASE_URL=$(pg_url "$2") run_pytest "$1"
}

run_pytest_mariadb() {
    mdb_createdb "$2" || return 1
    TEST_DATABASE_URL=$(mdb_url "$2") run_pytest "$1"
}

# In the Debian 13 root every warning is an error: what SQLAlchemy 2,
# Pydantic 2 or Starlette deprecate must not be generated.
d13_pytest() {
    d13_run "$1" TEST_DATABASE_URL="${2:-}" python3 -m pytest -q -p no:cacheprovider -W error
}

d13_pytest_pg() {
    pg_createdb "$2" || return 1
    d13_pytest "$1" "$(pg_tcp_url "$2")"
}

d13_pytest_mariadb() {
    mdb_createdb "$2" || return 1
    d13_pytest "$1" "$(mdb_url "$2")"
}

# The project installs as a package: a fresh venv that sees Debian's
# packages, pip offline without build isolation, then the app imports from
# elsewhere. Debian's pip runs in the venv (--without-pip saves seconds).
d13_pip_install() {
    d13_run "$1" sh -c 'python3 -m venv --without-pip --system-site-packages /tmp/venv &&
        /tmp/venv/bin/python -m pip install -q --no-build-isolation --no-deps -e . &&
        cd / && /tmp/venv/bin/python -c "import app.main"'
}

d13_style() {
    d13_run "$1" sh -c 'black --check . && isort --check-only --profile black . && flake8 .'
}

# The deployment files no engine runs here are parsed and checked.
check_deploy_files() {
    "$PY" "$here/deploy_files.py" "$1"
}

# ci_database OUT NAME: the scratch database scripts/ci.sh gets, as in the
# project's workflow: a fresh PostgreSQL one (reached by TCP from the Debian
# 13 root) for a PostgreSQL project, else SQLite (nothing). A project of
# another database has PostgreSQL's driver as its `postgresql` extra.
ci_database() {
    [ "$have_pg" = 1 ] || return 0
    grep -q '^postgresql = ' "$1/pyproject.toml" && return 0
    pg_createdb "$2" >/dev/null || return 1
    pg_tcp_url "$2"
}

# run_ci OUT NAME: the project's CI script (lint, mypy, migrations against
# the models, tests) on Debian 12's stack. mypy's cache is shared between
# projects: the libraries are checked once.
run_ci() {
    url=$(ci_database "$1" "$2") || return 1
    (cd "$1" && CI_DATABASE_URL=$url MYPY_CACHE_DIR="$work/mypy-d12" PYTHON="$PY" sh scripts/ci.sh)
}

# d13_ci OUT NAME: the same in the Debian 13 root, whose mypy cache is
# copied in and out of the project (the root sees no other folder).
d13_ci() {
    url=$(ci_database "$1" "$2") || return 1
    [ -d "$work/mypy-d13" ] && cp -r "$work/mypy-d13" "$1/.mypy_cache"
    d13_run "$1" CI_DATABASE_URL="$url" sh scripts/ci.sh || return 1
    # Projects run at once: the first to finish fills the shared cache,
    # whole or not at all.
    [ -d "$work/mypy-d13" ] && return 0
    cp -r "$1/.mypy_cache" "$1/.mypy_cache.shared" &&
        { mv -T "$1/.mypy_cache.shared" "$work/mypy-d13" 2>/dev/null || rm -rf "$1/.mypy_cache.shared"; }
}

# d13_container OUT NAME: the Dockerfile built and its command started in the
# Debian 13 root (dockerfile.py), against a fresh database; healthy or not.
d13_container() {
    url=$(ci_database "$1" "$2") || return 1
    d13_run "$1" DATABASE_URL="${url:-sqlite:///./container.db}" PORT="$(free_tcp_port)" \
        python3 - <"$here/dockerfile.py"
}

# mariadb_reached: the private MariaDB answers through pymysql over TCP.
mariadb_reached() {
    mdb_createdb e2e_reached || return 1
    "$PY" - "$(mdb_url e2e_reached)" <<'PYEOF'
import sys

import sqlalchemy as sa

engine = sa.create_engine(sys.argv[1])
table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
with engine.begin() as c:
    table.create(c)
    c.execute(table.insert().values(id=7))
    assert c.execute(sa.select(table.c.id)).scalar() == 7
    print(c.execute(sa.text("SELECT VERSION()")).scalar())
PYEOF
}

# says_mysql SCHEMA: the schema's database is MySQL.
says_mysql() {
    grep -q '"db_type"[[:space:]]*:[[:space:]]*"mysql"' "$1"
}

# pg_names_fit SCHEMA: false for a schema for another database whose
# generated names are over PostgreSQL's 63 bytes (validate's warning
# BB0752): PostgreSQL is not a database that project can run on.
pg_names_fit() {
    grep -q '"db_type"[[:space:]]*:[[:space:]]*"postgresql"' "$1" && return 0
    ! "$BACKBONE" validate "$1" 2>&1 | grep -q 'BB0752'
}

# check_project LABEL OUT N MYSQL [PG]: every check of one generated
# project; N names its databases, MYSQL is 1 for a "mysql" project, PG is 0
# when the project cannot run on PostgreSQL (see pg_names_fit).
check_project() {
    p_label=$1 p_out=$2 p_n=$3 p_mysql=$4 p_pg=${5:-1}
    step "$p_label: black, isort, flake8" check_style "$p_out"
    step "$p_label: compose, workflow, Dockerfile and .env.example" check_deploy_files "$p_out"
    step "$p_label: pytest on SQLite" run_pytest "$p_out"
    if [ "$p_pg" = 0 ]; then
        not_for "$p_label: pytest on PostgreSQL" "names over PostgreSQL's 63 bytes, BB0752"
    elif [ "$have_pg" = 1 ]; then
        step "$p_label: pytest on PostgreSQL" run_pytest_pg "$p_out" "e2e_$p_n"
    else
        missing "$p_label: pytest on PostgreSQL" "no PostgreSQL"
    fi
    step "$p_label: scripts/ci.sh, mypy included" run_ci "$p_out" "e2e_${p_n}_ci"
    if [ "$p_mysql" = 1 ] && [ "${E2E_MARIADB:-1}" = 1 ]; then
        if [ "$have_mdb" = 1 ]; then
            step "$p_label: pytest on MariaDB" run_pytest_mariadb "$p_out" "e2e_$p_n"
        else
            missing "$p_label: pytest on MariaDB" "no MariaDB"
        fi
    fi
    if [ "$have_d13" = 0 ]; then
        missing "$p_label: pytest in Debian 13" "no Debian 13 root"
        return
    fi
    step "$p_label: pytest on SQLite (Debian 13, -W error)" d13_pytest "$p_out"
    if [ "$have_pg" = 1 ] && [ "$p_pg" = 1 ]; then
        step "$p_label: pytest on PostgreSQL (Debian 13, -W error)" \
            d13_pytest_pg "$p_out" "e2e_${p_n}_d13"
    fi
    if [ "$p_mysql" = 1 ] && [ "${E2E_MARIADB:-1}" = 1 ] && [ "$have_mdb" = 1 ]; then
        step "$p_label: pytest on MariaDB (Debian 13, -W error)" \
            d13_pytest_mariadb "$p_out" "e2e_${p_n}_d13"
    fi
    if [ "${E2E_MODERN:-1}" = 1 ]; then
        step "$p_label: pip install -e . (Debian 13, offline)" d13_pip_install "$p_out"
        step "$p_label: black, isort, flake8 (Debian 13)" d13_style "$p_out"
        step "$p_label: scripts/ci.sh, mypy included (Debian 13)" d13_ci "$p_out" "e2e_${p_n}_ci13"
        step "$p_label: the Dockerfile built and started (Debian 13)" \
            d13_container "$p_out" "e2e_${p_n}_docker"
    fi
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
have_d13=0
start_debian13 && have_d13=1
have_mdb=0
any_mysql=0
for schema in $schemas; do says_mysql "$schema" && any_mysql=1; done
if [ "$any_mysql" = 1 ]; then
    start_mariadb && have_mdb=1
    echo "== MariaDB"
    if [ "$have_mdb" = 1 ]; then
        step "mariadb: private server reached through pymysql" mariadb_reached
    else
        missing "mariadb: private server" "no MariaDB"
    fi
fi
py2=$(find_pydantic2) || py2=""
[ -n "$py2" ] || echo "e2e: no Python with Pydantic 2 found: the Pydantic 2 import check is not run"

# Projects are checked at once, E2E_JOBS at a time: a job takes a token
# from a pipe before it starts and gives it back when it ends. Each job
# keeps its report and its counts in files of its own; the report is
# printed whole when the job ends, and the counts are added up at the end.
mkdir -p "$work/jobs"
mkfifo "$work/jobs/tokens"
exec 3<>"$work/jobs/tokens"
max_jobs=${E2E_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$max_jobs" -ge 1 ] 2>/dev/null || max_jobs=1
i=0
while [ $i -lt "$max_jobs" ]; do echo >&3; i=$((i + 1)); done
job_n=0
job_pids=""

# job CMD...: runs CMD in the background as a job of its own.
job() {
    job_n=$((job_n + 1))
    read -r _ <&3
    (
        # the token goes back however the job ends, or the others wait for ever
        trap 'echo >&3' EXIT
        j="$work/jobs/$job_n"
        passed=0 failed=0 not_applicable=0 failures=""
        step_log="$j.step"
        "$@" >"$j.log" 2>&1
        echo "$passed $failed $not_applicable$failures" >"$j.tally"
        flock "$work/jobs/print.lock" cat "$j.log"
    ) &
    job_pids="$job_pids $!"
}

# wait_jobs: waits for every job and adds its counts to the totals; a job
# that left no counts (killed) is a failure.
wait_jobs() {
    for pid in $job_pids; do wait "$pid"; done
    k=0
    while [ $k -lt "$job_n" ]; do
        k=$((k + 1))
        if read -r p f na rest <"$work/jobs/$k.tally" 2>/dev/null; then
            passed=$((passed + p))
            failed=$((failed + f))
            not_applicable=$((not_applicable + na))
            failures="$failures${rest:+ $rest}"
        else
            missing "job $k" "it ended without its counts"
        fi
    done
}

# project_job SCHEMA N: one example schema's project, every check.
project_job() {
    schema=$1 n=$2
    base=$(basename "$schema" .json)
    out="$work/out/$n-$base"
    echo "== $base ($schema)"
    step "$base: generate" "$BACKBONE" generate -q --no-python "$schema" -o "$out"
    [ -d "$out/app" ] || return 0
    mysql=0
    says_mysql "$schema" && mysql=1
    pg=1
    pg_names_fit "$schema" || pg=0
    check_project "$base" "$out" "$n" "$mysql" "$pg"
    if [ -n "$py2" ]; then
        step "$base: schemas under Pydantic 2" import_schemas "$out" "$py2"
    fi
}

# migrations_job: the evolution of schemas/evolution (its own PostgreSQL).
migrations_job() {
    echo "== migrations"
    step "migrations: schemas/evolution on SQLite and PostgreSQL" sh "$here/migrations.sh"
}

# The longest job first.
job migrations_job
n=0
for schema in $schemas; do
    n=$((n + 1))
    job project_job "$schema" "$n"
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
        grep -q 'sort: ProductSort = "-price"' "$2/app/api/routes/products.py" &&
        grep -q "def test_search_ignores_case_and_wildcards" "$2/tests/test_products.py" &&
        grep -q 'examples=\["Blue mug"\]' "$2/app/schemas/products.py"
}

# advised_job N: schemas/shop.json generated with a (fake) model's advice.
advised_job() {
    out="$work/out/$1-advised"
    echo "== shop, advised by a (fake) model"
    step "advised: generate" generate_advised "$root/schemas/shop.json" "$out"
    if [ -d "$out/app" ]; then
        check_project advised "$out" "$1" 0
    fi
}

if [ $# -eq 0 ]; then
    n=$((n + 1))
    job advised_job "$n"
fi

# check_sa2 LABEL OUT N: a project of `--style sa2` needs SQLAlchemy 2.0, so
# it runs in the Debian 13 root only: its tests on SQLite and PostgreSQL, and
# its CI script (mypy --strict, migrations compared with the models).
check_sa2() {
    s_label=$1 s_out=$2 s_n=$3 s_pg=${4:-1}
    step "$s_label: black, isort, flake8" check_style "$s_out"
    step "$s_label: compose, workflow, Dockerfile and .env.example" check_deploy_files "$s_out"
    if [ "$have_d13" = 0 ]; then
        missing "$s_label: Debian 13" "no Debian 13 root"
        return
    fi
    step "$s_label: pytest on SQLite (Debian 13, -W error)" d13_pytest "$s_out"
    if [ "$s_pg" = 0 ]; then
        not_for "$s_label: pytest on PostgreSQL" "names over PostgreSQL's 63 bytes, BB0752"
    elif [ "$have_pg" = 1 ]; then
        step "$s_label: pytest on PostgreSQL (Debian 13, -W error)" \
            d13_pytest_pg "$s_out" "e2e_${s_n}_d13"
    fi
    step "$s_label: scripts/ci.sh, mypy --strict included (Debian 13)" \
        d13_ci "$s_out" "e2e_${s_n}_ci13"
}

# The SQLAlchemy 2.0 style, on the schemas given (without arguments, those
# of schemas/).
if [ $# -gt 0 ]; then
    sa2_schemas="$*"
else
    sa2_schemas=""
    for f in "$root"/schemas/*.json; do
        case "$(basename "$f")" in backbone.schema.json) continue ;; esac
        sa2_schemas="$sa2_schemas $f"
    done
fi

# sa2_job SCHEMA N: the schema's project in the SQLAlchemy 2.0 style.
sa2_job() {
    schema=$1 n=$2
    base=$(basename "$schema" .json)
    out="$work/out/$n-$base-sa2"
    echo "== $base, --style sa2 ($schema)"
    step "$base (sa2): generate" "$BACKBONE" generate -q --no-python --style sa2 "$schema" -o "$out"
    pg=1
    pg_names_fit "$schema" || pg=0
    [ -d "$out/app" ] || return 0
    check_sa2 "$base (sa2)" "$out" "$n" "$pg"
}

for schema in $sa2_schemas; do
    n=$((n + 1))
    job sa2_job "$schema" "$n"
done

wait_jobs
echo "e2e: $passed passed, $failed failed, $not_applicable not applicable"
[ "$failed" -eq 0 ] || { echo "e2e: failed:$failures"; exit 1; }
