"""The real Codex CLI, configured by keyconf in each key mode, talks to the loopback relay."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, real_binary
from lanes import lanes
from test_codex import CHATGPT_LOGIN

pytestmark = pytest.mark.e2e


def _exe() -> str:
    return str(Path(os.sys.executable).parent / "keyconf")


def _keyconf(*args: str):
    return subprocess.run([_exe(), *args], input=KEY + "\n", text=True, capture_output=True, timeout=60)


def _codex(home: Path, lane=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEX_"))}
    env.update({"HOME": str(home), "RUST_LOG": "error"})
    if lane is not None:
        env["PATH"] = lane.path()
    work = home / "work"
    work.mkdir(exist_ok=True)
    binary = lane.binary() if lane is not None else real_binary("codex")
    return subprocess.run([binary, "exec", "--skip-git-repo-check", "ping"], capture_output=True,
                          text=True, env=env, timeout=180, cwd=work, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("mode", ["auth.json", "bearer (ChatGPT login kept)", "no-plaintext"])
def test_codex_exec_reaches_relay(home, relay, mode):
    extra = []
    if mode.startswith("bearer"):
        (home / ".codex").mkdir()
        (home / ".codex" / "auth.json").write_text(json.dumps(CHATGPT_LOGIN))
    if mode == "no-plaintext":
        extra.append("--no-plaintext")
    done = _keyconf("use", "codex", "--key-stdin", "--base-url", relay.url + "/v1/", "--model", "gpt-5-codex",
                    *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    run = _codex(home)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pong" in run.stdout
    calls = relay.seen("/v1/responses")
    assert calls, [r.path for r in relay.requests]
    for call in calls:
        assert call.headers.get("authorization") == f"Bearer {KEY}"
        assert json.loads(call.body)["model"] == "gpt-5-codex"
    if mode == "no-plaintext":
        for path in home.rglob("*"):
            if path.is_file() and ".config" not in path.parts:
                assert KEY.encode() not in path.read_bytes(), path


def test_codex_via_env_reads_the_key_from_the_shell(home, relay):
    done = _keyconf("use", "codex", "--via", "env", "--shell", "bash", "--key-stdin", "--base-url", relay.url,
                    "--model", "gpt-5-codex")
    assert done.returncode == 0, done.stdout + done.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEX_"))}
    env.update({"HOME": str(home), "RUST_LOG": "error"})
    (home / "work").mkdir()
    run = subprocess.run(["bash", "-c", f"source ~/.bashrc && exec {real_binary('codex')} exec "
                                        "--skip-git-repo-check ping"],
                         capture_output=True, text=True, env=env, timeout=180, cwd=home / "work",
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stdout + run.stderr
    assert relay.seen("/v1/responses")[-1].headers.get("authorization") == f"Bearer {KEY}"


# Every name a Codex release has asked for with no model set (clients.md), and one more.
CODEX_GROUP = ["gpt-6.1-sol", "gpt-6.2-sol", "gpt-5-codex"]


@pytest.mark.parametrize("lane", lanes("codex"))
def test_without_a_model_codex_sends_the_model_verify_checked(home, relay, lane):
    """No --model anywhere: the model the real client sends is the one `keyconf verify` checked."""
    relay.models[:] = CODEX_GROUP
    env = {**os.environ, "PATH": lane.path()}
    done = subprocess.run([_exe(), "use", "codex", "--key-stdin", "--base-url", relay.url], input=KEY + "\n",
                          text=True, capture_output=True, timeout=60, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    verify = subprocess.run([_exe(), "verify", "codex", "--json"], text=True, capture_output=True, timeout=60,
                            env=env)
    checked = json.loads(verify.stdout)["results"][0]["verify"]
    relay.requests.clear()
    run = _codex(home, lane)
    sent = relay.models_sent()
    print(f"{lane}: the client sent {sent}; verify checked {checked['model']} (asked {checked['asked']})")
    assert checked["model"], (f"Codex CLI {lane.version} sent {sent}, but keyconf's table does not know this "
                              f"release: {checked['warnings']}; add a row to model_table in adapters/codex.py")
    assert run.returncode == 0, run.stdout + run.stderr
    assert sent and set(sent) == {checked["model"]}, f"sent {sent}, verify checked {checked['model']}"
    assert verify.returncode == 0 and checked["asked"] == [checked["model"]]
