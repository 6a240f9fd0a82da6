"""soak.py - mixed good and bad traffic against `backbone serve` on
loopback for a fixed time; counts answers by status and samples the
server's RSS once a second. Prints the figures; exits 1 on any 5xx answer
or when RSS keeps growing.

    python3 bench/soak.py BACKBONE SECONDS
"""
import collections
import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

import httpx

BINARY, SECONDS = sys.argv[1], float(sys.argv[2])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = "bb_soak-key-0123456789"
BLOG = open(os.path.join(ROOT, "schemas", "blog.json"), "rb").read()

work = tempfile.mkdtemp(prefix="bb-soak-")
with open(os.path.join(work, "keys"), "w") as f:
    f.write("soak %s\n" % hashlib.sha256(KEY.encode()).hexdigest())
log = open(os.path.join(work, "log"), "w")
server = subprocess.Popen(
    [BINARY, "serve", "--port", "0", "--api-keys-file", os.path.join(work, "keys"),
     "--rate-authenticated", "0", "--rate-validate", "0", "--rate-generate", "0",
     "--rate-generate-hour", "0", "--rate-public", "200", "--header-timeout", "2",
     "--body-timeout", "2"],
    stderr=log, stdout=subprocess.DEVNULL)
port = None
for _ in range(200):
    for line in open(os.path.join(work, "log")):
        if '"listening"' in line:
            port = json.loads(line)["port"]
    if port:
        break
    time.sleep(0.05)
if not port:
    sys.exit("soak: the server did not start")
BASE = "http://127.0.0.1:%d" % port
AUTH = {"X-API-Key": KEY}
JSON = {"Content-Type": "application/json"}

counts = collections.Counter()
lock = threading.Lock()
stop = threading.Event()


def tally(kind, status):
    with lock:
        counts[(kind, status)] += 1


def raw(data, read=True):
    """Sends data on a fresh connection; the status of the first answer,
    or 0 when the server closed without one."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(data)
            if not read:
                return 0
            head = s.recv(64)
            return int(head[9:12]) if head.startswith(b"HTTP/1.") else 0
    except (OSError, ValueError):
        return 0


def good(c):
    kind = random.choice(["validate", "validate", "generate", "health", "metrics", "status"])
    if kind == "validate":
        r = c.post("/api/v1/validate", content=BLOG, headers={**JSON, **AUTH})
    elif kind == "generate":
        r = c.post("/api/v1/generate", content=BLOG, headers={**JSON, **AUTH})
    elif kind == "health":
        r = c.get("/health/readiness")
    elif kind == "metrics":
        r = c.get("/metrics")
    else:
        r = c.get("/api/v1/status")
    tally(kind, r.status_code)


BAD = {
    "wrong key": lambda c: c.post("/api/v1/validate", content=BLOG,
                                  headers={**JSON, "X-API-Key": "bb_guess"}).status_code,
    "bad token": lambda c: c.post("/api/v1/validate", content=BLOG,
                                  headers={**JSON, "Authorization": "Bearer a.b.c"}).status_code,
    "malformed json": lambda c: c.post("/api/v1/validate", content=b'{"project_name": ,}',
                                       headers={**JSON, **AUTH}).status_code,
    "invalid schema": lambda c: c.post("/api/v1/generate", content=b'{"project_name": 1}',
                                       headers={**JSON, **AUTH}).status_code,
    "wrong type": lambda c: c.post("/api/v1/validate", content=BLOG,
                                   headers={"Content-Type": "text/plain", **AUTH}).status_code,
    "unknown route": lambda c: c.get("/nowhere/%d" % random.randrange(10**6)).status_code,
    "invented method": lambda c: c.request("M%d" % random.randrange(10**6), "/health").status_code,
    "unknown job": lambda c: c.get("/api/v1/jobs/" + "0" * 32, headers=AUTH).status_code,
    "declared too large": lambda c: raw(
        b"POST /api/v1/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-API-Key: " + KEY.encode() + b"\r\nContent-Length: 999999999\r\n\r\n"),
    "body on a GET": lambda c: raw(b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n"),
    "two lengths": lambda c: raw(b"POST /api/v1/validate HTTP/1.1\r\nHost: x\r\n"
                                 b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
    "no host": lambda c: raw(b"GET /health HTTP/1.1\r\n\r\n"),
    "not ascii": lambda c: raw(b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n"),
    "escaped path": lambda c: raw(b"GET /heal%74h%00 HTTP/1.1\r\nHost: x\r\n\r\n"),
    "half a request": lambda c: raw(b"POST /api/v1/validate HTTP/1.1\r\nHost: x\r\n"
                                    b"Content-Length: 100\r\n\r\n{", read=False),
}


def bad(c):
    kind = random.choice(sorted(BAD))
    tally(kind, BAD[kind](c))


def slowloris():
    """Holds connections that never finish their headers."""
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
                while not stop.is_set():
                    s.sendall(b"X-Slow: 1\r\n")
                    time.sleep(0.5)
        except OSError:
            tally("slowloris cut off", 408)


def worker(fn):
    with httpx.Client(base_url=BASE, timeout=60) as c:
        while not stop.is_set():
            try:
                fn(c)
            except httpx.HTTPError as e:
                tally("client error " + type(e).__name__, 0)


def rss_kib():
    with open("/proc/%d/status" % server.pid) as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


threads = [threading.Thread(target=worker, args=(good,)) for _ in range(4)]
threads += [threading.Thread(target=worker, args=(bad,)) for _ in range(4)]
threads += [threading.Thread(target=slowloris) for _ in range(4)]
for t in threads:
    t.start()
samples = []
t0 = time.monotonic()
while time.monotonic() - t0 < SECONDS:
    time.sleep(1)
    samples.append(rss_kib())
stop.set()
for t in threads:
    t.join(30)
server.terminate()
server.wait(30)

total = sum(counts.values())
errors = sum(n for (kind, status), n in counts.items() if status >= 500)
print("soak: %.0f s, %d requests (%.0f/s), 5xx answers: %d" % (SECONDS, total, total / SECONDS, errors))
by_status = collections.Counter()
for (kind, status), n in counts.items():
    by_status[status] += n
print("  by status: " + ", ".join("%s: %d" % (s, n) for s, n in sorted(by_status.items())))
for (kind, status), n in sorted(counts.items()):
    print("  %-22s %3s  %d" % (kind, status, n))
# Flat: after the first tenth (warm-up), the last quarter's RSS is within
# 10% (and 4 MiB) of the second quarter's.
q = max(1, len(samples) // 4)
warm = samples[max(1, len(samples) // 10):] or samples
early, late = max(warm[:q]), max(samples[-q:])
flat = late <= early * 1.10 + 4096
print("  server RSS: %.1f MiB after warm-up, %.1f MiB at the end, %.1f MiB at most (%s)"
      % (early / 1024, late / 1024, max(samples) / 1024, "flat" if flat else "GROWING"))
sys.exit(0 if errors == 0 and flat else 1)
