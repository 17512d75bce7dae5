"""Start-up cost of keyconf's everyday commands against the floor of this stack.

Times, in one run and the same conditions: `python -c pass`, a minimal click program with two commands,
`keyconf --help`, `keyconf status` and `keyconf use claude-code --no-verify` (a temp HOME, the file secret
store, the key from KEYCONF_API_KEY). Prints medians and the ratios to the click floor.

    .venv/bin/python benchmarks/startup.py [--runs 30]

Targets: --help within 1.3x of the click floor, status within 1.6x, use --no-verify within 2.5x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINIMAL_CLICK = """
import click

@click.group()
def cli():
    pass

@cli.command()
def one():
    click.echo("one")

@cli.command()
def two():
    click.echo("two")

cli()
"""


def _once(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def _time_all(rows, env: dict, runs: int) -> list[float]:
    """Round-robin over the commands, so a busy moment of the machine hits all of them alike."""
    samples: list[list[float]] = [[] for _ in rows]
    for _ in range(runs):
        for i, (_, argv, _) in enumerate(rows):
            samples[i].append(_once(argv, env))
    return [statistics.median(s) for s in samples]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        click_prog = home / "minimal_click.py"
        click_prog.write_text(MINIMAL_CLICK)
        # PYTHONDONTWRITEBYTECODE would make every run recompile keyconf; installed wheels have bytecode.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ANTHROPIC_", "KEYCONF_", "CLAUDE_", "PYTHONDONTWRITEBYTECODE"))}
        env.update({"HOME": str(home), "KEYCONF_HOME": str(home / "kc"), "KEYCONF_SECRET_STORE": "file",
                    "KEYCONF_API_KEY": "sk-bench-0000000000000000", "KEYCONF_BASE_URL": "https://relay.example.com",
                    "XDG_CONFIG_HOME": str(home / ".config")})
        keyconf = [py, "-m", "keyconf"]
        script = Path(py).parent / "keyconf"
        if script.exists():
            keyconf = [str(script)]
        # one `use` first so `status` has something to read and the second `use` is the everyday re-run
        subprocess.run(keyconf + ["use", "claude-code", "--no-verify"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        rows = [
            ("python -c pass", [py, "-c", "pass"], None),
            ("minimal click (2 commands)", [py, str(click_prog), "--help"], None),
            ("keyconf --help", keyconf + ["--help"], 1.3),
            ("keyconf status", keyconf + ["status"], 1.6),
            ("keyconf use claude-code --no-verify", keyconf + ["use", "claude-code", "--no-verify"], 2.5),
        ]
        for _, argv, _ in rows:  # warm the file cache and the bytecode caches
            _once(argv, env)
        medians = _time_all(rows, env, args.runs)
        results = [(name, seconds, target) for (name, _, target), seconds in zip(rows, medians)]
    bare, floor = results[0][1], results[1][1]
    print(f"{'command':<40}{'median ms':>10}{'x python':>10}{'x click':>9}  target")
    for name, seconds, target in results:
        verdict = "" if target is None else (f"<= {target}x " + ("ok" if seconds / floor <= target else "MISSED"))
        print(f"{name:<40}{seconds * 1000:>10.1f}{seconds / bare:>10.2f}{seconds / floor:>9.2f}  {verdict}")


if __name__ == "__main__":
    main()
