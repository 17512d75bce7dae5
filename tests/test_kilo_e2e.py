"""The real Kilo Code CLI, configured by keyconf, answers one prompt from the loopback relay with the relay key."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEY, REPO, real_binary
from netguard import run_watched
from test_opencode import CONFIG_JSONC

pytestmark = pytest.mark.e2e

# Kilo's calls besides the relay: its gateway and marketplace (api.kilo.ai, pointed at a closed loopback port:
# there is no off switch), telemetry (on only at level `all`) and the models.dev catalogue; plus opencode's
# switches it kept, and npm (plugin installs) at a closed port.
QUIET = {"KILO_DISABLE_MODELS_FETCH": "1", "KILO_TELEMETRY_LEVEL": "off", "KILO_API_URL": "http://127.0.0.1:9",
         "KILO_DISABLE_AUTOUPDATE": "1", "KILO_DISABLE_SHARE": "1", "KILO_DISABLE_LSP_DOWNLOAD": "1",
         "KILO_DISABLE_DEFAULT_PLUGINS": "1", "KILO_DISABLE_CLAUDE_CODE": "1", "KILO_DISABLE_EXTERNAL_SKILLS": "1",
         "npm_config_registry": "http://127.0.0.1:9/"}
# The wrapper `@kilocode/cli` needs a platform package of its own version that the registry may lack, so
# .ci/node-more installs the platform package, whose package.json names no bin.
PLATFORM_BINARY = REPO / ".ci" / "node-more" / "node_modules" / "@kilocode" / "cli-linux-x64" / "bin" / "kilo"


def _keyconf(*args: str):
    exe = Path(os.sys.executable).parent / "keyconf"
    return subprocess.run([str(exe), *args], input=KEY + "\n", text=True, capture_output=True, timeout=60)


def _kilo(home: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KILO_", "OPENCODE_", "OPENAI_"))}
    env.update({"HOME": str(home), "NO_COLOR": "1", **QUIET})
    work = home / "work"
    work.mkdir(exist_ok=True)
    binary = str(PLATFORM_BINARY) if PLATFORM_BINARY.exists() else real_binary("kilo")
    return run_watched([binary, "run", "ping"], home / "net.trace", capture_output=True, text=True, env=env,
                       timeout=240, cwd=work, stdin=subprocess.DEVNULL)


def test_kilo_run_reaches_the_relay_then_undo_survives_kilos_first_start_edit(home, relay):
    path = home / ".config" / "kilo" / "kilo.jsonc"
    path.parent.mkdir(parents=True)
    path.write_bytes(CONFIG_JSONC)
    done = _keyconf("use", "kilocode", "--key-stdin", "--base-url", relay.url + "/v1/", "--model", "gpt-5")
    assert done.returncode == 0, done.stdout + done.stderr
    run, outside = _kilo(home)
    assert outside == []  # no gateway, telemetry or models.dev call left the machine
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pong" in run.stdout
    calls = relay.seen("/v1/chat/completions")
    assert calls, [r.path for r in relay.requests]
    for call in calls:
        assert call.headers.get("authorization") == f"Bearer {KEY}"
        assert json.loads(call.body)["model"] == "gpt-5"
    # Kilo's first start added permission.bash (and $schema) to the file keyconf wrote: its own edit, which
    # undo takes in its stride, taking out only keyconf's provider and model
    text = path.read_text()
    assert '"permission"' in text and '"keyconf"' in text
    done = _keyconf("undo")
    assert done.returncode == 0, done.stdout + done.stderr
    text = path.read_text()
    assert '"keyconf"' not in text and '"permission"' in text and "// opencode settings, edited by hand" in text
    assert not (home / ".local" / "share" / "kilo" / "auth.json").exists()

