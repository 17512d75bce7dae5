"""The real Continue CLI `cn` (npm `@continuedev/cli`), configured by keyconf, answers one prompt from the loopback
relay with the key from ~/.continue/.env, and leaves config.yaml as keyconf wrote it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, REPO, REQUIRE_REAL, snapshot
from netguard import run_watched

pytestmark = pytest.mark.e2e

CN = REPO / ".ci" / "node-continue" / "node_modules" / ".bin" / "cn"
# No hub blocks (`uses:`), which cn would fetch from hub.continue.dev
CONFIG = b"""# my Continue config
name: Local Config
version: 1.0.0
schema: v1
models:
  # a local model for autocomplete
  - name: Ollama
    provider: ollama
    model: llama3.1:8b
    roles: [autocomplete]
context:
  - provider: code
"""
# Telemetry off; the self-update (`npm i -g @continuedev/cli`) off in cn's own settings
QUIET = {"CONTINUE_METRICS_ENABLED": "0", "CONTINUE_CLI_ENABLE_TELEMETRY": "0", "NO_COLOR": "1"}


def cn_binary() -> Path:
    if not CN.exists():
        if REQUIRE_REAL:
            pytest.fail("cn is not installed; scripts/test installs it in .ci/node-continue")
        pytest.skip("cn is not installed (run scripts/test)")
    return CN


def _keyconf(*args: str, key: str = KEY):
    exe = Path(os.sys.executable).parent / "keyconf"
    return subprocess.run([str(exe), *args], input=key + "\n", text=True, capture_output=True, timeout=60)


def _cn(home: Path, *args: str):
    binary = cn_binary()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "CONTINUE_"))}
    env.update({"HOME": str(home), **QUIET})
    index = home / ".continue" / "index"
    index.mkdir(parents=True, exist_ok=True)
    (index / "globalContext.json").write_text(json.dumps({"autoUpdateCli": False}))
    work = home / "work"
    work.mkdir(exist_ok=True)
    return run_watched([str(binary), "-p", "ping", *args], home / "net.trace", capture_output=True, text=True,
                       env=env, timeout=240, cwd=work, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("key", [KEY, "sk-a#b$c\"d'e\\f:gXYZ42", "sk-a#b$c\"d'e\\f`gXYZ42"],
                         ids=["plain", "quotes-backslash", "all-three-quotes"])
def test_cn_answers_from_the_relay_with_the_key_from_its_env_file(home, relay, key):
    relay.keys.add(key)
    path = home / ".continue" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_bytes(CONFIG)
    before = snapshot(home)
    done = _keyconf("use", "continue", "--key-stdin", "--base-url", relay.url, "--model", "gpt-4o-mini", key=key)
    if "`" in key and "'" in key and '"' in key:
        # no .env quoting spells this key: refused, nothing written
        assert done.returncode == 2 and "no quoting" in done.stderr, done.stdout + done.stderr
        assert snapshot(home) == before
        return
    assert done.returncode == 0, done.stdout + done.stderr
    written = path.read_bytes()
    run, outside = _cn(home)
    assert run.returncode == 0 and "pong" in run.stdout.lower(), run.stdout + run.stderr
    calls = relay.seen("/v1/chat/completions")
    assert calls, [r.path for r in relay.requests]
    for call in calls:
        assert call.headers.get("authorization") == f"Bearer {key}"
        assert json.loads(call.body)["model"] == "gpt-4o-mini"
    assert path.read_bytes() == written  # cn without ANTHROPIC_API_KEY leaves config.yaml alone
    # cn 1.5.47 asks api.continue.dev for its newest version when its bundle loads, whatever the settings (the
    # DNS query is all that leaves here); with autoUpdateCli false it never runs npm to update itself
    assert [a for a in outside if not a.endswith(":53")] == [], outside
    done = _keyconf("remove", "continue")
    assert done.returncode == 0, done.stdout + done.stderr
    after = {k: v for k, v in snapshot(home).items() if k in before}
    assert after == before


def test_the_anthropic_key_trap_is_named_and_remove_still_works_after_cns_rewrite(home, relay, monkeypatch):
    """With ANTHROPIC_API_KEY set cn rewrites config.yaml (the trap doctor names); `remove` then takes out only
    keyconf's item from cn's rewritten file."""
    import yaml

    path = home / ".continue" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_bytes(CONFIG)
    done = _keyconf("use", "continue", "--key-stdin", "--base-url", relay.url, "--model", "gpt-4o-mini")
    assert done.returncode == 0, done.stdout + done.stderr
    written = path.read_bytes()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-Trap0000000000000000")
    doctor = subprocess.run([str(Path(os.sys.executable).parent / "keyconf"), "doctor"], capture_output=True,
                            text=True, timeout=60)
    assert "ANTHROPIC_API_KEY is set" in doctor.stdout + doctor.stderr
    binary = cn_binary()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CONTINUE_"))},
           "HOME": str(home), **QUIET}
    (home / ".continue" / "index").mkdir(parents=True, exist_ok=True)
    (home / ".continue" / "index" / "globalContext.json").write_text(json.dumps({"autoUpdateCli": False}))
    subprocess.run([str(binary), "-p", "ping"], env=env, cwd=home, capture_output=True, text=True, timeout=240,
                   stdin=subprocess.DEVNULL)
    rewritten = path.read_bytes()
    assert rewritten != written  # the trap, as cn 1.5.47 springs it
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    done = _keyconf("remove", "continue")
    assert done.returncode == 0, done.stdout + done.stderr
    names = [m.get("name") for m in yaml.safe_load(path.read_bytes())["models"]]
    assert "keyconf" not in names and "Ollama" in names
    assert not (home / ".continue" / ".env").exists()
