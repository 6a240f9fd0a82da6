"""Generation runs in a bounded worker pool; the poller keeps answering."""
import concurrent.futures
import time

from conftest import HIGH_LIMITS


def test_full_queue_answers_503_with_retry_after_and_health_keeps_answering(fresh_server,
                                                                               blog_text):
    s = fresh_server(args=[*HIGH_LIMITS, "--workers", "1", "--queue", "1"])
    body = blog_text.encode()
    headers = {"Content-Type": "application/json", **s.auth()}

    def generate(_):
        with s.client() as c:
            return c.post("/api/v1/generate", content=body, headers=headers)

    def health(_):
        with s.client() as c:
            t0 = time.time()
            r = c.get("/health")
            return r.status_code, time.time() - t0

    with concurrent.futures.ThreadPoolExecutor(max_workers=48) as ex:
        gens = [ex.submit(generate, i) for i in range(40)]
        checks = [ex.submit(health, i) for i in range(8)]
        results = [g.result() for g in gens]
        healths = [h.result() for h in checks]

    codes = [r.status_code for r in results]
    assert set(codes) <= {200, 503}, codes
    assert 200 in codes
    busy = [r for r in results if r.status_code == 503]
    assert busy, "40 generations at once never filled a queue of 1"
    assert all(r.headers["Retry-After"] == "1" for r in busy)
    assert all(r.json()["error"]["code"] == "busy" for r in busy)
    assert all(code == 200 for code, _ in healths)
    with s.client() as c:
        assert 'backbone_generations_total{instance="t1",outcome="busy"}' in c.get("/metrics").text


def test_identical_invalid_requests_each_get_their_own_answer(fresh_server):
    from test_endpoints import BAD_SCHEMA
    s = fresh_server(args=[*HIGH_LIMITS, "--workers", "1"])
    headers = {"Content-Type": "application/json", **s.auth()}

    def generate(_):
        with s.client() as c:
            return c.post("/api/v1/generate", content=BAD_SCHEMA.encode(), headers=headers)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        results = list(ex.map(generate, range(8)))
    assert all(r.status_code == 422 for r in results)
    for r in results:
        assert r.json()["error"]["request_id"] == r.headers["X-Request-ID"]


def big_body(size=10 * 1024 * 1024 - 4096):
    """A schema of about size bytes whose extra member has many keys: slow to
    validate (about a second), quick to send."""
    head, tail = '{"project_name":"x","db_type":"sqlite","schema":[],"extra":{', "}}"
    keys = []
    n = len(head) + len(tail)
    i = 0
    while n < size:
        k = '"k%d":1' % i
        keys.append(k)
        n += len(k) + 1
        i += 1
    return (head + ",".join(keys) + tail).encode()


def test_large_validations_leave_the_polling_thread_free(fresh_server):
    s = fresh_server(args=[*HIGH_LIMITS, "--threads", "1", "--workers", "1"])
    body = big_body()
    headers = {"Content-Type": "application/json", **s.auth()}

    def validate(_):
        with s.client() as c:
            return c.post("/api/v1/validate", content=body, headers=headers).status_code

    # One worker takes them in turn: six take over a second even in a fast
    # build, so a stalled liveness probe would show.
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as ex:
        t0 = time.monotonic()
        runs = [ex.submit(validate, i) for i in range(6)]
        worst = 0.0
        with s.client() as c:
            while not all(r.done() for r in runs):
                t = time.monotonic()
                assert c.get("/health/liveness").status_code == 200
                worst = max(worst, time.monotonic() - t)
                time.sleep(0.05)
        took = time.monotonic() - t0
        codes = [r.result() for r in runs]
    assert all(code in (200, 422) for code in codes), codes
    assert took > 1.0, "the validations were too quick to tell (%.2fs)" % took
    assert worst < min(0.5, took / 4), "liveness waited %.2fs of %.2fs" % (worst, took)
