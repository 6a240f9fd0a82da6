"""Observability across replicas: the instance label, request ids and W3C
traceparent headers read, logged and answered."""
import json
import re

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def validate(c, blog_text, headers):
    return c.post("/api/v1/validate", content=blog_text.encode(),
                  headers={"Content-Type": "application/json", **headers})


def request_line(server, request_id):
    return server.wait_log(lambda r: r.get("msg") == "request" and r.get("request_id") == request_id)


def test_a_valid_traceparent_makes_the_request_a_child(server, blog_text):
    with server.client() as c:
        r = validate(c, blog_text, {**server.auth(), "X-Request-Id": "trace-child-1",
                                    "traceparent": "00-%s-%s-01" % (TRACE, PARENT)})
    assert r.status_code == 200
    assert r.headers["X-Request-ID"] == "trace-child-1"
    line = request_line(server, "trace-child-1")
    assert line["trace_id"] == TRACE
    assert line["parent_span_id"] == PARENT
    assert re.fullmatch("[0-9a-f]{16}", line["span_id"]) and line["span_id"] != PARENT


def test_an_invalid_traceparent_starts_a_new_trace(server, blog_text):
    bad = ["00-%s-%s-01" % (TRACE.upper(), PARENT),          # uppercase
           "00-%s-0000000000000000-01" % TRACE,                # zero parent
           "ff-%s-%s-01" % (TRACE, PARENT),                    # version ff
           "00-%s-%s-01-extra" % (TRACE, PARENT),              # 00 with more
           "garbage"]
    with server.client() as c:
        for i, value in enumerate(bad):
            rid = "trace-bad-%d" % i
            r = validate(c, blog_text, {**server.auth(), "X-Request-Id": rid, "traceparent": value})
            assert r.status_code == 200
            line = request_line(server, rid)
            assert re.fullmatch("[0-9a-f]{32}", line["trace_id"]), line
            assert line["trace_id"] != TRACE.lower(), value
            assert "parent_span_id" not in line, value


def test_without_a_traceparent_every_request_has_its_own_trace(server, blog_text):
    with server.client() as c:
        for rid in ("trace-own-1", "trace-own-2"):
            assert validate(c, blog_text, {**server.auth(), "X-Request-Id": rid}).status_code == 200
    a, b = request_line(server, "trace-own-1"), request_line(server, "trace-own-2")
    assert a["trace_id"] != b["trace_id"]


def test_the_instance_labels_every_metric(fresh_server):
    s = fresh_server(args=["--instance", "replica-7"])
    with s.client() as c:
        c.get("/health")
        text = c.get("/metrics").text
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert samples
    for line in samples:
        assert '{instance="replica-7"' in line, line
    listening = s.wait_log(lambda r: r.get("msg") == "listening")
    assert listening["instance"] == "replica-7"


def test_a_bad_instance_name_is_refused(tmp_path):
    import os
    import subprocess
    out = subprocess.run([os.environ["BACKBONE"], "serve", "--port", "0", "--instance", "a b"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "--instance" in out.stderr
