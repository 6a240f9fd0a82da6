"""Fixtures of the HTTP service tests: real `backbone serve` processes on
free loopback ports, driven with httpx.

BACKBONE names the binary (tests/integration/server.sh sets it)."""
import base64
import hashlib
import hmac
import json
import os
import pathlib
import signal
import subprocess
import tempfile
import time

import httpx
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("BACKBONE_SHARED", ROOT.parent / "shared"))
JWT_SECRET = "test-secret-0123456789-abcdefghijklmnop"


def blog_schema_path():
    own = ROOT / "schemas" / "blog.json"
    return own if own.exists() else SHARED / "compat" / "backbone-ai" / "examples" / "blog_schema.json"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(payload, secret=JWT_SECRET, header=None, alg="sha256"):
    header = header or {"alg": "HS256", "typ": "JWT"}
    signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
    if alg is None:
        return signing + "."
    mac = hmac.new(secret.encode(), signing.encode(), getattr(hashlib, alg)).digest()
    return signing + "." + b64url(mac)

# Every metric is labelled with the replica's name.
INSTANCE = "t1"


class Server:
    """One `backbone serve` process and what it needs."""

    def __init__(self, args=(), env=None, keys=True, jwt=True, keys_mode=None):
        self.binary = os.environ["BACKBONE"]
        self.dir = tempfile.mkdtemp(prefix="bb-serve-")
        self.keys_file = os.path.join(self.dir, "api-keys")
        self.key = None
        if keys:
            out = subprocess.run(
                [self.binary, "keys", "new", "tests", "--api-keys-file", self.keys_file],
                check=True, capture_output=True, text=True)
            self.key = out.stdout.strip()
            if keys_mode is not None:
                os.chmod(self.keys_file, keys_mode)
        full_env = {k: v for k, v in os.environ.items()
                    if k not in ("BACKBONE_API_KEYS", "BACKBONE_JWT_SECRET")}
        full_env["XDG_CONFIG_HOME"] = self.dir
        full_env["BACKBONE_INSTANCE"] = INSTANCE
        if jwt:
            full_env["BACKBONE_JWT_SECRET"] = JWT_SECRET
        full_env.update(env or {})
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "w")
        cmd = [self.binary, "serve", "--port", "0", "--api-keys-file", self.keys_file, *args]
        self.proc = subprocess.Popen(cmd, stderr=self.log, stdout=subprocess.DEVNULL, env=full_env)
        self.port = self._wait_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def _wait_port(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.read_log())
            for line in self.read_log().splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("msg") == "listening":
                    return rec["port"]
            time.sleep(0.05)
        raise RuntimeError("server did not start: " + self.read_log())

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def log_records(self):
        out = []
        for line in self.read_log().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def wait_log(self, match, timeout=30):
        """The first log record for which match(record) is true, waiting for
        it: a request's line is written once its answer has been sent, so a
        client may see the answer before the line is in the log."""
        deadline = time.monotonic() + timeout
        while True:
            found = [rec for rec in self.log_records() if match(rec)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError("no such log record in %ss: %s" % (timeout, self.read_log()[-4000:]))
            time.sleep(0.02)

    def wait_metric(self, line_start, predicate, timeout=30):
        """Polls /metrics until the sample whose line starts with line_start
        satisfies predicate(value); returns the value."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            with self.client() as c:
                for line in c.get("/metrics").text.splitlines():
                    if line.startswith(line_start + " "):
                        value = float(line.split()[-1])
            if value is not None and predicate(value):
                return value
            time.sleep(0.02)
        raise AssertionError("%s stayed at %s" % (line_start, value))

    def client(self, **kw):
        return httpx.Client(base_url=self.url, timeout=60, **kw)

    def auth(self):
        return {"X-API-Key": self.key}

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


HIGH_LIMITS = ["--rate-public", "100000", "--rate-authenticated", "100000",
               "--rate-generate", "100000", "--rate-generate-hour", "100000",
               "--rate-validate", "100000"]


@pytest.fixture(scope="session")
def server():
    s = Server(args=[*HIGH_LIMITS, "--cors-origin", "https://app.example"])
    yield s
    assert s.stop() == 0, s.read_log()


@pytest.fixture
def fresh_server():
    made = []

    def make(*args, **kw):
        s = Server(*args, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


@pytest.fixture(scope="session")
def blog_text():
    return blog_schema_path().read_text()


@pytest.fixture(scope="session")
def blog(blog_text):
    return json.loads(blog_text)
