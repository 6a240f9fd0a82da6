#!/bin/sh
# templates.sh - `backbone templates` and `generate --templates`: the export,
# an exported set that changes nothing, the worked examples of
# docs/templates.md (taken from the page itself) in one project that must pass
# black, isort, flake8 and its own tests, and errors in a template of DIR
# reported at its file, line and column. Needs $BACKBONE.
set -eu
BB=${BACKBONE:?BACKBONE must name the backbone binary}
SCHEMA=$(pwd)/schemas/shop.json
DOC=$(pwd)/docs/templates.md
PY=/usr/bin/python3
T=$(mktemp -d /tmp/bb-templates-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/checks.sh"

# --- list and export ------------------------------------------------------------------
run templates list
expect_rc 0 "templates list"
grep -qx "app/api/routes/route.py" "$T/out" || fail "list lacks app/api/routes/route.py"
grep -qx "partials/import" "$T/out" || fail "list lacks the partials"
ok "templates list names every built-in template"

count=$(wc -l <"$T/out")
run templates export "$T/all"
expect_rc 0 "templates export"
[ "$(find "$T/all" -name '*.mustache' | wc -l)" -eq "$count" ] || fail "export did not write every template"
[ -f "$T/all/app/models/model.py.mustache" ] || fail "no model template exported"
ok "templates export writes every template"

run templates export "$T/all"
expect_rc 1 "export into a folder that is not empty"
grep -q "not empty" "$T/err" || fail "the refusal does not say why"
run templates export "$T/all" --force
expect_rc 0 "export --force"
ok "export refuses a folder that is not empty, unless --force"

run generate "$SCHEMA" -o "$T/plain" -q
expect_rc 0 "generate"
run generate "$SCHEMA" -o "$T/exported" -q --templates "$T/all"
expect_rc 0 "generate with the exported templates"
diff -r -x .backbone "$T/plain" "$T/exported" >/dev/null || fail "the exported templates change the project"
ok "the exported templates give the same project"

# --- the worked examples of docs/templates.md ------------------------------------------
# Each example file follows a line `<!-- file: NAME -->` in a ```mustache block.
mkdir -p "$T/mine"
awk -v dir="$T/mine" '
    /^<!-- file: .* -->$/ { name = $3; next }
    name != "" && /^```mustache$/ { out = dir "/" name; system("mkdir -p \"$(dirname \"" out "\")\""); printf "" > out; next }
    out != "" && /^```$/ { close(out); out = ""; name = ""; next }
    out != "" { print >> out }
' "$DOC"
[ "$(find "$T/mine" -name '*.mustache' | wc -l)" -eq 5 ] || fail "docs/templates.md has not the 5 example files"
run generate "$SCHEMA" -o "$T/custom" --templates "$T/mine"
expect_rc 0 "generate with the examples"
grep -q "user: str = Depends(current_user)" "$T/custom/app/api/routes/products.py" ||
    fail "the routes have no user dependency"
[ "$(grep -c "Depends(current_user)" "$T/custom/app/api/routes/products.py")" -eq 6 ] ||
    fail "not every route of products has the user dependency"
grep -q '^    api_version: str = "1"$' "$T/custom/app/schemas/products.py" || fail "no extra Read field"
grep -q "^class Product(ProductExtras, TimestampMixin, SoftDeleteMixin, AuditedBase):" "$T/custom/app/models/products.py" ||
    fail "the model does not derive from AuditedBase"
grep -q "^from app.core.database import AuditedBase$" "$T/custom/app/models/products.py" ||
    fail "the model does not import AuditedBase alone"
ok "the examples change the routes, the Read schemas and the models"
(cd "$T/custom" && black --check -q . && isort --check-only -q --profile black . && flake8 .) ||
    fail "the customised project does not pass black, isort and flake8"
ok "the customised project passes black, isort and flake8"
(cd "$T/custom" && $PY -m pytest -q -p no:cacheprovider >"$T/pytest.txt" 2>&1) ||
    { tail -30 "$T/pytest.txt" >&2; fail "the customised project's tests fail"; }
ok "the customised project passes its own tests ($(tail -1 "$T/pytest.txt"))"

# --- errors in a template of DIR ---------------------------------------------------------
mkdir -p "$T/bad/app/models"
printf '"""x"""\n\n{{#columns}}\n{{name}} = 1\n' >"$T/bad/app/models/model.py.mustache"
run generate "$SCHEMA" -o "$T/bad-out" --templates "$T/bad"
expect_rc 1 "a template that does not compile"
grep -q "$T/bad/app/models/model.py.mustache:3:1:" "$T/err" || { cat "$T/err" >&2; fail "the error is not at the template's file:line:column"; }
grep -q "bug in backbone" "$T/err" && fail "a template error is called a bug in backbone"
ok "an error in a template of DIR is reported at its file, line and column"

printf '{{<builtin:app/models/model.py}}{{$model_bases}}Base, ({{/model_bases}}{{/builtin:app/models/model.py}}\n' \
    >"$T/bad/app/models/model.py.mustache"
run generate "$SCHEMA" -o "$T/bad-out" --templates "$T/bad"
expect_rc 1 "a template that writes Python that cannot be read"
grep -q "BB0747" "$T/err" && grep -q "rendered with the templates of $T/bad" "$T/err" ||
    { cat "$T/err" >&2; fail "unreadable Python does not point at the templates"; }
ok "Python an override makes unreadable is reported with the templates it came from"
printf '{{<builtin:app/models/model.py}}{{$model_columns}}\n    x = = 1\n{{/model_columns}}{{/builtin:app/models/model.py}}\n' \
    >"$T/bad/app/models/model.py.mustache"
run generate "$SCHEMA" -o "$T/bad-out" --templates "$T/bad"
expect_rc 1 "a template that writes Python that does not compile"
grep -q "BB074[01]" "$T/err" && grep -q "rendered with the templates of $T/bad" "$T/err" ||
    { cat "$T/err" >&2; fail "Python that does not compile does not point at the templates"; }
grep -q "bug in backbone" "$T/err" && fail "an override's Python is called a bug in backbone"
ok "Python an override makes wrong is blamed on the templates, not on backbone"
printf 'import os\n\nos.system("ls")\n' >"$T/bad/app/main.py.mustache"
rm "$T/bad/app/models/model.py.mustache"
run generate "$SCHEMA" -o "$T/bad-out" --templates "$T/bad" --no-python
expect_rc 1 "a template that writes a shell call"
grep -q "BB0744" "$T/err" && grep -q "rendered with the templates of $T/bad" "$T/err" ||
    { cat "$T/err" >&2; fail "a shell call an override writes does not point at the templates"; }
grep -q "bug in backbone" "$T/err" && fail "an override's shell call is called a bug in backbone"
ok "what the security scan finds in an override's output is blamed on the templates"
echo "templates.sh: $n checks passed"
