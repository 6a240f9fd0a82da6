#!/bin/sh
# run_example.sh - what `make run` runs after the build: generates the example
# blog backend (schemas/blog.json) into out/blog, runs the generated project's
# own tests with the system Python, applies its migrations to a SQLite
# database beside it, checks that the app answers from that database, and
# says how to start it.
#
# Regenerating keeps the files you added to out/blog and never overwrites a
# generated file you edited (the run stops and lists them; see
# `backbone generate --help` for --merge).
set -eu
cd "$(dirname "$0")/.."
BB=${BACKBONE:-$PWD/build/release/backbone}
PY=/usr/bin/python3
OUT=out/blog

mkdir -p out
"$BB" generate schemas/blog.json -o "$OUT"
echo
echo "== running the generated tests ($PY -m pytest)"
(cd "$OUT" && "$PY" -m pytest -q -p no:cacheprovider)
# The example runs on SQLite, so it needs no database server: the schema
# names PostgreSQL, and the same code runs on both.
DB_URL=sqlite:///./blog.db
echo
echo "== applying the migrations to $OUT/blog.db ($PY -m alembic upgrade head)"
(cd "$OUT" && DATABASE_URL=$DB_URL "$PY" -m alembic upgrade head)
echo
echo "== asking the app for a page of posts"
(cd "$OUT" && DATABASE_URL=$DB_URL "$PY" -c '
from fastapi.testclient import TestClient

from app.main import app

response = TestClient(app).get("/api/v1/posts")
assert response.status_code == 200, response.text
print("GET /api/v1/posts:", response.status_code, response.json())
')
echo
echo "The blog backend is in $OUT, its database in $OUT/blog.db. Start it with:"
echo
echo "    cd $OUT && DATABASE_URL=$DB_URL $PY -m uvicorn app.main:app --reload"
echo
echo "then open http://127.0.0.1:8000/docs"
