"""The comparison point of bench/bench_server.sh: a FastAPI + uvicorn endpoint
that does what a Python service would do for POST /api/v1/validate: check an
API key against a SHA-256 digest, parse the JSON, and run representative
checks of the schema (required keys, db_type, names, a primary key per table,
foreign keys to existing tables and columns, the build order).

Run: /usr/bin/python3 -m uvicorn --app-dir bench fastapi_validate:app
with BENCH_KEY_DIGEST set to the hex SHA-256 of the key clients send."""
import hashlib
import hmac
import json
import os
import re

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()
KEY_DIGEST = bytes.fromhex(os.environ.get("BENCH_KEY_DIGEST", "00" * 32))
DB_TYPES = {"postgresql", "mysql", "sqlite", "mssql"}
TYPES = {"Integer", "String", "Text", "Boolean", "DateTime", "Date", "Time", "Numeric",
         "Float", "Enum", "ForeignKey"}
TABLE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CLASS_RE = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def check(doc):
    errors = []
    if not isinstance(doc, dict):
        return ["root must be an object"], []
    if "schema" in doc and isinstance(doc["schema"], dict):
        doc = doc["schema"]
    if not isinstance(doc.get("project_name"), str):
        errors.append("/project_name: required string")
    if doc.get("db_type") not in DB_TYPES:
        errors.append("/db_type: unknown")
    tables = doc.get("schema")
    if not isinstance(tables, list) or not tables:
        return errors + ["/schema: at least one table"], []
    columns = {}
    for i, t in enumerate(tables):
        name = t.get("table_name", "")
        if not TABLE_RE.match(name):
            errors.append(f"/schema/{i}/table_name: invalid")
        if not CLASS_RE.match(t.get("class_name", "")):
            errors.append(f"/schema/{i}/class_name: invalid")
        cols = t.get("columns") or []
        if not any(c.get("primary_key") for c in cols):
            errors.append(f"/schema/{i}: no primary key")
        for j, c in enumerate(cols):
            if c.get("type") not in TYPES:
                errors.append(f"/schema/{i}/columns/{j}/type: unknown")
        columns[name] = {c.get("name") for c in cols}
    deps = {}
    for i, t in enumerate(tables):
        deps[t.get("table_name")] = set()
        for j, c in enumerate(t.get("columns") or []):
            if c.get("type") == "ForeignKey":
                target = str(c.get("target", ""))
                table, _, col = target.partition(".")
                if col not in columns.get(table, ()):
                    errors.append(f"/schema/{i}/columns/{j}/target: unknown")
                elif table != t.get("table_name"):
                    deps[t.get("table_name")].add(table)
    order, done = [], set()
    while len(order) < len(deps):
        ready = [n for n in deps if n not in done and deps[n] <= done]
        if not ready:
            errors.append("/schema: dependency cycle")
            break
        for n in ready:
            done.add(n)
            order.append(n)
    return errors, order


@app.post("/api/v1/validate")
async def validate(request: Request):
    key = request.headers.get("x-api-key", "")
    if not hmac.compare_digest(hashlib.sha256(key.encode()).digest(), KEY_DIGEST):
        return JSONResponse({"error": {"code": "unauthorized"}}, status_code=401)
    try:
        doc = json.loads(await request.body())
    except ValueError as e:
        return JSONResponse({"error": {"code": "malformed_json", "message": str(e)}},
                            status_code=400)
    errors, order = check(doc)
    if errors:
        return JSONResponse({"valid": False, "diagnostics": errors}, status_code=422)
    return {"valid": True, "diagnostics": [], "build_order": order}
