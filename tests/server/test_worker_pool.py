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
        assert 'backbone_generations_total{outcome="busy"}' in c.get("/metrics").text


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
