# helpers.sh - shell helpers of tests/integration/llm.sh: a fake LLM
# server per case, its request log, and assertions. Sourced, not run.

PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FAKE="$ROOT/tests/fake_llm/fake_llm.py"
FIXTURES="$HERE/llm/fixtures.py"
FAKE_PID=""

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# fake_start CASE [same-port]: starts the fake with a fixture script; sets
# FAKE_URL, FAKE_LOG. CASE is a case of fixtures.py, or oracle:FILE:BREAK
# (a draft answered from a schema file). same-port: on the port of the one
# before (the same endpoint, as the cache sees it).
fake_start() {
    port=0
    [ "${2:-}" = same-port ] && port=$(cat "$WORK/port")
    fake_stop
    name=$(echo "$1" | tr -c 'A-Za-z0-9_.\n-' '_')
    case $1 in
    oracle:*)
        spec=${1#oracle:}
        $PY "$FIXTURES" oracle "$ROOT/${spec%%:*}" "${spec#*:}" > "$WORK/script-$name.json" ;;
    *) $PY "$FIXTURES" "$1" > "$WORK/script-$name.json" ;;
    esac || fail "no fixture $1"
    FAKE_LOG="$WORK/log-$name.jsonl"
    rm -f "$WORK/port"
    $PY "$FAKE" --script "$WORK/script-$name.json" --log "$FAKE_LOG" --port-file "$WORK/port" \
        --port "$port" &
    FAKE_PID=$!
    i=0
    while [ ! -s "$WORK/port" ]; do
        i=$((i + 1))
        [ $i -gt 500 ] && fail "the fake LLM server did not start"
        sleep 0.01
    done
    FAKE_URL="http://127.0.0.1:$(cat "$WORK/port")"
    export BACKBONE_LLM_BASE_URL="$FAKE_URL"
}

fake_stop() {
    if [ -n "$FAKE_PID" ]; then
        kill "$FAKE_PID" 2>/dev/null
        wait "$FAKE_PID" 2>/dev/null
        FAKE_PID=""
    fi
}

# requests: how many requests the fake received.
requests() {
    if [ -f "$FAKE_LOG" ]; then wc -l < "$FAKE_LOG" | tr -d ' '; else echo 0; fi
}

# log_query EXPR: evaluates a Python expression over `log` (list of requests).
log_query() {
    $PY -c "import json,sys; log=[json.loads(l) for l in open(sys.argv[1])]; print($1)" "$FAKE_LOG"
}

expect_eq() { # what expected actual
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

expect_grep() { # pattern file
    grep -q -- "$1" "$2" || { cat "$2" >&2; fail "'$1' not found in $2"; }
}

expect_no_grep() { # pattern file
    if grep -q -- "$1" "$2"; then cat "$2" >&2; fail "'$1' found in $2"; fi
}
