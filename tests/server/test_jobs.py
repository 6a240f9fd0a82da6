"""Jobs (generation with a model): owned by their submitter, capped per
key, kept apart from capacity once finished, cancelled by DELETE, by their
deadline and by SIGTERM."""
import json
import signal
import socket
import threading
import time

import pytest

from conftest import HIGH_LIMITS, make_jwt

CLOSED = "http://127.0.0.1:9"  # nobody listens: the model fails at once


@pytest.fixture
def silent_model():
    """A loopback 'model' that takes connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    held = []
    stop = threading.Event()

    def accept():
        s.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(s.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d" % s.getsockname()[1]
    stop.set()
    t.join(2)
    for c in held:
        c.close()
    s.close()


def model_env(url):
    return {"BACKBONE_LLM_BASE_URL": url, "OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": "",
            "BACKBONE_LLM_PROVIDER": "openai", "BACKBONE_LLM_MAX_ATTEMPTS": "1"}


def advise(c, blog, headers):
    return c.post("/api/v1/generate", content=json.dumps({"schema": blog, "options": {"llm": "advise"}}),
                  headers={"Content-Type": "application/json", **headers})


def wait_state(c, url, headers, states=("done", "failed", "cancelled"), timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = c.get(url, headers=headers).json()
        if st["state"] in states:
            return st
        time.sleep(0.1)
    raise AssertionError("job stayed %s" % st["state"])


def test_a_job_is_seen_and_cancelled_only_by_its_owner(fresh_server, blog, silent_model):
    s = fresh_server(args=HIGH_LIMITS, env=model_env(silent_model))
    other = {"Authorization": "Bearer " + make_jwt({"sub": "mallory", "exp": int(time.time()) + 300})}
    with s.client() as c:
        r = advise(c, blog, s.auth())
        assert r.status_code == 202, r.text
        url = r.json()["status_url"]
        assert c.get(url, headers=other).status_code == 404
        assert c.delete(url, headers=other).status_code == 404
        assert c.get(url, headers=s.auth()).json()["state"] in ("queued", "running")
        d = c.delete(url, headers=s.auth())
        assert d.status_code == 202
        st = wait_state(c, url, s.auth(), timeout=10)
        assert st["state"] == "cancelled" and st["status"] == 499
        assert c.delete(url, headers=s.auth()).status_code == 204  # forgets it
        assert c.get(url, headers=s.auth()).status_code == 404


def test_running_jobs_are_capped_per_key_with_an_honest_retry_after(fresh_server, blog,
                                                                     silent_model):
    s = fresh_server(args=[*HIGH_LIMITS, "--max-jobs-per-key", "1", "--job-timeout", "120"],
                     env=model_env(silent_model))
    with s.client() as c:
        first = advise(c, blog, s.auth())
        assert first.status_code == 202
        second = advise(c, blog, s.auth())
        assert second.status_code == 429, second.text
        assert second.json()["error"]["code"] == "too_many_jobs"
        # The first job is sure to end by its deadline, 120 s after it began.
        assert 100 <= int(second.headers["Retry-After"]) <= 120
        c.delete(first.json()["status_url"], headers=s.auth())


def test_a_job_past_its_deadline_is_cancelled(fresh_server, blog, silent_model):
    s = fresh_server(args=[*HIGH_LIMITS, "--job-timeout", "2"], env=model_env(silent_model))
    with s.client() as c:
        r = advise(c, blog, s.auth())
        t0 = time.monotonic()
        st = wait_state(c, r.json()["status_url"], s.auth(), timeout=15)
    assert st["state"] == "cancelled" and st["status"] == 504, st
    assert time.monotonic() - t0 < 6


def test_finished_results_never_take_a_running_slot(fresh_server, blog):
    s = fresh_server(args=[*HIGH_LIMITS, "--max-jobs", "1", "--job-results", "1"],
                     env=model_env(CLOSED))
    with s.client() as c:
        for _ in range(3):
            r = advise(c, blog, s.auth())
            assert r.status_code == 202, r.text
            assert wait_state(c, r.json()["status_url"], s.auth())["state"] == "done"


def test_sigterm_cancels_running_jobs_and_says_how_many(fresh_server, blog, silent_model):
    s = fresh_server(args=[*HIGH_LIMITS, "--shutdown-grace", "10"], env=model_env(silent_model))
    with s.client() as c:
        assert advise(c, blog, s.auth()).status_code == 202
    time.sleep(0.3)
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    assert s.proc.wait(timeout=30) == 0
    assert time.monotonic() - t0 < 5, "the job was not cancelled: the grace ran out"
    stopping = s.wait_log(lambda r: r.get("msg", "").startswith("stopped accepting"))
    stopped = s.wait_log(lambda r: r.get("msg") == "stopped")
    assert stopping["jobs_cancelled"] == 1
    assert stopped["jobs_unfinished"] == 0
