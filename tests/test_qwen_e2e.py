"""The real Qwen Code, configured by keyconf, answers one prompt from the loopback relay with the relay key."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, real_binary, snapshot
from corpus import CORPUS
from netguard import run_watched
from test_qwen_code import SETTINGS_RICH, qwen_dir

pytestmark = pytest.mark.e2e

# Qwen Code 0.24 posts usage statistics to an Alibaba Cloud host on every run; this turns that off (the only
# call besides the relay that the facts file saw). An MCP server started through `npx` would fetch its package:
# the fixture has none here, and npm's registry points at a closed port. Qwen's `.bin` folder also holds the
# Node 22 it needs.
QUIET = {"QWEN_USAGE_STATISTICS_ENABLED": "0", "NO_COLOR": "1", "npm_config_registry": "http://127.0.0.1:9/"}
RICH = b"".join(line for line in SETTINGS_RICH.splitlines(keepends=True) if b"mcpServers" not in line)
OLD_FILE = b'{\n  "ui": {"theme": "Qwen Dark"},\n  "general": {"vimMode": true}\n}\n'  # no "$version" yet
# A real user's file ("$version": 3, Qwen's sign-in selected, their own OpenAI-compatible provider): Qwen migrates it.
REAL = CORPUS / "qwen-code" / "001-cnife-dotfiles.json"
# Qwen's first, flat layout: Qwen moves and reorders the keys (keyconf's among them) and drops the old auth key.
FLAT = b'{\n  "selectedAuthType": "qwen-oauth",\n  "theme": "Default"\n}\n'


def _keyconf(*args: str):
    exe = Path(os.sys.executable).parent / "keyconf"
    return subprocess.run([str(exe), *args], input=KEY + "\n", text=True, capture_output=True, timeout=60)


def _qwen(home: Path, extra: dict | None = None):
    qwen = real_binary("qwen")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "QWEN_", "KEYCONF_QWEN"))}
    env.update({"HOME": str(home), "PATH": f"{Path(qwen).parent}{os.pathsep}{env.get('PATH', '')}", **QUIET,
                **(extra or {})})
    work = home / "work"
    work.mkdir(exist_ok=True)
    # the users' own MCP servers (a corpus file has an HTTP one) stay off: only an unknown name is allowed
    return run_watched([qwen, "--allowed-mcp-server-names", "keyconf-none", "-p", "ping"], home / "net.trace",
                       capture_output=True, text=True, env=env, timeout=240, cwd=work, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("config", [pytest.param(RICH, id="comments-and-a-rival-gpt-5"),
                                    pytest.param(OLD_FILE, id="no-version-qwen-rewrites"),
                                    pytest.param(REAL.read_bytes() if REAL.is_file() else None, id="corpus-v3-migrated",
                                                 marks=pytest.mark.skipif(not REAL.is_file(), reason="no corpus")),
                                    pytest.param(FLAT, id="flat-layout-reordered")])
def test_qwen_prompt_reaches_the_relay_with_the_key_and_model(home, relay, config):
    path = qwen_dir(home) / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(config)
    before = snapshot(home)
    done = _keyconf("use", "qwen", "--yes", "--key-stdin", "--base-url", relay.url + "/v1/", "--model", "gpt-5")
    assert done.returncode == 0, done.stdout + done.stderr
    run, outside = _qwen(home)
    assert run.returncode == 0, run.stdout + run.stderr
    assert outside == []  # no telemetry, login or catalogue call left the machine
    assert "pong" in run.stdout
    calls = relay.seen("/v1/chat/completions")
    assert calls, [r.path for r in relay.requests]
    for call in calls:
        assert call.headers.get("authorization") == f"Bearer {KEY}"
        assert json.loads(call.body)["model"] == "gpt-5"
    # Qwen's own rewrite on start (adding "$version", or migrating 3 to 4) is no change to keyconf; status reads it
    again = _keyconf("use", "qwen-code", "--no-verify", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["results"][0]["changed"] == [], again.stdout
    status = json.loads(_keyconf("status", "qwen-code", "--json").stdout)["results"][0]
    assert status["configured"] and status["conflicts"] == [] and status["key"] == "sk-…YZ42"
    done = _keyconf("remove", "qwen-code")
    assert done.returncode == 0, done.stdout + done.stderr
    if b'"$version": 4' in config:
        assert path.read_bytes() == config  # Qwen left the file alone; keyconf took out exactly its own
    elif config == FLAT:  # what Qwen's migration made of the user's own settings stays
        assert json.loads(path.read_bytes()) == {"ui": {"theme": "Default"}, "$version": 4}
    else:
        assert json.loads(path.read_bytes()) == {**json.loads(config), "$version": 4}  # Qwen's own change stays
    after = {k: v for k, v in snapshot(home).items() if k in before and k != ".qwen/settings.json"}
    assert after == {k: v for k, v in before.items() if k != ".qwen/settings.json"}
    assert not (qwen_dir(home) / ".env").exists()


def test_via_env_qwen_gets_the_key_from_keyconfs_shell_file(home, relay):
    qwen_dir(home).mkdir(parents=True)
    (qwen_dir(home) / "settings.json").write_bytes(RICH)
    done = _keyconf("use", "qwen-code", "--key-stdin", "--base-url", relay.url, "--model", "gpt-5", "--via", "env",
                    "--shell", "bash")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (qwen_dir(home) / ".env").exists()
    sourced = subprocess.run(["bash", "-c", f". '{home}/.config/keyconf/env/keyconf.sh' && "
                                           "printf %s \"$KEYCONF_QWEN_API_KEY\""], capture_output=True, text=True)
    run, outside = _qwen(home, {"KEYCONF_QWEN_API_KEY": sourced.stdout})
    assert run.returncode == 0 and "pong" in run.stdout, run.stdout + run.stderr
    assert outside == []
    assert relay.seen("/v1/chat/completions")[-1].headers["authorization"] == f"Bearer {KEY}"


def test_keyconf_run_beats_a_projects_qwen_settings(home, relay):
    """A project's .qwen/settings.json beats the user's (Qwen reads it: plain `qwen` there goes to its relay);
    `keyconf run` (system settings, the highest layer) still sends only to the profile's relay with its key."""
    import fakerelay
    from adapter_contract import KEY_B

    other = fakerelay.start(keys=[KEY_B])
    try:
        qwen_dir(home).mkdir(parents=True)
        (qwen_dir(home) / "settings.json").write_bytes(RICH)
        assert _keyconf("use", "qwen", "--yes", "--key-stdin", "--base-url", relay.url, "--model", "gpt-5") \
            .returncode == 0
        done = subprocess.run([str(Path(os.sys.executable).parent / "keyconf"), "profile", "add", "B", "--key-stdin",
                               "--base-url", other.url, "--no-verify"], input=KEY_B + "\n", text=True,
                              capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
        project = home / "work" / ".qwen"
        project.mkdir(parents=True)
        (project / "settings.json").write_text(json.dumps({
            "modelProviders": {"openai": [{"id": "gpt-4o-mini", "name": "project", "envKey": "PROJECT_KEY",
                                           "baseUrl": relay.url + "/v1"}]},
            "model": {"name": "gpt-4o-mini"}, "security": {"auth": {"selectedType": "openai"}}}))
        alone, _ = _qwen(home, {"PROJECT_KEY": KEY})
        assert alone.returncode == 0, alone.stdout + alone.stderr
        assert {json.loads(c.body)["model"] for c in relay.seen("/v1/chat/completions")} == {"gpt-4o-mini"}
        relay.requests.clear()
        qwen = real_binary("qwen")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "QWEN_", "KEYCONF_QWEN"))}
        env.update({"HOME": str(home), "PATH": f"{Path(qwen).parent}{os.pathsep}{env.get('PATH', '')}", **QUIET,
                    "PROJECT_KEY": KEY})
        run = subprocess.run([str(Path(os.sys.executable).parent / "keyconf"), "run", "qwen-code", "--profile", "B",
                              "--", "--allowed-mcp-server-names", "keyconf-none", "-p", "ping"], env=env,
                             cwd=home / "work", capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
        assert run.returncode == 0, run.stdout + run.stderr
    finally:
        other.stop()
    assert relay.requests == []
    calls = other.seen("/v1/chat/completions")
    assert calls and all(c.headers.get("authorization") == f"Bearer {KEY_B}" for c in calls)
    assert {json.loads(c.body)["model"] for c in calls} == {"gpt-5"}
