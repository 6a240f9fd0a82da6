"""SIGTERM stops gracefully: requests in flight finish, the exit code is 0."""
import signal
import threading
import time

import httpx


def wait_in_flight(s):
    """Until the server has the test's request in hand (the /metrics request
    that asks is in flight too), so SIGTERM finds it in flight."""
    s.wait_metric("backbone_http_requests_in_flight", lambda v: v >= 2)


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
    refused = False
    try:
        httpx.get(s.url + "/health", timeout=2)
    except httpx.TransportError:
        refused = True
    hold.set()
    t.join(30)
    assert refused
    assert result["r"].status_code == 200
    assert s.proc.wait(timeout=30) == 0


def test_sigint_also_stops_cleanly(fresh_server):
    s = fresh_server()
    with s.client() as c:
        assert c.get("/health").status_code == 200
    assert s.stop(signal.SIGINT) == 0
