#!/bin/sh
# run_example.sh - what `make run` runs after the build: generates the example
# blog backend (schemas/blog.json) into out/blog, runs the generated project's
# own tests with the system Python, and says how to start it.
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
echo
echo "The blog backend is in $OUT. Start it with:"
echo
echo "    cd $OUT && uvicorn app.main:app --reload"
echo
echo "then open http://127.0.0.1:8000/docs"
