"""The real Codex CLI, configured by keyconf in each key mode, talks to the loopback relay."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, real_binary
from test_codex import CHATGPT_LOGIN

pytestmark = pytest.mark.e2e


def _keyconf(*args: str):
    exe = Path(os.sys.executable).parent / "keyconf"
    return subprocess.run([str(exe), *args], input=KEY + "\n", text=True, capture_output=True, timeout=60)


def _codex(home: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEX_"))}
    env.update({"HOME": str(home), "RUST_LOG": "error"})
    work = home / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run([real_binary("codex"), "exec", "--skip-git-repo-check", "ping"], capture_output=True,
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
