"""fake_process.py - runs tests/fake_llm/fake_llm.py in a process, for
Python drivers (the fake's own rule checks, the draft bench).

    from fake_process import FakeProcess
    fake = FakeProcess(script_dict)      # started, listening
    fake.url, fake.log_path, fake.log(), fake.stop()
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_llm.py")


class FakeProcess:
    """The fake with a script, on a free loopback port, in its own folder."""

    def __init__(self, script, parent=None):
        self.dir = tempfile.mkdtemp(prefix="fake-llm-", dir=parent)
        path = os.path.join(self.dir, "script.json")
        with open(path, "w") as f:
            json.dump(script, f)
        self.log_path = os.path.join(self.dir, "log.jsonl")
        port_file = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen([sys.executable, FAKE, "--script", path, "--log",
                                      self.log_path, "--port-file", port_file])
        for _ in range(1000):
            if os.path.exists(port_file):
                break
            time.sleep(0.01)
        with open(port_file) as f:
            self.url = "http://127.0.0.1:%d" % int(f.read())

    def log(self):
        """The requests received so far, oldest first."""
        with open(self.log_path) as f:
            return [json.loads(line) for line in f]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
