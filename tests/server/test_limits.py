"""Limits: body size, content type, malformed JSON, routing, rate limits."""
import json
import socket
import time

from conftest import HIGH_LIMITS


def post(c, path, body, headers=None, content_type="application/json"):
    h = {"Content-Type": content_type} if content_type else {}
    h.update(headers or {})
    return c.post(path, content=body, headers=h)


def test_body_over_limit_by_length_is_413_before_it_is_sent(server):
    # Declared length only: the server must answer without reading a body.
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(b"POST /api/v1/validate HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\n"
                  b"X-API-Key: " + server.key.encode() + b"\r\n"
                  b"Content-Length: 10485761\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 413"), data[:200]


def read_head(sock):
    """The status line and headers of the first answer on sock."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_a_route_without_a_body_refuses_one_before_it_is_sent(server):
    # 100 such requests used to hold 100 bodies of up to --max-body each.
    for framing in (b"Content-Length: 1048576\r\n", b"Transfer-Encoding: chunked\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n")
            head = read_head(s)
        assert head.startswith(b"HTTP/1.1 413"), head[:200]
        assert b"Connection: close" in head


def test_chunked_body_over_limit_is_413(server):
    def chunks():
        piece = b" " * (1024 * 1024)
        for _ in range(11):
            yield piece
        yield b"{}"

    with server.client() as c:
        r = c.post("/api/v1/validate", content=chunks(),
                   headers={"Content-Type": "application/json", **server.auth()})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


def test_chunked_body_within_limit_is_read(server, blog_text):
    def chunks():
        data = blog_text.encode()
        for i in range(0, len(data), 100):
            yield data[i:i + 100]

    with server.client() as c:
        r = c.post("/api/v1/validate", content=chunks(),
                   headers={"Content-Type": "application/json", **server.auth()})
    assert r.status_code == 200, r.text


def test_wrong_content_type_is_415(server, blog_text):
    with server.client() as c:
        r = post(c, "/api/v1/validate", blog_text.encode(), server.auth(), "text/plain")
        none = post(c, "/api/v1/validate", blog_text.encode(), server.auth(), None)
        ok = post(c, "/api/v1/validate", blog_text.encode(), server.auth(),
                  "application/json; charset=utf-8")
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "unsupported_media_type"
    assert none.status_code == 415
    assert ok.status_code == 200


def test_malformed_json_is_400_with_line_and_column(server):
    body = b'{\n  "project_name": "x",\n  "db_type": ,\n}'
    with server.client() as c:
        r = post(c, "/api/v1/validate", body, server.auth())
        g = post(c, "/api/v1/generate", body, server.auth())
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "malformed_json"
    assert err["line"] == 3 and err["column"] == 14
    assert "line 3, column 14" in err["message"]
    assert g.status_code == 400
    assert g.json()["error"]["line"] == 3


def test_malformed_json_inside_a_wrapper_counts_in_the_body(server):
    body = b'{"schema": {"project_name": "x",\n "db_type": "sqlite", "schema": [,]}}'
    with server.client() as c:
        r = post(c, "/api/v1/validate", body, server.auth())
    assert r.status_code == 400
    assert r.json()["error"]["line"] == 2


def test_empty_body_is_400(server):
    with server.client() as c:
        r = post(c, "/api/v1/validate", b"", server.auth())
    assert r.status_code == 400


def test_unknown_route_is_404(server):
    with server.client() as c:
        r = c.get("/api/v1/nothing")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_wrong_method_is_405_with_allow(server):
    with server.client() as c:
        r = c.get("/api/v1/validate")
        m = c.delete("/metrics")
    assert r.status_code == 405
    assert r.headers["Allow"] == "POST, OPTIONS"
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert m.status_code == 405
    assert "GET" in m.headers["Allow"] and "HEAD" in m.headers["Allow"]


def test_head_on_a_get_route_has_no_body(server):
    with server.client() as c:
        r = c.head("/health")
    assert r.status_code == 200 and r.content == b""


def test_rate_limit_gives_429_with_headers_and_recovers(fresh_server, blog_text):
    # Windows start on a whole second, so the four requests below have at
    # least five seconds to fit in one window, even on a loaded machine.
    s = fresh_server(args=["--rate-validate", "3", "--rate-window-seconds", "6"])
    with s.client() as c:
        seen = []
        for _ in range(3):
            r = post(c, "/api/v1/validate", blog_text.encode(), s.auth())
            assert r.status_code == 200, r.text
            seen.append(int(r.headers["X-RateLimit-Remaining"]))
            assert int(r.headers["X-RateLimit-Limit"]) == 3
            assert 1 <= int(r.headers["X-RateLimit-Reset"]) <= 6
        assert seen == [2, 1, 0]
        r = post(c, "/api/v1/validate", blog_text.encode(), s.auth())
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "rate_limited"
        retry = int(r.headers["Retry-After"])
        assert 1 <= retry <= 6
        assert r.headers["X-RateLimit-Limit"] == "3"
        assert r.headers["X-RateLimit-Remaining"] == "0"
        assert int(r.headers["X-RateLimit-Reset"]) == retry
        time.sleep(retry + 0.2)
        r = post(c, "/api/v1/validate", blog_text.encode(), s.auth())
        assert r.status_code == 200
        metrics = c.get("/metrics").text
    assert 'backbone_rate_limited_total{instance="t1",tier="validate"} 1' in metrics


def test_rate_limits_count_per_identity(fresh_server, blog_text):
    s = fresh_server(args=["--rate-validate", "1", "--rate-window-seconds", "30"])
    from conftest import make_jwt
    now = int(time.time())
    token = make_jwt({"sub": "dave", "exp": now + 300})
    with s.client() as c:
        assert post(c, "/api/v1/validate", blog_text.encode(), s.auth()).status_code == 200
        assert post(c, "/api/v1/validate", blog_text.encode(), s.auth()).status_code == 429
        jwt_r = post(c, "/api/v1/validate", blog_text.encode(),
                     {"Authorization": "Bearer " + token})
    assert jwt_r.status_code == 200


def test_public_tier_limits_by_address(fresh_server):
    s = fresh_server(args=["--rate-public", "2", "--rate-window-seconds", "30"])
    with s.client() as c:
        codes = [c.get("/api/v1/status").status_code for _ in range(3)]
        health = c.get("/health").status_code
    assert codes == [200, 200, 429]
    assert health == 200


def test_failed_credentials_are_rate_limited(fresh_server, blog_text):
    s = fresh_server(args=["--rate-public", "2", "--rate-window-seconds", "30"])
    with s.client() as c:
        codes = [post(c, "/api/v1/validate", blog_text.encode(), {"X-API-Key": "guess"}).status_code
                 for _ in range(3)]
        good = post(c, "/api/v1/validate", blog_text.encode(), s.auth()).status_code
    assert codes == [401, 401, 429]
    assert good == 200


def test_generate_has_its_own_minute_and_hour_limits(fresh_server, blog_text):
    s = fresh_server(args=["--rate-generate", "100", "--rate-generate-hour", "1",
                           "--rate-window-seconds", "1"])
    with s.client() as c:
        first = post(c, "/api/v1/generate", blog_text.encode(), s.auth())
        time.sleep(1.1)
        second = post(c, "/api/v1/generate", blog_text.encode(), s.auth())
    assert first.status_code != 429
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) > 1


def test_connection_limits_are_set(fresh_server):
    s = fresh_server(args=[*HIGH_LIMITS, "--max-per-ip", "2"])
    socks = [socket.create_connection(("127.0.0.1", s.port), timeout=5) for _ in range(3)]
    try:
        # The server's threads accept in any order: whichever connection
        # comes third to the server is the one refused.
        served = 0
        for k in socks:
            try:
                k.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                served += k.recv(100).startswith(b"HTTP/1.1 200")
            except OSError:
                pass
        assert served == 2, f"{served} of 3 connections from one address were served, not 2"
    finally:
        for k in socks:
            k.close()


def test_forwarded_for_counts_only_behind_a_trusted_proxy(fresh_server):
    plain = fresh_server(args=["--rate-public", "1", "--rate-window-seconds", "30"])
    with plain.client() as c:
        codes = [c.get("/api/v1/status", headers={"X-Forwarded-For": ip}).status_code
                 for ip in ("203.0.113.7", "203.0.113.8")]
    assert codes == [200, 429], "a client chose its own address"

    proxied = fresh_server(args=["--rate-public", "1", "--rate-window-seconds", "30",
                                 "--trusted-proxy", "127.0.0.1"])
    with proxied.client() as c:
        def status(xff):
            r = c.get("/api/v1/status", headers={"X-Forwarded-For": xff})
            return r.status_code, r.headers["X-Request-ID"]
        first = status("203.0.113.7")
        again = status("203.0.113.7")
        other = status("203.0.113.8")
        # What the client wrote left of the proxies' entries proves nothing.
        spoofed = status("203.0.113.8, 127.0.0.1")
    assert [first[0], again[0], other[0], spoofed[0]] == [200, 429, 200, 429]
    rec = proxied.wait_log(lambda r: r.get("request_id") == first[1])
    assert rec["identity"] == "ip:203.0.113.7"


def tables(n):
    """A schema of n small tables."""
    return json.dumps({
        "project_name": "many", "db_type": "sqlite", "description": "many tables",
        "schema": [{"table_name": "t%03d" % i, "class_name": "T%03d" % i,
                    "columns": [{"name": "id", "type": "Integer", "primary_key": True}]}
                   for i in range(n)]}).encode()


def test_schema_limits_are_the_operators_to_raise(fresh_server):
    body = tables(51)
    default = fresh_server(args=HIGH_LIMITS)
    raised = fresh_server(args=[*HIGH_LIMITS, "--max-tables", "60"])
    with default.client() as c:
        refused = post(c, "/api/v1/validate", body, default.auth())
    with raised.client() as c:
        accepted = post(c, "/api/v1/validate", body, raised.auth())
        generated = post(c, "/api/v1/generate", body, raised.auth())
    assert refused.status_code == 422, refused.text
    assert "BB0603" in {d["code"] for d in refused.json()["diagnostics"]}
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["valid"] is True
    assert generated.status_code == 200, generated.text[:500]
