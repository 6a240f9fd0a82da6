#!/bin/sh
# validate.sh - `backbone validate` end to end: exit codes 0/1/2, standard
# input, several files, --format json (checked with Python's json module),
# --strict, --quiet, the limit flags, colour only on a terminal and never
# with NO_COLOR. Needs $BACKBONE.
set -eu
BB=${BACKBONE:?BACKBONE must name the backbone binary}
COMPAT=$(pwd)/${BACKBONE_SHARED:-../shared}/compat/backbone-ai
[ -d "$COMPAT" ] || {
    echo "FAIL: no shared data at $COMPAT" >&2
    exit 1
}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/bb-validate-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/checks.sh"
expect_out() {
    grep -q -- "$1" "$T/out" || {
        cat "$T/out" "$T/err" >&2
        fail "$2: output lacks '$1'"
    }
}
expect_err() {
    grep -q -- "$1" "$T/err" || {
        cat "$T/out" "$T/err" >&2
        fail "$2: stderr lacks '$1'"
    }
}

# A schema that is valid but draws one warning (a nullable primary key).
cat >"$T/warn.json" <<'EOF'
{
  "project_name": "warned",
  "db_type": "sqlite",
  "schema": [
    {
      "table_name": "items",
      "class_name": "Item",
      "columns": [
        {"name": "id", "type": "Integer", "primary_key": true, "nullable": true},
        {"name": "label", "type": "String", "length": 40}
      ]
    }
  ]
}
EOF
# A schema with several shape errors, all to be reported in one run.
cat >"$T/bad.json" <<'EOF'
{
  "project_name": "broken",
  "db_type": "postgres",
  "schema": [
    {
      "table_name": "users",
      "class_name": "User",
      "columns": [
        {"name": "id", "type": "Integer", "primary_key": true},
        {"name": "name", "type": "Strin", "length": "50"},
        {"name": "status", "type": "Enum"}
      ]
    }
  ]
}
EOF

