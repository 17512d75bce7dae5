"""The real Pi, configured by keyconf, answers one prompt from the loopback relay with the relay key."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, real_binary, snapshot
from netguard import run_watched
from test_pi import MODELS_JSONC, SETTINGS

pytestmark = pytest.mark.e2e

# --offline stops Pi's start-up network (update check, install telemetry, fd/ripgrep downloads); the two
# narrower switches say the same for any path that ignores it.
QUIET = {"PI_OFFLINE": "1", "PI_SKIP_VERSION_CHECK": "1", "PI_TELEMETRY": "0"}


def _keyconf(*args: str, home: Path):
    exe = Path(os.sys.executable).parent / "keyconf"
    return subprocess.run([str(exe), *args], input=KEY + "\n", text=True, capture_output=True, timeout=60)


def _pi(home: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PI_", "OPENAI_", "ANTHROPIC_"))}
    env.update({"HOME": str(home), "NO_COLOR": "1", **QUIET})
    work = home / "work"
    work.mkdir(exist_ok=True)
    return run_watched([real_binary("pi"), "--offline", "-p", "ping"], home / "net.trace", capture_output=True,
                       text=True, env=env, timeout=120, cwd=work, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("no_plaintext", [pytest.param(False, id="literal-0600"),
                                          pytest.param(True, id="no-plaintext-command")])
def test_pi_print_reaches_the_relay_with_the_key_and_model(home, relay, no_plaintext):
    agent = home / ".pi" / "agent"
    agent.mkdir(parents=True)
    (agent / "models.json").write_bytes(MODELS_JSONC)
    (agent / "settings.json").write_bytes(SETTINGS)
    before = snapshot(home)
    extra = ["--no-plaintext"] if no_plaintext else []
    done = _keyconf("use", "pi", "--key-stdin", "--base-url", relay.url + "/v1/", "--model", "gpt-5", "--yes",
                    *extra, home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    run, outside = _pi(home)
    assert outside == []  # no update check, telemetry or download left the machine
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pong" in run.stdout
    calls = relay.seen("/v1/chat/completions")
    assert calls, [r.path for r in relay.requests]
    for call in calls:
        assert call.headers.get("authorization") == f"Bearer {KEY}"
        assert json.loads(call.body)["model"] == "gpt-5"
    done = _keyconf("remove", "pi", home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    after = {k: v for k, v in snapshot(home).items() if k in before}
    assert after == before


def test_undo_after_pis_real_interactive_start_rewrote_settings(home, relay):
    """An interactive start (under a pseudo-terminal, stopped once it wrote) adds `lastChangelogVersion` and
    reformats settings.json: Pi's own rewrite, which undo takes in its stride; status still reads the state."""
    import time

    from conftest import require_tool

    script = require_tool("script")
    done = _keyconf("use", "pi", "--key-stdin", "--base-url", relay.url, "--model", "gpt-5", home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    settings = home / ".pi" / "agent" / "settings.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PI_", "OPENAI_", "ANTHROPIC_"))}
    env.update({"HOME": str(home), "TERM": "xterm", **QUIET})
    command = f"{real_binary('pi')} --offline"
    pi = subprocess.Popen([script, "-qfc", command, "/dev/null"], env=env, cwd=home, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while b"lastChangelogVersion" not in settings.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        os.killpg(pi.pid, 9)
        pi.wait()
    rewritten = json.loads(settings.read_text())
    assert rewritten["lastChangelogVersion"] and rewritten["defaultProvider"] == "keyconf"
    status = _keyconf("status", "pi", "--json", home=home)
    assert json.loads(status.stdout)["results"][0]["model"] == "gpt-5"
    done = _keyconf("undo", home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(settings.read_text()) == {"lastChangelogVersion": rewritten["lastChangelogVersion"]}
    assert not (home / ".pi" / "agent" / "models.json").exists()
