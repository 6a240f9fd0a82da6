#!/usr/bin/env python3
"""collector.py - a scripted OpenTelemetry collector on loopback: it takes
OTLP over HTTP with JSON bodies (POST /v1/traces) and checks each body's
shape as the OTLP/JSON encoding (opentelemetry-proto, JSON Protobuf
Encoding) asks:

  resourceSpans[] -> resource.attributes[] (service.name a string)
                  -> scopeSpans[] -> scope.name, spans[]
  span: traceId 32 lowercase hex and spanId 16 (neither all zero),
        parentSpanId absent or 16 hex, a name, kind 0..5,
        startTimeUnixNano and endTimeUnixNano decimal strings (end >= start,
        both near now), attributes [{key, value: {one typed value}}],
        status {code 0..2} when present; no other members.

A body that passes is answered 200 {"partialSuccess": {}} and each of its
spans is logged, one JSON line each, with its resource's attributes; one
that does not is answered 400 and its faults are logged as
{"error": [...]}.

    collector.py --log L.jsonl --port-file P [--refuse N]

--refuse N answers the first N requests 503 (a collector that is down).
"""
import argparse
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEX32 = re.compile(r"[0-9a-f]{32}\Z")
HEX16 = re.compile(r"[0-9a-f]{16}\Z")
DIGITS = re.compile(r"[0-9]+\Z")
SPAN_MEMBERS = {"traceId", "spanId", "parentSpanId", "traceState", "flags", "name", "kind",
                "startTimeUnixNano", "endTimeUnixNano", "attributes", "droppedAttributesCount",
                "events", "droppedEventsCount", "links", "droppedLinksCount", "status"}
VALUE_KINDS = {"stringValue": str, "boolValue": bool, "intValue": (str, int),
               "doubleValue": (int, float), "arrayValue": dict, "kvlistValue": dict,
               "bytesValue": str}


def check_attributes(attrs, where, faults):
    """The attributes as a plain dict; faults appended."""
    out = {}
    if not isinstance(attrs, list):
        faults.append("%s: attributes is not a list" % where)
        return out
    for a in attrs:
        if not isinstance(a, dict) or set(a) != {"key", "value"} or not isinstance(a["key"], str):
            faults.append("%s: bad attribute %r" % (where, a))
            continue
        v = a["value"]
        if not isinstance(v, dict) or len(v) != 1 or next(iter(v)) not in VALUE_KINDS:
            faults.append("%s: attribute %s has no single typed value: %r" % (where, a["key"], v))
            continue
        kind, val = next(iter(v.items()))
        if not isinstance(val, VALUE_KINDS[kind]) or (kind == "intValue" and isinstance(val, str)
                                                      and not re.fullmatch(r"-?[0-9]+", val)):
            faults.append("%s: attribute %s: %s is %r" % (where, a["key"], kind, val))
            continue
        out[a["key"]] = int(val) if kind == "intValue" else val
    return out