# --- exit 0 -------------------------------------------------------------------
for f in "$COMPAT"/examples/*.json "$COMPAT"/fixtures/valid_*.json \
    "$COMPAT"/fixtures/circular_dependency_schema.json; do
    run validate "$f"
    expect_rc 0 "validate $(basename "$f")"
    expect_out "$(basename "$f"): valid, 0 errors" "summary of $(basename "$f")"
done
ok "every BackBone-AI example and valid fixture is valid (exit 0)"

run validate "$COMPAT/fixtures/valid_simple_schema.json"
expect_out "build order: users" "build order in the summary"
ok "the summary names the build order"

run validate "$T/warn.json"
expect_rc 0 "warnings only"
expect_out "warning\[BB0210\]" "the warning is shown"
expect_out "valid, 0 errors, 1 warning" "summary counts the warning"
ok "warnings alone leave the exit code at 0"

# --- exit 1 -------------------------------------------------------------------
run validate "$COMPAT/fixtures/invalid_json_syntax.json"
expect_rc 1 "invalid JSON"
expect_out "invalid_json_syntax.json:1:37: error\[BB0101\]" "syntax error with line:column"
expect_out "\^" "caret under the error"
ok "a syntax error exits 1 with line:column and a caret"

for f in invalid_no_primary_key invalid_fk_reference; do
    run validate "$COMPAT/fixtures/$f.json"
    expect_rc 1 "$f"
    expect_out "$f.json: invalid" "$f summary"
done
ok "the invalid fixtures exit 1"

run validate "$T/bad.json"
expect_rc 1 "several errors"
expect_out "bad.json:3:14: error\[BB0203\]" "db_type"
expect_out "bad.json:10:34: error\[BB0203\]" "column type"
expect_out 'did you mean "String"' "suggestion"
expect_out "bad.json:10:53: error\[BB0202\]" "length as a string"
expect_out "bad.json:11:9: error\[BB0204\]" "enum without values"
expect_out "/schema/0/columns/1/type" "pointer"
ok "every problem of a file is reported in one run"

# --- exit 2 -------------------------------------------------------------------
run validate "$T/does-not-exist.json"
expect_rc 2 "missing file"
expect_err "cannot read '$T/does-not-exist.json'" "missing file message"
ok "a missing file exits 2 with a clear message"

run validate
expect_rc 2 "no file"
run validate --frobnicate "$T/warn.json"
expect_rc 2 "unknown option"
run validate --format xml "$T/warn.json"
expect_rc 2 "bad --format"
run validate --max-tables zero "$T/warn.json"
expect_rc 2 "bad limit value"
ok "usage errors exit 2"

run validate "$T/warn.json" "$T/does-not-exist.json" "$T/bad.json"
expect_rc 2 "I/O error wins over invalid"
expect_out "warn.json: valid" "the other files are still checked"
expect_out "bad.json: invalid" "the other files are still checked"
ok "several files: each is reported, the worst exit code wins"

run validate --help
expect_rc 0 "--help"
expect_out "usage: backbone validate" "help text"
expect_out "--max-input-bytes" "help lists the limits"
ok "--help prints the usage"

# --- standard input -----------------------------------------------------------
set +e
"$BB" validate - <"$COMPAT/examples/blog_schema.json" >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 0 "stdin"
expect_out "<stdin>: valid" "stdin summary"
set +e
"$BB" validate - <"$T/bad.json" >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 1 "invalid stdin"
expect_out "<stdin>:3:14: error\[BB0203\]" "stdin positions"
ok "'-' reads standard input"

# --- --format json ------------------------------------------------------------
run validate --format json "$COMPAT/fixtures/valid_simple_schema.json" "$T/bad.json" "$T/warn.json"
expect_rc 1 "json run"
$PY - "$T/out" <<'EOF' || fail "--format json output"
import json, sys
doc = json.load(open(sys.argv[1]))
files = doc["files"]
assert len(files) == 3, files
good, bad, warn = files
for f in files:
    for key in ("file", "valid", "errors", "warnings", "build_order", "diagnostics"):
        assert key in f, (key, f)
assert good["valid"] is True and good["errors"] == 0, good
assert good["build_order"] == ["users"], good["build_order"]
assert bad["valid"] is False and bad["errors"] >= 4, bad
assert bad["build_order"] == [], bad["build_order"]
codes = {d["code"] for d in bad["diagnostics"]}
assert {"BB0202", "BB0203", "BB0204"} <= codes, codes
for d in bad["diagnostics"]:
    for key in ("code", "severity", "message", "hint", "pointer", "file", "line", "column"):
        assert key in d, (key, d)
    assert d["severity"] in ("error", "warning", "note"), d
t = [d for d in bad["diagnostics"] if d["pointer"] == "/schema/0/columns/1/type"][0]
assert (t["line"], t["column"], t["code"]) == (10, 34, "BB0203"), t
assert t["hint"] == 'did you mean "String"?', t
assert warn["valid"] is True and warn["warnings"] == 1, warn
EOF
ok "--format json has the documented fields, positions and hints"

run validate --format json "$T/does-not-exist.json"
expect_rc 2 "json missing file"
$PY -c 'import json,sys; f=json.load(open(sys.argv[1]))["files"][0]; assert f["valid"] is False and f["io_error"], f' "$T/out" ||
    fail "json io_error"
ok "--format json reports an unreadable file too"

# --- --strict and --quiet -----------------------------------------------------
run validate --strict "$T/warn.json"
expect_rc 1 "--strict"
expect_out "error\[BB0210\]" "warning shown as an error"
ok "--strict turns warnings into errors"

run validate --quiet "$T/warn.json"
expect_rc 0 "--quiet valid"
[ ! -s "$T/out" ] || fail "--quiet printed something for a valid file: $(cat "$T/out")"
run validate -q "$T/bad.json"
expect_rc 1 "--quiet invalid"
expect_out "error\[BB0203\]" "--quiet still prints errors"
if grep -q ": invalid," "$T/out"; then fail "--quiet printed a summary"; fi
ok "--quiet prints errors only"

# --- limits -------------------------------------------------------------------
size=$(wc -c <"$T/warn.json")
run validate --max-input-bytes $((size - 1)) "$T/warn.json"
expect_rc 1 "one byte over the size limit"
expect_out "error\[BB0601\]" "size limit code"
expect_out "over the limit of $((size - 1)) bytes" "size limit message"
expect_out "--max-input-bytes" "size limit hint"
run validate --max-input-bytes "$size" "$T/warn.json"
expect_rc 0 "exactly at the size limit"
run validate --max-input-bytes 10 "$T/warn.json"
expect_rc 1 "far over the size limit"
expect_out "error\[BB0601\]" "size limit code without parsing"
ok "--max-input-bytes: one byte over is refused with the flag named, at the limit is fine"

# A device or a pipe that goes on: no size to give, no "0 bytes, over".
run validate --max-input-bytes 1K /dev/zero
expect_rc 1 "/dev/zero"
expect_out "goes on past the limit of 1024 bytes" "/dev/zero message"
if grep -q "0 bytes, over\|more than the limit, over" "$T/out"; then fail "size of a stream"; fi
set +e
head -c 5000 /dev/zero | "$BB" validate --max-input-bytes 1K - >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 1 "endless standard input"
expect_out "<stdin>: error\[BB0601\]: the input goes on past the limit" "stdin message"
ok "an input without a size is said to go on past the limit"

# The examples with a glob: backbone.schema.json (a JSON Schema) is skipped,
# and a note (BB0428, a cycle backbone breaks itself) does not fail --strict.
run validate --strict schemas/*.json
expect_rc 0 "validate --strict schemas/*.json"
expect_out "backbone.schema.json: skipped, a JSON Schema" "the JSON Schema is skipped"
expect_out "note\[BB0428\]" "the cycle of org_chart.json is a note"
ok "validate --strict schemas/*.json passes in the repository"

run validate --max-columns=1 --max-string-length 3 "$T/warn.json"
expect_rc 1 "smaller limits"
expect_out "error\[BB0604\]" "column limit"
expect_out "error\[BB0606\]" "string limit"
run validate --max-depth 2 "$T/warn.json"
expect_rc 1 "depth limit"
expect_out "error\[BB0602\]" "depth limit code"
ok "the limit flags take effect"

# --- colour -------------------------------------------------------------------
esc=$(printf '\033')
run validate "$T/bad.json"
if grep -q "$esc" "$T/out"; then fail "colour codes in piped output"; fi
ok "no colour when the output is not a terminal"

if command -v script >/dev/null 2>&1; then
    TERM=xterm script -qec "\"$BB\" validate \"$T/bad.json\"" /dev/null >"$T/tty" 2>&1 || true
    grep -q "$esc\[" "$T/tty" || fail "no colour on a terminal"
    NO_COLOR=1 TERM=xterm script -qec "\"$BB\" validate \"$T/bad.json\"" /dev/null >"$T/tty" 2>&1 || true
    grep -q "error\[BB0203\]" "$T/tty" || fail "NO_COLOR run printed nothing"
    if grep -q "$esc\[" "$T/tty"; then fail "colour despite NO_COLOR"; fi
    ok "colour on a terminal, none with NO_COLOR"
else
    skip "colour on a terminal: no script(1) (package bsdutils)"
fi

# --- the JSON Schema for editors ----------------------------------------------
JS=$(pwd)/schemas/backbone.schema.json
[ -f "$JS" ] || fail "no schemas/backbone.schema.json"
# Every key the JSON Schema documents is one the loader knows (no BB0205).
$PY - "$JS" >"$T/allkeys.json" <<'EOF'
import json, sys
js = json.load(open(sys.argv[1]))
defs = js["$defs"]
def sample(p):
    if "enum" in p:
        return p["enum"][0]
    t = p.get("type", "object")
    t = t[0] if isinstance(t, list) else t
    return {"string": "x", "integer": 1, "number": 1, "boolean": True, "array": [],
            "object": {}}[t]
def every_key(props):
    return {k: sample(v) for k, v in props.items()}
doc = every_key(js["properties"])
doc["db_type"] = "sqlite"
table = every_key(defs["table"]["properties"])
table["options"] = every_key(defs["options"]["properties"])
table["columns"] = [every_key(defs["column"]["properties"])]
table["relationships"] = [every_key(defs["relationship"]["properties"])]
table["unique"] = [every_key(defs["unique"]["properties"])]
table["indexes"] = [every_key(defs["index"]["properties"])]
table["checks"] = [every_key(defs["check"]["properties"])]
doc["schema"] = [table]
json.dump(doc, sys.stdout, indent=1)
EOF
run validate --format json "$T/allkeys.json"
$PY -c '
import json, sys
d = json.load(open(sys.argv[1]))["files"][0]["diagnostics"]
unknown = [x["pointer"] for x in d if x["code"] == "BB0205"]
assert not unknown, unknown
' "$T/out" || fail "a key of the JSON Schema is unknown to the loader"
ok "every key in schemas/backbone.schema.json is known to the loader"

JSPY=""
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import jsonschema' 2>/dev/null; then
        JSPY=$p
        break
    fi
done
if [ -n "$JSPY" ]; then
    "$JSPY" - "$JS" "$COMPAT" "$T/bad.json" <<'EOF' || fail "JSON Schema check"
import glob, json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
files = glob.glob(sys.argv[2] + "/examples/*.json") + glob.glob(sys.argv[2] + "/fixtures/valid_*.json")
assert files
for f in files:
    errors = [e.message for e in v.iter_errors(json.load(open(f)))]
    assert not errors, (f, errors[:3])
assert list(v.iter_errors(json.load(open(sys.argv[3])))), "bad.json passed the JSON Schema"
EOF
    ok "the JSON Schema is valid draft 2020-12, accepts every example and rejects a bad file"
else
    skip "the JSON Schema against the examples: no python3-jsonschema"
fi

echo "validate.sh: $n checks passed"
