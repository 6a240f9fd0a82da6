#!/bin/sh
# llm.sh - model-assisted commands against the fake LLM server on loopback:
# `backbone draft` converging on a repair, giving up cleanly, refusing, the
# cache making a rerun byte-identical without a request, and API keys never
# appearing in any output.
set -u
[ -n "${BACKBONE:-}" ] || { echo "BACKBONE is not set" >&2; exit 2; }
WORK=$(mktemp -d)
. "$(dirname "$0")/llm_helpers.sh"
trap 'fake_stop; rm -rf "$WORK"' EXIT

KEY=sk-test-never-shown-4242
export OPENAI_API_KEY=$KEY ANTHROPIC_API_KEY=$KEY
export BACKBONE_LLM_PROVIDER=openai BACKBONE_LLM_MODEL=fake-model
export BACKBONE_LLM_RETRY_BASE_MS=10 BACKBONE_LLM_TIMEOUT_MS=5000
unset CI BACKBONE_LLM_CACHE XDG_CACHE_HOME 2>/dev/null || true
cd "$WORK" || exit 2

# --- draft converges on the second round -----------------------------------
fake_start draft-converges
"$BACKBONE" draft "a clinic with patients, doctors and appointments" -o clinic.json \
    > out.txt 2> err.txt
expect_eq "draft exit code" 0 $?
expect_eq "draft requests" 2 "$(requests)"
[ -s clinic.json ] || fail "clinic.json was not written"
"$BACKBONE" validate clinic.json > /dev/null || fail "the drafted schema does not validate"
expect_grep "round 1: 1 error" err.txt
# The repair request carried the conversation and the diagnostic back.
expect_eq "repair turns" "['user', 'assistant', 'user']" \
    "$(log_query "[m['role'] for m in log[1]['body']['messages'] if m['role'] != 'system']")"
expect_eq "diagnostic fed back" True \
    "$(log_query "'BB0206' in log[1]['body']['messages'][-1]['content']")"
expect_eq "strict schema sent" True \
    "$(log_query "log[0]['body']['response_format']['json_schema']['strict']")"
expect_no_grep "$KEY" err.txt

# --- draft never converges: gives up after --max-rounds, writes nothing -----
fake_start draft-never-converges
"$BACKBONE" draft "a clinic" -o never.json --max-rounds 2 > out.txt 2> err.txt
expect_eq "non-converging draft exit code" 1 $?
expect_eq "non-converging draft requests" 2 "$(requests)"
[ -e never.json ] && fail "an invalid draft was written"
expect_grep "BB0910" err.txt
expect_grep "BB0206" err.txt

# --- a refusal is a clean failure --------------------------------------------
fake_start draft-refusal
"$BACKBONE" draft "a clinic" -o refused.json > out.txt 2> err.txt
expect_eq "refused draft exit code" 1 $?
expect_eq "refusal is not retried" 1 "$(requests)"
expect_grep "refusal" err.txt
[ -e refused.json ] && fail "a refused draft was written"

# --- Anthropic Messages ---------------------------------------------------------
fake_start draft-anthropic
BACKBONE_LLM_PROVIDER=anthropic "$BACKBONE" draft "a clinic" > stdout.json 2> err.txt
expect_eq "anthropic draft exit code" 0 $?
expect_eq "anthropic version header" 2023-06-01 "$(log_query "log[0]['headers']['anthropic-version']")"
expect_eq "anthropic key header" "$KEY" "$(log_query "log[0]['headers']['x-api-key']")"
"$BACKBONE" validate stdout.json > /dev/null || fail "the Anthropic draft does not validate"

# --- the cache: a rerun is byte-identical and sends nothing --------------------
fake_start draft-converges
"$BACKBONE" draft "a clinic" -o c1.json --llm-cache cache 2> err.txt || fail "cached run 1"
expect_eq "first cached run requests" 2 "$(requests)"
fake_start empty
"$BACKBONE" draft "a clinic" -o c2.json --llm-cache cache 2> err.txt || fail "cached run 2"
expect_eq "second cached run requests" 0 "$(requests)"
cmp -s c1.json c2.json || fail "the cached rerun differs"
grep -rq "$KEY" cache && fail "the API key reached the cache"
# CI=true turns the cache on by default (.backbone/llm-cache).
fake_start draft-converges
CI=true "$BACKBONE" draft "a clinic" -o c3.json 2> err.txt || fail "CI run"
[ -d .backbone/llm-cache ] || fail "CI mode did not use .backbone/llm-cache"

# --- configuration errors --------------------------------------------------------
BACKBONE_LLM_BASE_URL=http://example.com "$BACKBONE" draft "x" 2> err.txt
expect_eq "non-loopback http refused" 2 $?
expect_grep "BB0911" err.txt
"$BACKBONE" draft --llm-provider nope "x" 2> err.txt
expect_eq "unknown provider" 2 $?

echo "llm: all cases passed"
