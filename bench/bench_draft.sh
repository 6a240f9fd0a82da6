#!/bin/sh
# bench_draft.sh - how `backbone draft` converges, against the scripted fake
# model of the tests (tests/fake_llm/fake_llm.py): every schema under
# schemas/ drafted from its own description (the model answers the file),
# then again from a first answer broken in one of many ways (a missing
# primary key, a bad type, a reserved word, an answer that is not JSON or
# is cut off, ...) that backbone must send back for repair. Prints each
# run's rounds, requests and tokens, the success rate and the rounds taken.
# A measure of the repair loop, not of any real model. Not a timed test.
# BACKBONE names the release binary.
set -eu
cd "$(dirname "$0")/.."
BACKBONE=${BACKBONE:-$PWD/build/release/backbone}
[ -x "$BACKBONE" ] || { echo "bench_draft: no binary at $BACKBONE (make first)" >&2; exit 2; }
exec /usr/bin/python3 bench/draft_bench.py "$BACKBONE"
