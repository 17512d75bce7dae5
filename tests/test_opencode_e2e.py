"""The real opencode, configured by keyconf, streams chat completions from the loopback relay."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, real_binary, snapshot
from lanes import lanes
from test_opencode import CONFIG_JSONC, CONFIG_RICH

pytestmark = pytest.mark.e2e

# Everything opencode would fetch or start besides the relay: the public model list, updates, sharing, LSP
# downloads, default plugins, Claude Code / external skills; and npm (plugin installs) points at a closed port.
QUIET = {"OPENCODE_DISABLE_MODELS_FETCH": "1", "OPENCODE_DISABLE_AUTOUPDATE": "1", "OPENCODE_DISABLE_SHARE": "1",
         "OPENCODE_DISABLE_LSP_DOWNLOAD": "1", "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
         "OPENCODE_DISABLE_CLAUDE_CODE": "1", "OPENCODE_DISABLE_EXTERNAL_SKILLS": "1",
         "npm_config_registry": "http://127.0.0.1:9/"}


def _exe() -> str:
    return str(Path(os.sys.executable).parent / "keyconf")


def _keyconf(*args: str):
    return subprocess.run([_exe(), *args], input=KEY + "\n", text=True, capture_output=True, timeout=60)


def _opencode(home: Path, lane=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCODE_", "OPENAI_"))}
    env.update({"HOME": str(home), "NO_COLOR": "1", **QUIET})
    if lane is not None:
        env["PATH"] = lane.path()
    work = home / "work"
    work.mkdir(exist_ok=True)
    binary = lane.binary() if lane is not None else real_binary("opencode")
    return subprocess.run([binary, "run", "ping"], capture_output=True, text=True, env=env,
                          timeout=240, cwd=work, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("config", [pytest.param(CONFIG_RICH, id="json"),
                                    pytest.param(CONFIG_JSONC, id="jsonc-with-comments")])
def test_opencode_run_reaches_the_relay_with_the_key_and_model(home, relay, config):
    path = home / ".config" / "opencode" / "opencode.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(config)
    before = snapshot(home)
    done = _keyconf("use", "opencode", "--key-stdin", "--base-url", relay.url + "/v1/", "--model", "gpt-5")
    assert done.returncode == 0, done.stdout + done.stderr
    run = _opencode(home)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pong" in run.stdout
    calls = relay.seen("/v1/chat/completions")
    assert calls, [r.path for r in relay.requests]
    for call in calls:
        assert call.headers.get("authorization") == f"Bearer {KEY}"
        body = json.loads(call.body)
        assert body["model"] == "gpt-5" and body["stream"] is True
    assert path.read_bytes().startswith(config[:40])  # opencode did not rewrite the user's file
    done = _keyconf("remove", "opencode")
    assert done.returncode == 0, done.stdout + done.stderr
    after = {k: v for k, v in snapshot(home).items() if k in before}
    assert after == before


@pytest.mark.parametrize("lane", lanes("opencode"))
def test_without_a_model_opencode_sends_the_model_verify_checked(home, relay, lane):
    """opencode has no relay model of its own: with none set, keyconf checks none and says so. Set once,
    a later `use` without --model keeps it, and that is the model the real client sends and verify checked."""
    relay.models[:] = ["gpt-4o-mini", "gpt-5"]
    env = {**os.environ, "PATH": lane.path()}
    first = subprocess.run([_exe(), "use", "opencode", "--key-stdin", "--base-url", relay.url, "--json"],
                           input=KEY + "\n", text=True, capture_output=True, timeout=60, env=env)
    result = json.loads(first.stdout)["results"][0]
    assert first.returncode == 0 and result["verify"]["model"] is None and result["verify"]["asked"] == []
    assert any("no model set" in w for w in result["warnings"])
    assert _keyconf("use", "opencode", "--key-stdin", "--model", "gpt-4o-mini", "--no-verify").returncode == 0
    again = subprocess.run([_exe(), "use", "opencode", "--key-stdin", "--json"], input=KEY + "\n", text=True,
                           capture_output=True, timeout=60, env=env)
    checked = json.loads(again.stdout)["results"][0]["verify"]
    assert again.returncode == 0 and checked["model"] == "gpt-4o-mini", again.stdout
    relay.requests.clear()
    run = _opencode(home, lane)
    assert run.returncode == 0, run.stdout + run.stderr
    sent = relay.models_sent()
    print(f"{lane}: the client sent {sent}; verify checked {checked['model']} (asked {checked['asked']})")
    assert sent and set(sent) == {checked["model"]}, f"sent {sent}, verify checked {checked['model']}"
