#!/usr/bin/env python3
"""draft_bench.py - the repair loop of `backbone draft` against the fake model.

    draft_bench.py BACKBONE

For each schema under schemas/ (its description as the request): a draft
the fake model answers with the file itself, then one whose first answer is
broken (tests/integration/llm/fixtures.py BREAKS, in turn; the provider
alternates between the OpenAI and Anthropic APIs) and whose repairs the
model answers from the file. A run succeeds when the written schema equals
the file. Prints a line per run and a summary.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "llm"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_llm"))
import fixtures  # noqa: E402  (the scripts of the integration tests)
from fake_process import FakeProcess  # noqa: E402

BREAKS = [b for b in fixtures.BREAKS if b != "none"]


def schemas():
    for folder in ("schemas", os.path.join("schemas", "evolution")):
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith(".json") and name != "backbone.schema.json":
                yield os.path.join(folder, name)


def run(backbone, work, rel, brk, provider):
    ref_path = os.path.join(ROOT, rel)
    with open(ref_path) as f:
        ref = json.load(f)
    ref.pop("$schema", None)
    fake = FakeProcess(fixtures.oracle(ref_path, brk), work)
    out = os.path.join(fake.dir, "drafted.json")
    env = dict(os.environ, BACKBONE_LLM_BASE_URL=fake.url, BACKBONE_LLM_PROVIDER=provider,
               BACKBONE_LLM_MODEL="fake-model", OPENAI_API_KEY="sk-bench",
               ANTHROPIC_API_KEY="sk-bench")
    env.pop("BACKBONE_LLM_CACHE", None)
    env.pop("CI", None)
    t0 = time.time()
    p = subprocess.run([backbone, "draft", ref.get("description", "a schema"), "-o", out,
                        "--max-rounds", "5"], env=env, capture_output=True, text=True)
    seconds = time.time() - t0
    requests = len(fake.log())
    ok = p.returncode == 0 and json.load(open(out)) == ref
    fake.stop()
    rounds = re.search(r"valid schema after (\d+) round", p.stderr)
    tokens = re.search(r"(\d+)\+(\d+) tokens", p.stderr)
    return {"case": rel, "break": brk, "provider": provider, "ok": ok,
            "rounds": int(rounds.group(1)) if rounds else None, "requests": requests,
            "tokens": sum(map(int, tokens.groups())) if tokens else 0, "seconds": seconds}


def summary(title, runs):
    ok = [r for r in runs if r["ok"]]
    rounds = [r["rounds"] for r in ok]
    print("%-38s %d/%d succeeded (%.0f%%), rounds mean %.2f, max %d, %d requests" % (
        title, len(ok), len(runs), 100.0 * len(ok) / max(1, len(runs)),
        sum(rounds) / max(1, len(rounds)), max(rounds or [0]),
        sum(r["requests"] for r in runs)))


def main():
    backbone = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="bb-bench-draft-") as work:
        print("draft against the scripted fake model (tests/fake_llm), --max-rounds 5")
        print("%-30s %-20s %-9s %6s %8s %7s %6s  %s" % (
            "schema", "first answer", "api", "rounds", "requests", "tokens", "secs", "result"))
        plain, broken = [], []
        for i, rel in enumerate(schemas()):
            for brk, provider, into in (("none", "openai", plain),
                                        (BREAKS[i % len(BREAKS)],
                                         ("openai", "anthropic")[i % 2], broken)):
                r = run(backbone, work, rel, brk, provider)
                into.append(r)
                print("%-30s %-20s %-9s %6s %8d %7d %6.2f  %s" % (
                    rel, brk, provider, r["rounds"] or "-", r["requests"], r["tokens"],
                    r["seconds"], "ok" if r["ok"] else "FAILED"))
        print()
        summary("drafted from their description:", plain)
        summary("repaired from a broken first answer:", broken)
        summary("all drafts:", plain + broken)
        return 0 if all(r["ok"] for r in plain + broken) else 1


if __name__ == "__main__":
    sys.exit(main())