def check_span(s, where, faults):
    if not isinstance(s, dict):
        faults.append("%s: not an object" % where)
        return None
    extra = set(s) - SPAN_MEMBERS
    if extra:
        faults.append("%s: unknown members %s" % (where, sorted(extra)))
    if not isinstance(s.get("traceId"), str) or not HEX32.match(s["traceId"]) or set(s["traceId"]) == {"0"}:
        faults.append("%s: traceId %r" % (where, s.get("traceId")))
    if not isinstance(s.get("spanId"), str) or not HEX16.match(s["spanId"]) or set(s["spanId"]) == {"0"}:
        faults.append("%s: spanId %r" % (where, s.get("spanId")))
    if "parentSpanId" in s and not (isinstance(s["parentSpanId"], str) and HEX16.match(s["parentSpanId"])):
        faults.append("%s: parentSpanId %r" % (where, s["parentSpanId"]))
    if not isinstance(s.get("name"), str) or not s["name"]:
        faults.append("%s: name %r" % (where, s.get("name")))
    if not isinstance(s.get("kind"), int) or not 0 <= s["kind"] <= 5:
        faults.append("%s: kind %r" % (where, s.get("kind")))
    times = []
    for k in ("startTimeUnixNano", "endTimeUnixNano"):
        v = s.get(k)
        if not isinstance(v, str) or not DIGITS.match(v):
            faults.append("%s: %s is not a decimal string: %r" % (where, k, v))
        else:
            times.append(int(v))
    if len(times) == 2:
        now = time.time_ns()
        if times[1] < times[0]:
            faults.append("%s: ends before it starts" % where)
        if abs(times[0] - now) > 3600 * 10**9:
            faults.append("%s: starts far from now: %d" % (where, times[0]))
    attrs = check_attributes(s.get("attributes", []), where, faults)
    status = s.get("status", {})
    if not isinstance(status, dict) or status.get("code", 0) not in (0, 1, 2):
        faults.append("%s: status %r" % (where, status))
    return {"traceId": s.get("traceId"), "spanId": s.get("spanId"),
            "parentSpanId": s.get("parentSpanId"), "name": s.get("name"), "kind": s.get("kind"),
            "start": times[0] if times else None, "end": times[-1] if times else None,
            "attributes": attrs, "status": status.get("code", 0) if isinstance(status, dict) else None}


def check_body(body):
    """(spans, faults) of one export request."""
    faults, spans = [], []
    if not isinstance(body, dict) or set(body) != {"resourceSpans"} or not isinstance(body["resourceSpans"], list):
        return [], ["the body is not {\"resourceSpans\": [...]}"]
    for i, rs in enumerate(body["resourceSpans"]):
        where = "resourceSpans[%d]" % i
        if not isinstance(rs, dict) or not isinstance(rs.get("resource"), dict):
            faults.append("%s: no resource" % where)
            continue
        resource = check_attributes(rs["resource"].get("attributes"), where + ".resource", faults)
        if not isinstance(resource.get("service.name"), str) or not resource["service.name"]:
            faults.append("%s: no service.name string" % where)
        if not isinstance(rs.get("scopeSpans"), list):
            faults.append("%s: no scopeSpans list" % where)
            continue
        for j, ss in enumerate(rs["scopeSpans"]):
            w = "%s.scopeSpans[%d]" % (where, j)
            if not isinstance(ss, dict) or not isinstance(ss.get("scope", {}).get("name"), str) \
                    or not isinstance(ss.get("spans"), list):
                faults.append("%s: no scope name or spans list" % w)
                continue
            for k, s in enumerate(ss["spans"]):
                span = check_span(s, "%s.spans[%d]" % (w, k), faults)
                if span:
                    span["resource"] = resource
                    span["scope"] = ss["scope"]["name"]
                    spans.append(span)
    return spans, faults


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        srv = self.server
        with srv.lock:
            srv.requests += 1
            refuse = srv.requests <= srv.refuse
        if refuse:
            return self.answer(503, {"code": 14, "message": "unavailable"})
        faults = []
        if self.path != "/v1/traces":
            faults.append("path %s, not /v1/traces" % self.path)
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            faults.append("Content-Type %r" % self.headers.get("Content-Type"))
        try:
            body = json.loads(raw)
        except ValueError as e:
            body = None
            faults.append("not JSON: %s" % e)
        spans = []
        if body is not None:
            spans, more = check_body(body)
            faults += more
        with srv.lock, open(srv.log_path, "a") as log:
            if faults:
                log.write(json.dumps({"error": faults}) + "\n")
            for s in spans if not faults else []:
                log.write(json.dumps(s) + "\n")
        self.answer(400 if faults else 200, {"partialSuccess": {}} if not faults else {"message": "; ".join(faults)})

    def answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--refuse", type=int, default=0)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.lock = threading.Lock()
    srv.requests = 0
    srv.refuse = a.refuse
    srv.log_path = a.log
    open(a.log, "w").close()
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.replace(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
