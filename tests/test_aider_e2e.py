"""The real Aider (PyPI `aider-chat`, its own venv), configured by keyconf, answers one prompt from the loopback relay
with the relay key. Aider exits 0 even after a 401 or a 404, so the answer and the relay's log are what count."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, REPO, REQUIRE_REAL, snapshot
from netguard import run_watched
from test_aider import CONFIG_RICH

pytestmark = pytest.mark.e2e

AIDER = REPO / ".ci" / "aider" / "bin" / "aider"
# No version check (pypi.org), no analytics, no release notes; litellm's price map from its own package, not
# raw.githubusercontent.com.
QUIET_FLAGS = ["--yes-always", "--no-git", "--no-check-update", "--no-analytics", "--no-show-release-notes",
               "--no-show-model-warnings", "--no-pretty", "--no-stream"]
QUIET_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}


def aider_binary() -> Path:
    if not AIDER.exists():
        if REQUIRE_REAL:
            pytest.fail("aider is not installed; scripts/test installs it in .ci/aider")
        pytest.skip("aider is not installed (run scripts/test)")
    return AIDER


def _keyconf(*args: str, env: dict | None = None):
    exe = Path(os.sys.executable).parent / "keyconf"
    return subprocess.run([str(exe), *args], input=KEY + "\n", text=True, capture_output=True, timeout=60,
                          env=env)


def _aider(home: Path, extra_env: dict | None = None, shell_file: Path | None = None):
    binary = aider_binary()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIDER_", "OPENAI_", "ANTHROPIC_"))}
    env.update({"HOME": str(home), "NO_COLOR": "1", **QUIET_ENV, **(extra_env or {})})
    work = home / "work"
    work.mkdir(exist_ok=True)
    # Aider's model-info manager fetches litellm's price list unless the model is listed here (aider/models.py)
    (home / ".aider.model.metadata.json").write_text(json.dumps({"openai/gpt-4o-mini": {
        "max_input_tokens": 128000, "max_output_tokens": 16384, "input_cost_per_token": 0,
        "output_cost_per_token": 0, "litellm_provider": "openai", "mode": "chat"}}))
    argv = [str(binary), "--message", "ping", *QUIET_FLAGS]
    if shell_file is not None:  # the variables from keyconf's shell file, as a new terminal gets them
        argv = ["bash", "-c", '. "$1" && shift && exec "$@"', "bash", str(shell_file), *argv]
    return run_watched(argv, home / "net.trace", capture_output=True, text=True, env=env, timeout=240, cwd=work,
                       stdin=subprocess.DEVNULL)


def _check_calls(relay, model: str = "gpt-4o-mini") -> None:
    calls = relay.seen("/v1/chat/completions")
    assert calls, [r.path for r in relay.requests]
    for call in calls:
        assert call.headers.get("authorization") == f"Bearer {KEY}"
        assert json.loads(call.body)["model"] == model


def test_aider_answers_from_the_relay_with_the_key_and_model(home, relay):
    path = home / ".aider.conf.yml"
    path.write_bytes(CONFIG_RICH)
    before = snapshot(home)
    done = _keyconf("use", "aider", "--key-stdin", "--base-url", relay.url, "--model", "gpt-4o-mini", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    written = path.read_bytes()
    run, outside = _aider(home)
    assert outside == []  # no pypi.org, no analytics, no price map from GitHub
    assert "\npong\n" in run.stdout.lower(), run.stdout + run.stderr
    _check_calls(relay)
    assert path.read_bytes() == written  # Aider never rewrites its config file
    for name in (".aider.chat.history.md", ".aider.input.history"):
        history = home / "work" / name
        assert not history.exists() or KEY.encode() not in history.read_bytes()
    done = _keyconf("remove", "aider")
    assert done.returncode == 0, done.stdout + done.stderr
    after = {k: v for k, v in snapshot(home).items() if k in before}
    assert after == before


def test_aider_with_the_key_from_keyconfs_shell_file(home, relay):
    """`--via env`: the file holds no key; AIDER_OPENAI_API_KEY from keyconf's bash file reaches Aider."""
    done = _keyconf("use", "aider", "--via", "env", "--shell", "bash", "--key-stdin", "--base-url", relay.url,
                    "--model", "gpt-4o-mini", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert KEY.encode() not in (home / ".aider.conf.yml").read_bytes()
    shell_file = home / ".config" / "keyconf" / "env" / "keyconf.sh"
    assert shell_file.is_file() and "AIDER_OPENAI_API_KEY" in shell_file.read_text()
    run, outside = _aider(home, shell_file=shell_file)
    assert outside == []
    assert "\npong\n" in run.stdout.lower(), run.stdout + run.stderr
    _check_calls(relay)


def test_a_wrong_key_shows_in_the_output_not_the_exit_status(home, relay):
    done = _keyconf("use", "aider", "--key-stdin", "--base-url", relay.url, "--model", "gpt-4o-mini", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    text = (home / ".aider.conf.yml").read_text().replace(KEY, "sk-Wrong000000000000000000")
    (home / ".aider.conf.yml").write_text(text)
    run, _ = _aider(home)
    assert run.returncode == 0  # Aider's exit status says nothing: the relay's 401 is in its output
    assert "AuthenticationError" in run.stdout and "authenticate you" in run.stdout, run.stdout
    assert "\npong\n" not in run.stdout.lower()
