"""The real Factory Droid, configured by keyconf, answers `droid exec` from the loopback relay with the relay key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import KEY, REPO, real_binary, require_tool, snapshot
from corpus import CORPUS
from netguard import run_watched
from test_droid import SETTINGS_RICH, settings_path

pytestmark = pytest.mark.e2e

# Droid's calls to Factory (api.factory.ai, telemetry, an OTel collector) all stop with this.
QUIET = {"FACTORY_AIRGAP_ENABLED": "true", "NO_COLOR": "1"}
# npm's @factory/cli wrapper needs a platform package of its own version that the registry may lack, so the
# platform package is installed by itself (.ci/node/package.json); it links no `.bin/droid`.
PLATFORM_BINARY = REPO / ".ci" / "node" / "node_modules" / "@factory" / "cli-linux-x64" / "bin" / "droid"


# A real user's file as Factory writes it (header comments, no final newline, an old top-level "model").
REAL = CORPUS / "droid" / "006-izzaalfiansyah-dotfiles-settings.json"


def _droid_binary() -> str:
    return str(PLATFORM_BINARY) if PLATFORM_BINARY.exists() else real_binary("droid")


def _keyconf(*args: str, env: dict | None = None):
    exe = Path(os.sys.executable).parent / "keyconf"
    return subprocess.run([str(exe), *args], input=KEY + "\n", text=True, capture_output=True, timeout=60, env=env)


def _droid(home: Path, extra: dict | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTORY_", "OPENAI_", "KEYCONF_DROID"))}
    env.update({"HOME": str(home), **QUIET, **(extra or {})})
    work = home / "work"
    work.mkdir(exist_ok=True)
    return run_watched([_droid_binary(), "exec", "ping"], home / "net.trace", capture_output=True, text=True,
                       env=env, timeout=240, cwd=work, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("via,config", [
    ("config", SETTINGS_RICH), ("env", SETTINGS_RICH),
    pytest.param("config", REAL.read_bytes() if REAL.is_file() else None, id="config-corpus",
                 marks=pytest.mark.skipif(not REAL.is_file(), reason="no corpus"))])
def test_droid_exec_reaches_the_relay_with_the_key_and_model(home, relay, via, config):
    settings_path(home).parent.mkdir(parents=True)
    settings_path(home).write_bytes(config)
    before = snapshot(home)
    done = _keyconf("use", "droid", "--yes", "--key-stdin", "--base-url", relay.url + "/v1/", "--model", "gpt-5",
                    "--via", via, "--shell", "bash")
    assert done.returncode == 0, done.stdout + done.stderr
    # --via env: the variable a new shell gets from keyconf's block, read here from keyconf's env file
    extra = {}
    if via == "env":
        sourced = subprocess.run(["bash", "-c", f". '{home}/.config/keyconf/env/keyconf.sh' && "
                                               "printf %s \"$KEYCONF_DROID_API_KEY\""], capture_output=True, text=True)
        extra = {"KEYCONF_DROID_API_KEY": sourced.stdout}
    run, outside = _droid(home, extra)
    assert run.returncode == 0, run.stdout + run.stderr
    assert outside == []  # Factory's API, telemetry and DNS stay untouched
    assert "pong" in run.stdout
    calls = relay.seen("/v1/chat/completions")
    assert calls, [r.path for r in relay.requests]
    for call in calls:
        assert call.headers.get("authorization") == f"Bearer {KEY}"
        assert json.loads(call.body)["model"] == "gpt-5"
    done = _keyconf("remove", "droid")
    assert done.returncode == 0, done.stdout + done.stderr
    after = {k: v for k, v in snapshot(home).items() if k in before}
    assert after == before  # `droid exec` did not rewrite settings.json; keyconf took out exactly its own


def test_droids_own_rewrite_on_an_interactive_start_is_no_change_and_remove_takes_out_only_ours(home, relay):
    """The real TUI, started in a pseudo-terminal (`script`), rewrites settings.json (comments gone, fields added
    to every entry, keys reordered); keyconf then changes nothing, reads its entry, and removes only that."""
    script = require_tool("script")
    settings_path(home).parent.mkdir(parents=True)
    settings_path(home).write_bytes(SETTINGS_RICH)
    done = _keyconf("use", "droid", "--yes", "--key-stdin", "--base-url", relay.url, "--model", "gpt-5")
    assert done.returncode == 0, done.stdout + done.stderr
    ours = settings_path(home).read_bytes()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTORY_", "OPENAI_"))}
    env.update({"HOME": str(home), "TERM": "xterm", **QUIET})
    (home / "work").mkdir()
    tui = subprocess.Popen([script, "-qfc", _droid_binary(), "/dev/null"], cwd=home / "work", env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while settings_path(home).read_bytes() == ours and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # let it finish writing
    finally:
        os.killpg(tui.pid, signal.SIGKILL)
        tui.wait()
    rewritten = settings_path(home).read_bytes()
    assert rewritten != ours and b"// my local proxy" not in rewritten  # Droid's own rewrite happened
    again = _keyconf("use", "droid", "--no-verify", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["results"][0]["changed"] == [], again.stdout
    status = json.loads(_keyconf("status", "droid", "--json").stdout)["results"][0]
    assert status["configured"] and status["conflicts"] == [] and status["model"] == "gpt-5"
    assert _keyconf("remove", "droid").returncode == 0
    left = json.loads(settings_path(home).read_bytes())
    assert [m["displayName"] for m in left["customModels"]] == ["Local"]
    assert left["sessionDefaultSettings"] == {"autonomyMode": "auto-high"}
