"""Checking four clients behind a slow relay against the floor: one httpx request to the same relay.

A loopback New API-style relay answers every request after 300 ms. Timed, as whole programs (python
start-up and imports included) and as the call alone:
  floor   a program that sends one `GET /v1/models` with httpx and exits
  verify  a program that runs keyconf.verify.check_many on four clients (Claude Code, Codex, Cursor, the
          shell) sharing one relay and key: one request in all
  deep    the same with deep=True: the list, then one real request per client protocol, at once
Prints medians, the ratio to the floor and the requests the relay saw per run.

    .venv/bin/python benchmarks/verify_concurrency.py [--runs 7] [--latency 0.3]

Target: verify within 1.6x of the floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import relayfaults  # noqa: E402

KEY = "sk-bench0123456789abcdefXYZ"

FLOOR = """
import sys, time
start = time.perf_counter()
import httpx
with httpx.Client() as client:
    client.get(sys.argv[1] + "/v1/models", headers={"authorization": "Bearer " + sys.argv[2]}).raise_for_status()
print(time.perf_counter() - start)
"""

CHECK = """
import sys, time
start = time.perf_counter()
from keyconf.model import Target
from keyconf.verify import check_many
url, key, deep = sys.argv[1], sys.argv[2], sys.argv[3] == "deep"
targets = [Target(url, key, "anthropic", "claude-sonnet-4-5", client="claude-code"),
           Target(url, key, "responses", "gpt-5-codex", client="codex"),
           Target(url, key, "chat", "gpt-4o-mini", client="cursor"),
           Target(url, key, "chat", "gpt-4o-mini", client="shell")]
findings = check_many(targets, deep=deep)
assert all(f.ok for f in findings.values()), findings
print(time.perf_counter() - start)
"""


def run(program: str, *args: str) -> tuple[float, float]:
    """(wall time of the whole process, time the program measured from its first import)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", program, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"})
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stderr)
    return wall, float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    relay = relayfaults.start([KEY], latency=args.latency)
    try:
        results = {}
        for name, program, extra in (("floor", FLOOR, ()), ("verify", CHECK, ("plain",)),
                                     ("deep", CHECK, ("deep",))):
            run(program, relay.url, KEY, *extra)  # warm the file cache
            relay.requests.clear()
            samples = [run(program, relay.url, KEY, *extra) for _ in range(args.runs)]
            per_run = len(relay.requests) / args.runs
            results[name] = (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
                             per_run)
    finally:
        relay.stop()
    floor_wall, floor_call, _ = results["floor"]
    print(f"relay latency {args.latency * 1000:.0f} ms, {args.runs} runs, medians")
    print(f"{'':8} {'process':>9} {'ratio':>6} {'imports+calls':>14} {'ratio':>6} {'requests/run':>13}")
    for name, (wall, call, requests) in results.items():
        print(f"{name:8} {wall * 1000:7.0f}ms {wall / floor_wall:5.2f}x {call * 1000:12.0f}ms "
              f"{call / floor_call:5.2f}x {requests:13.1f}")
    ratio = results["verify"][0] / floor_wall
    print(f"verify vs floor (whole process): {ratio:.2f}x (target <= 1.6x): {'ok' if ratio <= 1.6 else 'MISSED'}")


if __name__ == "__main__":
    main()
