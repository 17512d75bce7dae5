"""`keyconf use claude-code` (and `remove`) against a ~50 MB ~/.claude.json, which Claude Code's global state
can grow to. Only the onboarding flag is changed, so the cost is one parse plus the journal copy.

    .venv/bin/python benchmarks/big_state.py [--mb 50]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        per_project = len(json.dumps({"history": [{"display": "x" * 200}] * 40, "allowedTools": []}, indent=2))
        count = args.mb * 1_000_000 // per_project
        projects = {f"/work/p{i}": {"history": [{"display": "x" * 200}] * 40, "allowedTools": []}
                    for i in range(count)}
        original = json.dumps({"numStartups": 3, "projects": projects}, indent=2).encode()
        (home / ".claude.json").write_bytes(original)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "KEYCONF_", "CLAUDE_"))}
        env.update({"HOME": str(home), "KEYCONF_HOME": str(home / "kc"), "KEYCONF_SECRET_STORE": "file",
                    "KEYCONF_API_KEY": "sk-bench-0000000000000000", "KEYCONF_BASE_URL": "https://relay.example.com"})
        exe = [sys.executable, "-m", "keyconf"]
        print(f"~/.claude.json: {len(original) / 1e6:.1f} MB")
        for label, argv in (("use (first)", ["use", "claude-code", "--no-verify"]),
                            ("use (again, no change)", ["use", "claude-code", "--no-verify"]),
                            ("remove", ["remove", "claude-code"])):
            start = time.perf_counter()
            subprocess.run(exe + argv, env=env, check=True, stdout=subprocess.DEVNULL)
            print(f"{label:<26}{(time.perf_counter() - start) * 1000:>8.0f} ms")
        same = (home / ".claude.json").read_bytes() == original
        print("byte-identical after remove:", same)


if __name__ == "__main__":
    main()
