"""Requests whose end is in doubt (RFC 9112) are answered 400 and their
connection closed: nothing after them is read as another request."""
import socket

import pytest

BODY = b'{"project_name":"x","db_type":"sqlite","schema":[]}'
SMUGGLED = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"


def exchange(server, data, timeout=5):
    """Sends data on a fresh connection; returns all the server sends until
    it closes (or the timeout)."""
    out = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        s.sendall(data)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out, True
                out += chunk
        except socket.timeout:
            return out, False


def post(headers, body):
    return (b"POST /api/v1/validate HTTP/1.1\r\nContent-Type: application/json\r\n"
            + headers + b"\r\n" + body)


def chunked(body):
    return b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"


CASES = {
    "two Content-Length values": post(b"Host: x\r\nContent-Length: 5\r\nContent-Length: %d\r\n"
                                      % len(BODY), BODY),
    "Content-Length with chunked": post(b"Host: x\r\nContent-Length: 5\r\n"
                                        b"Transfer-Encoding: chunked\r\n", chunked(BODY)),
    "a blank before the colon": post(b"Host: x\r\nTransfer-Encoding : chunked\r\n", chunked(BODY)),
    "a coding other than chunked": post(b"Host: x\r\nTransfer-Encoding: gzip, chunked\r\n",
                                        chunked(BODY)),
    "no Host in HTTP/1.1": b"GET /health HTTP/1.1\r\n\r\n",
    "two Host headers": b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_ambiguous_framing_is_400_and_the_connection_closes(server, case):
    out, closed = exchange(server, CASES[case] + SMUGGLED)
    assert out.startswith(b"HTTP/1.1 400 "), (case, out[:300])
    head, _, _ = out.partition(b"\r\n\r\n")
    assert b"Connection: close" in head, head
    assert closed, "the connection stayed open"
    assert b"healthy" not in out, out  # the smuggled request was not answered


def test_malformed_content_length_is_400_and_the_connection_closes(server):
    # libmicrohttpd refuses this one itself, before the service sees it.
    out, closed = exchange(server, post(b"Host: x\r\nContent-Length: 1x\r\n", BODY) + SMUGGLED)
    assert out.startswith(b"HTTP/1.1 400 "), out[:300]
    assert closed
    assert b"healthy" not in out


def test_http_1_0_without_host_is_served(server):
    out, _ = exchange(server, b"GET /health HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200") or out.startswith(b"HTTP/1.0 200"), out[:200]


def test_the_path_is_routed_as_sent(server):
    # "%74" is "t" and "%00" a NUL: decoded, both paths routed to /health.
    for path in (b"/heal%74h", b"/health%00", b"/health%2F"):
        out, _ = exchange(server, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 404 "), (path, out[:200])


def test_bytes_that_are_not_ascii_never_reach_answers_or_logs(server):
    from conftest import JWT_SECRET, b64url
    import hashlib
    import hmac
    import json
    import time

    out, _ = exchange(server, b"GET /\xff\xfe/x HTTP/1.1\r\nHost: x\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 "), out[:200]
    body = out.partition(b"\r\n\r\n")[2]
    assert json.loads(body.decode("utf-8"))["error"]["code"] == "bad_request"
    # A token whose subject is not UTF-8 (its JSON says \xff raw) is logged
    # as an identity all the same.
    header = b64url(b'{"alg":"HS256","typ":"JWT"}')
    payload = b64url(b'{"sub":"\xff\xfeeve","exp":%d}' % (int(time.time()) + 300))
    signing = header + "." + payload
    sig = b64url(hmac.new(JWT_SECRET.encode(), signing.encode(), hashlib.sha256).digest())
    with server.client() as c:
        r = c.get("/api/v1/jobs/" + "0" * 32, headers={"Authorization": "Bearer " + signing + "." + sig})
    assert r.status_code == 404
    server.wait_log(lambda rec: rec.get("request_id") == r.headers["X-Request-ID"])
    with open(server.log_path, "rb") as f:
        for line in f:
            json.loads(line.decode("utf-8"))
