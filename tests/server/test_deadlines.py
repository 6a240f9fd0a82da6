"""A request's headers and body have deadlines that no trickle of bytes
resets (slowloris); an idle keep-alive connection is closed after the
header deadline too."""
import socket
import time

from conftest import HIGH_LIMITS


def read_until_closed(sock, limit):
    """Everything sock receives until the peer closes it; fails after limit
    seconds."""
    sock.settimeout(limit)
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk


def trickle(sock, pieces, every, stop_after):
    """Sends pieces one by one, every seconds, until the server closes the
    connection or stop_after seconds pass; returns the seconds it took."""
    t0 = time.monotonic()
    for piece in pieces:
        try:
            sock.sendall(piece)
        except OSError:
            break
        time.sleep(every)
        if time.monotonic() - t0 > stop_after:
            break
    return time.monotonic() - t0


def test_headers_trickled_in_are_cut_off_at_their_deadline(fresh_server):
    s = fresh_server(args=[*HIGH_LIMITS, "--header-timeout", "2", "--timeout", "30"])
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as k:
        t0 = time.monotonic()
        k.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        trickle(k, [b"X-Slow-%d: y\r\n" % i for i in range(40)], 0.25, 6)
        answer = read_until_closed(k, 6)
        took = time.monotonic() - t0
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert took < 4, "closed after %.1fs" % took


def test_a_body_trickled_in_is_cut_off_at_its_deadline(fresh_server, blog_text):
    s = fresh_server(args=[*HIGH_LIMITS, "--body-timeout", "2", "--timeout", "30"])
    body = blog_text.encode()
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as k:
        t0 = time.monotonic()
        k.sendall(b"POST /api/v1/validate HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nX-API-Key: " + s.key.encode()
                  + b"\r\nContent-Length: %d\r\n\r\n" % len(body))
        trickle(k, [body[i:i + 1] for i in range(len(body))], 0.25, 6)
        read_until_closed(k, 6)
        took = time.monotonic() - t0
    assert took < 4, "closed after %.1fs" % took
    rec = s.wait_log(lambda r: r.get("msg") == "request" and r.get("path") == "/api/v1/validate")
    assert rec["status"] == 408


def test_an_idle_connection_is_closed_after_the_header_deadline(fresh_server):
    s = fresh_server(args=[*HIGH_LIMITS, "--header-timeout", "1", "--timeout", "30"])
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as k:
        k.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        k.settimeout(5)
        first = k.recv(4096)
        assert first.startswith(b"HTTP/1.1 200"), first[:100]
        t0 = time.monotonic()
        rest = read_until_closed(k, 5)
        took = time.monotonic() - t0
    assert rest == b""
    assert took < 3, "closed after %.1fs" % took
