"""`keyconf apply` of a file naming all seven clients, on a machine where nothing changes, against `status`.

Sets up a temp HOME (a Cursor database, a loopback relay), applies the file once, then times in rounds:
`keyconf status`, `keyconf apply FILE --no-verify` (no network at all) and `keyconf apply FILE` (one
verification per distinct URL and key, against the loopback relay). Prints medians and the ratios to status.

    .venv/bin/python benchmarks/apply_noop.py [--runs 15]

Target (issue 10): the no-op apply within 2x of `keyconf status`.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import fakerelay  # noqa: E402
from test_cursor import make_db  # noqa: E402

KEY = "sk-Bench0123456789abcdefXYZ42"

TEAM = """version = 1
[profiles.team]
base_url = "{url}"
key = {{ env = "TEAM_KEY" }}
[clients.claude-code]
profile = "team"
model = "claude-sonnet-4-5"
[clients.codex]
profile = "team"
model = "gpt-5-codex"
[clients.cursor]
profile = "team"
[clients.cherry-studio]
profile = "team"
[clients.gemini-cli]
profile = "team"
model = "gemini-2.5-pro"
[clients.opencode]
profile = "team"
model = "gpt-5"
[clients.shell]
profile = "team"
shells = ["bash"]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    relay = fakerelay.start(keys=[KEY])
    keyconf = str(Path(sys.executable).with_name("keyconf"))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KEYCONF_", "ANTHROPIC_", "OPENAI_"))}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # installed wheels have bytecode
        env.update(HOME=str(home), KEYCONF_HOME=str(home / ".config" / "keyconf"),
                   XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local" / "share"),
                   KEYCONF_SECRET_STORE="file", TEAM_KEY=KEY, PATH=os.path.dirname(keyconf) + ":/usr/bin:/bin")
        make_db(home)
        team = Path(tmp) / "team.toml"
        team.write_text(TEAM.format(url=relay.url))
        first = subprocess.run([keyconf, "apply", str(team)], env=env, capture_output=True, text=True)
        if first.returncode not in (0, 8):
            sys.exit(f"setting up failed ({first.returncode}):\n{first.stdout}{first.stderr}")
        rows = [("keyconf status", [keyconf, "status"]),
                ("keyconf apply --no-verify (no-op)", [keyconf, "apply", str(team), "--no-verify"]),
                ("keyconf apply (no-op, verifies once)", [keyconf, "apply", str(team)])]
        samples: list[list[float]] = [[] for _ in rows]
        for _ in range(args.runs):
            for i, (_, argv) in enumerate(rows):
                start = time.perf_counter()
                done = subprocess.run(argv, env=env, capture_output=True)
                samples[i].append(time.perf_counter() - start)
                if done.returncode != 0:
                    sys.exit(f"{rows[i][0]} failed: {done.stdout.decode()}{done.stderr.decode()}")
        requests = len(relay.seen("/v1/models")) + len(relay.seen("/v1beta/models"))
    relay.stop()
    base = statistics.median(samples[0])
    for (name, _), times in zip(rows, samples):
        median = statistics.median(times)
        print(f"{name:<40} median {median * 1000:7.1f} ms   {median / base:4.2f}x status")
    print(f"relay requests during the timed verifying applies: about {requests / (args.runs + 1):.1f} per run")


if __name__ == "__main__":
    main()
