"""`keyconf doctor`: its machine-wide checks on a bare machine, a proxy only a shell sees, and the key
commands of --no-plaintext clients run and checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KEY
from windows_fake import ps_profiles

VENV_BIN = Path(sys.executable).parent


def use(kc, url, *args):
    return kc("use", *args, "--key-stdin", "--base-url", url, input=KEY + "\n")


@pytest.fixture
def stable_keyconf(tmp_path, monkeypatch):
    """A `keyconf` on PATH outside any checkout, which runs this keyconf."""
    folder = tmp_path / "stable-bin"
    folder.mkdir()
    (folder / "keyconf").symlink_to(VENV_BIN / "keyconf")
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder / "keyconf"


def test_doctor_on_an_empty_home_runs_its_machine_wide_checks(kc, home):
    result = kc("doctor")
    assert result.code == 0, result.output
    assert "installed clients:" in result.stdout and "none configured" in result.stdout
    assert "no proxy variables set" in result.stdout and "keyring" in result.output
    assert "no problems found" in result.stdout
    kinds = {r["message"].split(":")[0]: r["status"] for r in kc("doctor", "--json").json()["results"]}
    assert kinds["installed clients"] == "info"


def test_doctor_on_an_empty_home_as_a_new_process(home):
    done = subprocess.run([str(VENV_BIN / "keyconf"), "doctor"], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(home)})
    assert done.returncode == 0, done.stderr
    assert "no problems found" in done.stdout


def test_doctor_says_a_desktop_app_will_not_see_a_proxy_set_in_a_shell(kc, home, monkeypatch):
    (home / ".bashrc").write_text("export HTTPS_PROXY=http://127.0.0.1:3128\n")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    cherry = home / ".config" / "CherryStudio"
    cherry.mkdir(parents=True)
    monkeypatch.setenv("PATH", os.environ["PATH"])
    result = kc("doctor", "--json").json()["results"]
    messages = [r["message"] for r in result]
    assert any("proxy settings in effect: HTTPS_PROXY" in m for m in messages)
    installed = next(m for m in messages if m.startswith("installed clients"))
    if "cherry-studio" in installed or "cursor" in installed:
        assert any("HTTPS_PROXY is only exported in a shell (~/.bashrc:1)" in m for m in messages), messages


def test_no_plaintext_uses_it_and_doctor_runs_the_helpers(kc, home, relay, stable_keyconf):
    result = use(kc, relay.url, "claude-code", "codex", "--no-plaintext", "--no-verify")
    assert result.code == 0, result.output
    assert "source checkout" not in result.output
    helper = json.loads((home / ".claude" / "settings.json").read_text())["apiKeyHelper"]
    assert helper == f"{stable_keyconf} secret default"
    assert f'command = "{stable_keyconf}"' in (home / ".codex" / "config.toml").read_text()
    doctor = kc("doctor", "--json")
    found = [(r["client"], r["status"], r["message"]) for r in doctor.json()["results"]]
    assert any(c == "claude-code" and s == "ok" and "apiKeyHelper runs and prints the profile's key" in m
               for c, s, m in found), found
    assert KEY not in doctor.output
    codex_ok = [r for r in doctor.json()["results"] if r["client"] == "codex" and "auth command" in r["message"]]
    assert codex_ok and codex_ok[0]["status"] == "ok"

    stable_keyconf.unlink()  # keyconf uninstalled: both clients break, and doctor says so
    doctor = kc("doctor")
    assert doctor.code == 8
    assert "claude-code: its apiKeyHelper" in doctor.stdout and "cannot run" in doctor.stdout
    assert "codex: its auth command" in doctor.stdout and KEY not in doctor.output


def test_doctor_reports_a_helper_that_prints_another_key(kc, home, relay, stable_keyconf, tmp_path):
    assert use(kc, relay.url, "claude-code", "--no-plaintext", "--no-verify").code == 0
    liar = tmp_path / "liar"
    liar.write_text("#!/bin/sh\necho sk-NotTheRightKey00000000000\n")
    liar.chmod(0o700)
    settings = home / ".claude" / "settings.json"
    data = json.loads(settings.read_text())
    data["apiKeyHelper"] = str(liar)
    settings.write_text(json.dumps(data))
    doctor = kc("doctor")
    assert doctor.code == 8, doctor.output
    assert "prints a 28-character value, not the profile's key" in doctor.stdout, doctor.stdout.splitlines()
    assert "NotTheRightKey" not in doctor.output


def test_windows_block_on_request_and_doctor_reports_the_policy(kc, home, relay, windows):
    assert use(kc, relay.url, "shell", "--shell", "powershell").code == 0
    assert all(p.exists() for p in ps_profiles(home))  # asked for: written whatever the policy
    doctor = kc("doctor")
    line = next(x for x in doctor.stdout.splitlines() if "execution policy" in x)
    assert line.startswith("warning: shell: PowerShell execution policy Restricted (CurrentUser: Undefined)")
    assert "the user variables (registry) still apply" in line
