"""The real Claude Code binary, configured by keyconf, talks to the loopback relay."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, real_binary
from lanes import lanes

pytestmark = pytest.mark.e2e


def _keyconf(home: Path, *args: str, key: str = KEY, extra_env: dict | None = None):
    """Run the installed keyconf as a separate process, as a user would."""
    env = dict(os.environ, **(extra_env or {}))
    exe = Path(os.sys.executable).parent / "keyconf"
    return subprocess.run([str(exe), *args], input=key + "\n", text=True, capture_output=True, env=env,
                          timeout=60)


def _claude(home: Path, extra_env: dict | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
    env.update({"HOME": str(home), "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_ERROR_REPORTING": "1"})
    env.update(extra_env or {})
    return subprocess.run([real_binary("claude"), "-p", "ping", "--model", "claude-sonnet-4-5"],
                          capture_output=True, text=True, env=env, timeout=180, cwd=home,
                          stdin=subprocess.DEVNULL)


def _messages(relay):
    calls = [r for r in relay.seen("/v1/messages") if not r.path.startswith("/v1/messages/count_tokens")]
    assert calls, f"the relay saw no /v1/messages call; it saw {[r.path for r in relay.requests]}"
    return calls


def test_claude_talks_to_relay_with_bearer_token(home, relay):
    done = _keyconf(home, "use", "claude-code", "--key-stdin", "--base-url", relay.url + "/v1")
    assert done.returncode == 0, done.stderr
    run = _claude(home)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pong" in run.stdout
    for call in _messages(relay):
        assert call.headers.get("authorization") == f"Bearer {KEY}"
        assert "x-api-key" not in call.headers


def test_no_plaintext_key_is_in_no_file_and_still_reaches_relay(home, relay):
    done = _keyconf(home, "use", "claude-code", "--key-stdin", "--base-url", relay.url, "--no-plaintext")
    assert done.returncode == 0, done.stderr
    for path in home.rglob("*"):
        if path.is_file() and "keyconf" not in path.parts[-2:] and ".config" not in path.parts:
            assert KEY.encode() not in path.read_bytes(), path
    run = _claude(home)
    assert run.returncode == 0, run.stdout + run.stderr
    call = _messages(relay)[-1]
    assert KEY in (call.headers.get("authorization", "") + call.headers.get("x-api-key", ""))


def test_exported_api_key_is_not_sent(home, relay):
    stray = "sk-stray-shell-export-0000"
    done = _keyconf(home, "use", "claude-code", "--key-stdin", "--base-url", relay.url,
                    extra_env={"ANTHROPIC_API_KEY": stray})
    assert done.returncode == 0, done.stderr
    assert stray not in done.stdout + done.stderr
    run = _claude(home, {"ANTHROPIC_API_KEY": stray})
    assert run.returncode == 0, run.stdout + run.stderr
    for call in _messages(relay):
        assert "x-api-key" not in call.headers
        assert call.headers.get("authorization") == f"Bearer {KEY}"


def test_claude_talks_to_relay_after_importing_a_cc_switch_link(home, relay):
    """What the dashboard's "CC Switch" button makes, pasted into `keyconf import`, then the real claude."""
    from keyconf.links import ccswitch_link

    link, _ = ccswitch_link("claude", "team-mac", relay.url, KEY, {"model": "claude-sonnet-4-5"})
    done = _keyconf(home, "import", "-", "-y", key=link)
    assert done.returncode == 0, done.stderr
    assert KEY not in done.stdout + done.stderr
    run = _claude(home)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pong" in run.stdout
    for call in _messages(relay):
        assert call.headers.get("authorization") == f"Bearer {KEY}"


# Every name a Claude Code release has asked for (clients.md), and more: what the relay's group offers here.
# A name a new release asks for that is not in it gets New API's 503, and the test says which.
CLAUDE_GROUP = ["claude-opus-4-8", "claude-sonnet-5", "claude-haiku-4-5-20251001", "claude-opus-5", "claude-opus-5-5",
                "claude-sonnet-5-5", "claude-haiku-5-5", "claude-sonnet-4-5"]


@pytest.mark.parametrize("lane", lanes("claude"))
def test_without_a_model_claude_sends_the_model_verify_checked(home, relay, lane):
    """No --model anywhere: the model the real client sends is the one `keyconf verify` checked."""
    relay.models[:] = CLAUDE_GROUP
    path = {"PATH": lane.path()}
    done = _keyconf(home, "use", "claude-code", "--key-stdin", "--base-url", relay.url, extra_env=path)
    assert done.returncode == 0, done.stdout + done.stderr
    verify = _keyconf(home, "verify", "claude-code", "--json", extra_env=path)
    checked = json.loads(verify.stdout)["results"][0]["verify"]
    relay.requests.clear()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
    env.update({"HOME": str(home), "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "PATH": path["PATH"],
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_ERROR_REPORTING": "1",
                "CLAUDE_CODE_MAX_RETRIES": "0"})
    run = subprocess.run([lane.binary(), "-p", "ping"], capture_output=True, text=True, env=env, timeout=180,
                         cwd=home, stdin=subprocess.DEVNULL)
    sent = relay.models_sent()
    print(f"{lane}: the client sent {sent}; verify checked {checked['model']} (asked {checked['asked']})")
    assert checked["model"], (f"Claude Code {lane.version} sent {sent}, but keyconf's table does not know this "
                              f"release: {checked['warnings']}; add a row to MODELS in adapters/claude_code.py")
    assert run.returncode == 0, run.stdout + run.stderr
    assert sent and set(sent) == {checked["model"]}, f"sent {sent}, verify checked {checked['model']}"
    assert verify.returncode == 0 and checked["asked"] == [checked["model"]]
