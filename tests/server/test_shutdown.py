"""SIGTERM stops gracefully: requests in flight finish, the exit code is 0."""
import signal
import socket
import threading
import time

import httpx


def wait_in_flight(s):
    """Until the server has the test's request in hand (the /metrics request
    that asks is in flight too), so SIGTERM finds it in flight."""
    s.wait_metric('backbone_http_requests_in_flight{instance="t1"}', lambda v: v >= 2)


def test_sigterm_lets_a_slow_request_finish_and_exits_zero(fresh_server, blog_text):
    s = fresh_server()
    data = blog_text.encode()
    result = {}
    sent_half = threading.Event()

    def slow_body():
        # The body arrives over about two seconds; SIGTERM comes mid-way.
        step = max(1, len(data) // 20)
        for i in range(0, len(data), step):
            yield data[i:i + step]
            if i >= len(data) // 2:
                sent_half.set()
            time.sleep(0.1)

    def client():
        try:
            with httpx.Client(base_url=s.url, timeout=60) as c:
                result["r"] = c.post("/api/v1/validate", content=slow_body(),
                                     headers={"Content-Type": "application/json", **s.auth()})
        except Exception as e:  # reported below
            result["e"] = e

    t = threading.Thread(target=client)
    t.start()
    assert sent_half.wait(30)
    wait_in_flight(s)
    s.proc.send_signal(signal.SIGTERM)
    t.join(60)
    assert "e" not in result, result.get("e")
    assert result["r"].status_code == 200, result["r"].text
    assert s.proc.wait(timeout=60) == 0, s.read_log()
    msgs = [rec.get("msg") for rec in s.log_records()]
    assert "shutting down" in msgs and "stopped" in msgs


def test_new_connections_are_refused_after_sigterm(fresh_server, blog_text):
    s = fresh_server()
    hold = threading.Event()

    def slow_body():
        yield blog_text.encode()[:10]
        hold.wait(10)
        yield blog_text.encode()[10:]

    result = {}

    def client():
        with httpx.Client(base_url=s.url, timeout=60) as c:
            result["r"] = c.post("/api/v1/validate", content=slow_body(),
                                 headers={"Content-Type": "application/json", **s.auth()})

    t = threading.Thread(target=client)
    t.start()
    wait_in_flight(s)
    s.proc.send_signal(signal.SIGTERM)
    s.wait_log(lambda rec: rec.get("msg", "").startswith("stopped accepting"))
    # Refused at once: the listening socket is closed, not left to queue
    # connections nobody will accept.
    t0 = time.monotonic()
    refused = False
    try:
        httpx.get(s.url + "/health", timeout=5)
    except httpx.ConnectError:
        refused = True
    took = time.monotonic() - t0
    hold.set()
    t.join(30)
    assert refused and took < 1, took
    assert result["r"].status_code == 200
    assert s.proc.wait(timeout=30) == 0


def test_sigint_also_stops_cleanly(fresh_server):
    s = fresh_server()
    with s.client() as c:
        assert c.get("/health").status_code == 200
    assert s.stop(signal.SIGINT) == 0


def slow_validate(s, blog_text, release):
    """Starts a validation whose body waits for release; returns its thread
    and where its answer lands."""
    result = {}
    body = blog_text.encode()

    def parts():
        yield body[:10]
        release.wait(20)
        yield body[10:]

    def client():
        with httpx.Client(base_url=s.url, timeout=60) as c:
            result["r"] = c.post("/api/v1/validate", content=parts(),
                                 headers={"Content-Type": "application/json", **s.auth()})

    t = threading.Thread(target=client)
    t.start()
    return t, result


def test_idle_keep_alive_connections_close_at_once_and_a_begun_request_is_answered(
        fresh_server, blog_text):
    s = fresh_server()
    idle = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert idle.recv(4096).startswith(b"HTTP/1.1 200")
    begun = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    begun.sendall(b"GET /health HTTP/1.1\r\n")  # its request line, and no more yet
    release = threading.Event()
    t, result = slow_validate(s, blog_text, release)
    wait_in_flight(s)
    s.proc.send_signal(signal.SIGTERM)
    s.wait_log(lambda rec: rec.get("msg", "").startswith("stopped accepting"))
    # The idle connection is closed while the validation is still in flight.
    idle.settimeout(2)
    assert idle.recv(4096) == b""
    # The validation ends; the begun request is still answered after it.
    release.set()
    t.join(30)
    assert result["r"].status_code == 200
    time.sleep(0.3)
    begun.sendall(b"Host: x\r\n\r\n")
    begun.settimeout(5)
    answer = b""
    while True:
        chunk = begun.recv(4096)
        if not chunk:
            break
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b"Connection: close" in answer
    idle.close()
    begun.close()
    assert s.proc.wait(timeout=30) == 0
