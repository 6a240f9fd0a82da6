#!/usr/bin/env python3
"""llm_fixtures.py - scripts for the fake LLM server used by llm.sh.

    llm_fixtures.py CASE > script.json

Each case is a queue of scripted answers (see tests/fake_llm/fake_llm.py).
Model answers are written here in full, as a strict-mode model returns them:
every property present, null where it does not apply.
"""
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


def answer(value, **extra):
    d = {"content_json": value}
    d.update(extra)
    return d


CASES = {
    # draft: invalid first, repaired on the second round
    "draft-converges": {"openai": [answer(clinic(broken=True)), answer(clinic())]},
    # draft: the model never fixes its schema
    "draft-never-converges": {"default": {"openai": answer(clinic(broken=True))}},
    # draft over the Anthropic API, valid at once
    "draft-anthropic": {"anthropic": [answer(clinic())]},
    # draft: the model refuses
    "draft-refusal": {"openai": [{"refusal": "I can't help with that."}]},
    # nothing scripted: any request is an unexpected one (answered 500)
    "empty": {},
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.stderr.write("usage: llm_fixtures.py CASE\ncases: %s\n" % " ".join(sorted(CASES)))
        return 2
    json.dump(CASES[sys.argv[1]], sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
