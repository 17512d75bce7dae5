"""The real Hermes Agent (PyPI, its own venv), configured by keyconf, answers one prompt from the loopback relay
with the relay key. Hermes exits 0 even on an HTTP error, so the answer and the relay's log are what count."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, REPO, REQUIRE_REAL, snapshot
from netguard import run_watched
from test_hermes import CONFIG_RICH

pytestmark = pytest.mark.e2e

HERMES = REPO / ".ci" / "hermes" / "bin" / "hermes"
# Lazy `uv pip` installs from PyPI are off; model metadata from openrouter.ai is skipped because the user's
# config sets model.context_length (CONFIG_RICH does).
QUIET = {"HERMES_DISABLE_LAZY_INSTALLS": "1"}


def _keyconf(*args: str):
    exe = Path(os.sys.executable).parent / "keyconf"
    return subprocess.run([str(exe), *args], input=KEY + "\n", text=True, capture_output=True, timeout=60)


def _hermes(home: Path):
    if not HERMES.exists():
        if REQUIRE_REAL:
            pytest.fail("hermes is not installed; scripts/test installs it in .ci/hermes")
        pytest.skip("hermes is not installed (run scripts/test)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HERMES_", "OPENAI_", "CUSTOM_", "OPENROUTER_"))}
    env.update({"HOME": str(home), "NO_COLOR": "1", **QUIET})
    work = home / "work"
    work.mkdir(exist_ok=True)
    return run_watched([str(HERMES), "-z", "ping"], home / "net.trace", capture_output=True, text=True, env=env,
                       timeout=240, cwd=work, stdin=subprocess.DEVNULL)


def test_hermes_answers_from_the_relay_with_the_key_and_model(home, relay):
    path = home / ".hermes" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_bytes(CONFIG_RICH)
    before = snapshot(home)
    done = _keyconf("use", "hermes", "--key-stdin", "--base-url", relay.url, "--model", "gpt-5", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    written = path.read_bytes()
    run, outside = _hermes(home)
    assert outside == []  # no lazy install from PyPI, no openrouter.ai model metadata
    assert "pong" in run.stdout and "HTTP 4" not in run.stdout, run.stdout + run.stderr
    calls = relay.seen("/v1/chat/completions")
    assert calls, [r.path for r in relay.requests]
    for call in calls:
        assert call.headers.get("authorization") == f"Bearer {KEY}"
        assert json.loads(call.body)["model"] == "gpt-5"
    assert path.read_bytes() == written  # `hermes -z` does not rewrite config.yaml
    done = _keyconf("remove", "hermes")
    assert done.returncode == 0, done.stdout + done.stderr
    after = {k: v for k, v in snapshot(home).items() if k in before}
    assert after == before
