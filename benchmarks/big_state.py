"""`keyconf use claude-code`, `remove` and `undo` against a big ~/.claude.json (Claude Code's global state can
grow to hundreds of MB). Only the onboarding flag changes, so the costs are parsing, the re-check, the journal
entry and the write. Prints, per step: time, peak memory of the process (and as a multiple of the file size),
and the size of the journal entry it wrote. Then the engine's own share, in-process: the memory engine.apply
and an undo add on top of the bytes the plan already holds.

Goals (issue 12): peak memory of use/remove at most 2.5x the file, a journal entry of at most 1 MB, and the
file byte-identical after remove and after undo.

    .venv/bin/python benchmarks/big_state.py [--mb 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_state(mb: int) -> bytes:
    project = {"history": [{"display": "x" * 200}] * 40, "allowedTools": []}
    per_project = len(json.dumps(project, indent=2))
    projects = {f"/work/p{i}": project for i in range(mb * 1_000_000 // per_project)}
    return json.dumps({"numStartups": 3, "projects": projects}, indent=2).encode()


def sha256(path: Path) -> str:
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def run(exe: list[str], env: dict) -> tuple[float, int]:
    """Wall time (s) and peak RSS (bytes) of one keyconf process."""
    start = time.perf_counter()
    proc = subprocess.Popen(exe, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(exe[3:])} failed: {err}")
    return elapsed, usage.ru_maxrss * 1024


def newest_entry_size(journal: Path) -> int:
    folders = sorted(p for p in journal.iterdir() if not p.name.startswith("."))
    return sum(f.stat().st_size for f in folders[-1].iterdir())


def engine_share(mb: int) -> None:
    """Peak memory engine.apply and an undo allocate beyond the plan's own before/after bytes (tracemalloc)."""
    import tracemalloc

    from keyconf import engine
    from keyconf.engine.edits import FileEdit
    from keyconf.paths import Paths

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ.update({"HOME": tmp, "KEYCONF_HOME": str(home / "kc")})
        paths = Paths.from_environ()
        path = home / ".claude.json"
        before = make_state(mb)
        path.write_bytes(before)
        after = before.replace(b'"numStartups": 3,', b'"numStartups": 3,\n  "hasCompletedOnboarding": true,', 1)
        size = len(before)
        tracemalloc.start()
        with engine.locked(paths):
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            start = time.perf_counter()
            entry = engine.apply(paths, [FileEdit(path, before, after)], command="use")
            took = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1] - base
        print(f"engine.apply (use):   {took:6.2f} s, +{peak / 1e6:7.1f} MB over the plan ({peak / size:.2f}x file)")
        del before, after
        with engine.locked(paths):
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            start = time.perf_counter()
            engine.restore(paths, entry, engine.plan_undo(entry, force=False))
            took = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1] - base
        print(f"engine undo (plan+restore): {took:6.2f} s, +{peak / 1e6:7.1f} MB ({peak / size:.2f}x file)")
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--skip-engine", action="store_true", help="only the whole-command figures")
    parser.add_argument("--write", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        Path(args.write).write_bytes(make_state(args.mb))
        return
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        # Made in a child process, and only its hash kept here: a child's peak RSS starts at its parent's
        # size when it forks, so this process must stay small for the figures below to be keyconf's own.
        subprocess.run([sys.executable, __file__, "--write", str(home / ".claude.json"), "--mb", str(args.mb)],
                       check=True)
        original = sha256(home / ".claude.json")
        size = (home / ".claude.json").stat().st_size
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "KEYCONF_", "CLAUDE_"))}
        env.update({"HOME": str(home), "KEYCONF_HOME": str(home / "kc"), "KEYCONF_SECRET_STORE": "file",
                    "KEYCONF_API_KEY": "sk-bench-0000000000000000", "KEYCONF_BASE_URL": "https://relay.example.com"})
        exe = [sys.executable, "-m", "keyconf"]
        journal = home / "kc" / "journal"
        print(f"~/.claude.json: {size / 1e6:.1f} MB")
        print(f"{'step':<26}{'time':>9}{'peak RSS':>12}{'x file':>8}{'journal entry':>15}")
        steps = (("use (first)", ["use", "claude-code", "--no-verify"]),
                 ("use (again, no change)", ["use", "claude-code", "--no-verify"]),
                 ("remove", ["remove", "claude-code"]),
                 ("use (again)", ["use", "claude-code", "--no-verify"]),
                 ("undo", ["undo"]))
        entries = 0
        for label, argv in steps:
            took, rss = run(exe + argv, env)
            count = len([p for p in journal.iterdir() if not p.name.startswith(".")])
            entry = f"{newest_entry_size(journal) / 1e3:10.1f} kB" if count > entries else f"{'-':>13}"
            entries = count
            print(f"{label:<26}{took * 1000:>7.0f} ms{rss / 1e6:>9.0f} MB{rss / size:>7.2f}x{entry:>15}")
            if label == "remove":
                print(f"{'':<26}byte-identical after remove: {sha256(home / '.claude.json') == original}")
        print(f"{'':<26}byte-identical after undo: {sha256(home / '.claude.json') == original}")
        total = sum(f.stat().st_size for f in journal.rglob("*") if f.is_file())
        print(f"journal after {entries} changes: {total / 1e3:.1f} kB")
    if not args.skip_engine:
        engine_share(args.mb)


if __name__ == "__main__":
    main()
