"""What `keyconf run CLIENT` adds to a client's start, in units of one bare Python start.

For each client with a binary here, times in turn (round-robin, so a busy moment hits all alike):
`python -c pass`, the client's own `CLIENT --version`, and `keyconf run CLIENT --profile bench -- --version`
(a temp HOME, the profile's key in the file store). Prints medians, the added cost (run minus the client
alone) and that cost as a ratio to `python -c pass`. A client may itself start slower with the run's
settings (Claude Code skips its --version fast path when given --settings), so a second table replaces
every client by /bin/true: what keyconf itself adds, alone.

    .venv/bin/python benchmarks/run_overhead.py [--runs 15] [--bin DIR]

Target: keyconf adds at most about one bare Python start (ratio ~1): the path to exec imports no httpx,
keyring (unless the key is in the keyring), tomlkit or sqlite3.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLIENTS = {"claude-code": "claude", "codex": "codex", "gemini-cli": "gemini", "opencode": "opencode"}
KEYCONF = Path(sys.executable).parent / "keyconf"


def _once(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(env: dict, bin_dir: str, runs: int, title: str) -> None:
    env = {**env, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"}
    rows = [("python -c pass", [sys.executable, "-c", "pass"])]
    for client, binary in CLIENTS.items():
        path = shutil.which(binary, path=bin_dir)
        if path is None:
            print(f"({client}: {binary} not found in {bin_dir}; skipped)")
            continue
        model = ["--model", "bench-model"] if client == "opencode" else []
        rows.append((f"{binary} --version", [path, "--version"]))
        rows.append((f"keyconf run {client} -- --version",
                     [str(KEYCONF), "run", client, "--profile", "bench", *model, "--", "--version"]))
    for _, argv in rows:  # warm-up: caches, the overlay files
        _once(argv, env)
    samples: list[list[float]] = [[] for _ in rows]
    for _ in range(runs):
        for i, (_, argv) in enumerate(rows):
            samples[i].append(_once(argv, env))
    medians = [statistics.median(s) for s in samples]
    floor = medians[0]
    print(f"\n== {title}")
    print(f"{'command':<44} {'median':>9}")
    for (name, _), median in zip(rows, medians):
        print(f"{name:<44} {median * 1000:8.1f}ms")
    print(f"\n{'client':<14} {'alone':>9} {'via run':>9} {'added':>9} {'added / python -c pass':>24}")
    for i in range(1, len(rows), 2):
        alone, via = medians[i], medians[i + 1]
        client = rows[i + 1][0].split()[2]
        print(f"{client:<14} {alone * 1000:8.1f}ms {via * 1000:8.1f}ms {(via - alone) * 1000:8.1f}ms "
              f"{(via - alone) / floor:23.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--bin", default=str(Path(__file__).resolve().parent.parent / ".ci/node/node_modules/.bin"),
                        help="folder holding the client binaries (default: .ci/node/node_modules/.bin)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="keyconf-run-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "KEYCONF_", "GEMINI_"))}
    env.update({"HOME": str(home), "KEYCONF_HOME": str(home / ".keyconf"), "KEYCONF_SECRET_STORE": "file",
                "NO_COLOR": "1"})
    subprocess.run([str(KEYCONF), "profile", "add", "bench", "--base-url", "http://127.0.0.1:9", "--key-stdin",
                    "--no-verify"], input="sk-Bench0123456789abcdefBENCH\n", text=True, env=env, check=True,
                   capture_output=True)
    measure(env, args.bin, args.runs, "the real clients")
    fake = home / "fake-bin"
    fake.mkdir()
    true = shutil.which("true")
    for binary in CLIENTS.values():
        (fake / binary).symlink_to(true)
    measure(env, str(fake), args.runs, "every client replaced by /bin/true: keyconf's own part")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
