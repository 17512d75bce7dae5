"""The real Gemini CLI, configured by keyconf, talks to the loopback relay (and what wins over keyconf's file)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, real_binary
from lanes import lanes

pytestmark = pytest.mark.e2e

# What a user might already have; it also keeps the CLI from phoning home (usage statistics, update checks).
USER_SETTINGS = {"ui": {"theme": "GitHub"}, "privacy": {"usageStatisticsEnabled": False},
                 "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False}}


def _keyconf(*args: str, key: str = KEY, env: dict | None = None):
    exe = Path(os.sys.executable).parent / "keyconf"
    return subprocess.run([str(exe), *args], input=key + "\n", text=True, capture_output=True, timeout=60,
                          env={**os.environ, **(env or {})})


def _setup(home: Path, relay, *extra: str, key: str = KEY, env: dict | None = None):
    (home / ".gemini").mkdir(exist_ok=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps(USER_SETTINGS, indent=2) + "\n")
    done = _keyconf("use", "gemini-cli", "--key-stdin", "--base-url", relay.url + "/v1", *extra, key=key, env=env)
    assert done.returncode == 0, done.stdout + done.stderr


def _env(home: Path, extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEMINI_", "GOOGLE_"))}
    env.update({"HOME": str(home), "GEMINI_TELEMETRY_ENABLED": "false", "NO_COLOR": "1"})
    env.update(extra or {})
    return env


def _gemini(home: Path, *flags: str, extra_env: dict | None = None, shell: bool = False, binary: str | None = None):
    """`gemini -p` in a fresh folder (no project .env above it), as a script would run it."""
    work = home / "work"
    work.mkdir(exist_ok=True)
    argv = [binary or real_binary("gemini"), *flags, "-p", "ping"]
    if shell:  # through the user's bash start-up file, where --via env puts the variables
        argv = ["bash", "-c", 'source ~/.bashrc && exec "$@"', "bash", *argv]
    return subprocess.run(argv, capture_output=True, text=True, env=_env(home, extra_env), timeout=180, cwd=work,
                          stdin=subprocess.DEVNULL)


def _calls(relay) -> list:
    return [r for r in relay.requests if r.path.startswith("/v1beta/models/")]


def test_gemini_answers_through_the_relay_on_the_configured_model(home, relay):
    _setup(home, relay, "--model", "gemini-2.5-flash")
    run = _gemini(home, "--skip-trust")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pong" in run.stdout
    calls = _calls(relay)
    assert [c.path for c in calls] == ["/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"]
    assert calls[0].headers["x-goog-api-key"] == KEY
    assert json.loads((home / ".gemini" / "settings.json").read_text())["ui"] == {"theme": "GitHub"}


# Every name a Gemini CLI release has asked for with an API key (clients.md): router, flash and pro.
GEMINI_GROUP = ["gemini-3.5-flash-lite", "gemini-3.8-flash", "gemini-3.1-pro-preview", "gemini-2.5-flash"]


@pytest.mark.parametrize("lane", lanes("gemini"))
def test_without_a_model_the_router_then_the_main_model_as_verify_checked(home, relay, lane):
    """No --model anywhere: the router gets a JSON answer first, then the main model streams; every model
    the real client sends is one `keyconf verify` checked."""
    relay.models[:] = GEMINI_GROUP
    path = {"PATH": lane.path()}
    _setup(home, relay, env=path)
    verify = _keyconf("verify", "gemini-cli", "--json", env=path)
    checked = json.loads(verify.stdout)["results"][0]["verify"]
    run = _gemini(home, "--skip-trust", extra_env=path, binary=lane.binary())
    sent = relay.models_sent()
    print(f"{lane}: the client sent {sent}; verify checked {checked['model']} (asked {checked['asked']})")
    assert checked["model"], (f"Gemini CLI {lane.version} sent {sent}, but keyconf's table does not know this "
                              f"release: {checked['warnings']}; add a row to model_table in adapters/gemini_cli.py")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pong" in run.stdout
    calls = _calls(relay)
    router = [c for c in calls if c.path.endswith(":generateContent")]
    assert router and json.loads(router[0].body)["generationConfig"]["responseMimeType"] == "application/json"
    assert calls[-1].path.endswith(":streamGenerateContent?alt=sse")
    assert all(c.headers["x-goog-api-key"] == KEY for c in calls)
    assert sent and set(sent) <= set(checked["asked"]), f"sent {sent}, verify checked {checked['asked']}"
    assert verify.returncode == 0 and checked["model"] in checked["asked"]


@pytest.mark.parametrize("key", ["sk-a#b$c\"d`e0123456789", "sk-it's#$`x0123456789", "sk-a'b\"c`d0123456789"],
                         ids=["single-quoted", "double-quoted", "all-three-quotes"])
def test_keys_with_quotes_and_hashes_arrive_exactly(home, relay, key):
    relay.keys.add(key)
    _setup(home, relay, "--model", "gemini-2.5-flash", key=key)
    run = _gemini(home, "--skip-trust")
    assert run.returncode == 0, run.stdout + run.stderr
    assert [c.headers["x-goog-api-key"] for c in _calls(relay)] == [key]


def test_an_exported_key_beats_the_file_and_status_says_so(home, relay):
    _setup(home, relay, "--model", "gemini-2.5-flash")
    stray = "sk-stray-shell-export-0000"
    run = _gemini(home, "--skip-trust", extra_env={"GEMINI_API_KEY": stray})
    assert run.returncode != 0  # the relay rejects the shell's key: the file's key was not used
    assert {c.headers["x-goog-api-key"] for c in _calls(relay)} == {stray}
    exe = Path(os.sys.executable).parent / "keyconf"
    status = subprocess.run([str(exe), "status", "gemini-cli", "--json"], capture_output=True, text=True,
                            env={**os.environ, "GEMINI_API_KEY": stray}, timeout=60)
    conflicts = json.loads(status.stdout)["results"][0]["conflicts"]
    assert any("GEMINI_API_KEY is exported" in c for c in conflicts) and stray not in status.stdout


def test_an_untrusted_folder_ignores_the_file_until_trusted(home, relay):
    _setup(home, relay, "--model", "gemini-2.5-flash")
    run = _gemini(home)
    assert run.returncode != 0 and not _calls(relay)
    assert "GEMINI_API_KEY" in run.stdout + run.stderr  # it never read ~/.gemini/.env
    run = _gemini(home, extra_env={"GEMINI_CLI_TRUST_WORKSPACE": "true"})
    assert run.returncode == 0 and "pong" in run.stdout, run.stdout + run.stderr


def test_via_env_the_shell_gives_gemini_the_variables(home, relay):
    _setup(home, relay, "--via", "env", "--shell", "bash", "--model", "gemini-2.5-flash")
    assert not (home / ".gemini" / ".env").exists()
    run = _gemini(home, "--skip-trust", shell=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pong" in run.stdout
    assert [c.headers["x-goog-api-key"] for c in _calls(relay)] == [KEY]
