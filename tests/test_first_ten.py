"""The first ten minutes (issue 13): doctor on a bare machine, a stable command for --no-plaintext and
doctor running it, Windows user variables by default, help and completion."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KEY

VENV_BIN = Path(sys.executable).parent


def use(kc, url, *args):
    return kc("use", *args, "--key-stdin", "--base-url", url, input=KEY + "\n")


# ---- #1 doctor on a machine where nothing is configured -------------------------------------------------

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


# ---- #8 a stable command for apiKeyHelper and Codex's auth command ------------------------------------------

def _script(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_command_is_the_console_script_on_path(tmp_path, home):
    from keyconf.osenv.system import fragile_command_warning, keyconf_argv

    script = _script(tmp_path / "bin" / "keyconf")
    argv = keyconf_argv({"PATH": str(script.parent), "HOME": str(home)})
    assert argv == [str(script)]
    assert fragile_command_warning(argv, "x") is None


def test_a_clone_venv_gives_way_to_a_pipx_venv_and_else_is_warned_about(tmp_path, home):
    from keyconf.osenv.system import fragile_command_warning, keyconf_argv

    (tmp_path / "clone" / ".git").mkdir(parents=True)
    in_clone = _script(tmp_path / "clone" / ".venv" / "bin" / "keyconf")
    env = {"PATH": str(in_clone.parent), "HOME": str(home)}
    assert keyconf_argv(env) == [str(in_clone)]
    warning = fragile_command_warning(keyconf_argv(env), "Claude Code's apiKeyHelper")
    assert "source checkout's .venv" in warning and "deleting that clone breaks it" in warning
    pipx_python = _script(home / ".local" / "share" / "pipx" / "venvs" / "keyconf" / "bin" / "python")
    assert keyconf_argv(env) == [str(pipx_python), "-m", "keyconf"]
    uv_env = {**env, "UV_TOOL_DIR": str(tmp_path / "uvtools")}
    pipx_python.unlink()
    uv_python = _script(tmp_path / "uvtools" / "keyconf" / "bin" / "python")
    assert keyconf_argv(uv_env) == [str(uv_python), "-m", "keyconf"]
    # a .venv that is not in a git work tree (pipx's own layout, a venv made anywhere) is not warned about
    assert fragile_command_warning([str(tmp_path / "elsewhere" / ".venv" / "bin" / "keyconf")], "x") is None


@pytest.fixture
def stable_keyconf(tmp_path, monkeypatch):
    """A `keyconf` on PATH outside any checkout, which runs this keyconf."""
    folder = tmp_path / "stable-bin"
    folder.mkdir()
    (folder / "keyconf").symlink_to(VENV_BIN / "keyconf")
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder / "keyconf"


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


# ---- #9 Windows: user variables by default, the profile block only where PowerShell runs it ------------------

class TypedRegistry:
    """HKCU\\Environment with value types, as winreg has them."""

    def __init__(self):
        from keyconf.osenv.winenv import REG_EXPAND_SZ, REG_SZ

        self.values = {"Path": ("%USERPROFILE%\\bin;C:\\Windows", REG_EXPAND_SZ),
                       "OPENAI_BASE_URL": ("%RELAY%/v1", REG_EXPAND_SZ), "OPENAI_API_KEY": ("sk-own-0000", REG_SZ)}
        self.broadcasts = 0

    def get(self, name):
        return self.values.get(name, (None, 1))[0]

    def get_typed(self, name):
        return self.values.get(name, (None, 1))

    def set(self, name, value, kind=1):
        if value is None:
            self.values.pop(name, None)
        else:
            self.values[name] = (value, kind)

    def broadcast(self):
        self.broadcasts += 1


@pytest.fixture
def windows(monkeypatch):
    from keyconf.osenv import shellenv, winenv

    registry = TypedRegistry()
    monkeypatch.setattr(winenv, "_backend", registry)
    monkeypatch.setenv("KEYCONF_PLATFORM", "windows")
    monkeypatch.delenv("SHELL", raising=False)
    policy = {"effective": "Restricted", "user": "Undefined"}
    monkeypatch.setattr(shellenv, "_ask_policy", lambda paths: (policy["effective"], policy["user"]))
    registry.policy = policy
    return registry


def ps_profiles(home):
    return [home / "Documents" / d / "Microsoft.PowerShell_profile.ps1" for d in ("PowerShell", "WindowsPowerShell")]


def test_windows_default_is_user_variables_without_a_profile_block(kc, home, relay, windows):
    original = dict(windows.values)
    result = use(kc, relay.url, "shell")
    assert result.code == 0, result.output
    assert windows.values["OPENAI_API_KEY"] == (KEY, 1)
    assert not any(p.exists() for p in ps_profiles(home))  # Restricted: a block would do nothing
    status = kc("status", "shell", "--json").json()["results"][0]
    assert "HKCU\\Environment (user variables)" in status["where"]
    assert kc("remove", "shell").code == 0
    assert windows.values == original


def test_windows_codex_via_env_goes_to_the_registry(kc, home, relay, windows):
    result = use(kc, relay.url, "codex", "--via", "env")
    assert result.code == 0, result.output
    assert windows.values["OPENAI_API_KEY"] == (KEY, 1)
    assert not any(p.exists() for p in ps_profiles(home))


@pytest.mark.parametrize("policy", ["RemoteSigned", "Unrestricted", "Bypass"])
def test_windows_writes_the_block_when_the_policy_runs_scripts(kc, home, relay, windows, policy):
    windows.policy["effective"] = policy
    assert use(kc, relay.url, "shell").code == 0
    assert all(p.exists() for p in ps_profiles(home))
    found = kc("doctor", "--json").json()["results"]
    assert any(r["status"] == "ok" and f"execution policy {policy}" in r["message"] for r in found)


def test_windows_block_on_request_and_doctor_reports_the_policy(kc, home, relay, windows):
    assert use(kc, relay.url, "shell", "--shell", "powershell").code == 0
    assert all(p.exists() for p in ps_profiles(home))  # asked for: written whatever the policy
    doctor = kc("doctor")
    line = next(x for x in doctor.stdout.splitlines() if "execution policy" in x)
    assert line.startswith("warning: shell: PowerShell execution policy Restricted (CurrentUser: Undefined)")
    assert "the user variables (registry) still apply" in line


def test_restoring_a_registry_value_keeps_its_type(kc, home, relay, windows):
    from keyconf.osenv.winenv import REG_EXPAND_SZ

    original = dict(windows.values)
    assert use(kc, relay.url, "shell").code == 0
    assert windows.values["OPENAI_BASE_URL"] == (relay.url + "/v1", 1)
    assert windows.values["Path"] == original["Path"]  # never touched
    assert kc("undo").code == 0
    assert windows.values == original and windows.values["OPENAI_BASE_URL"][1] == REG_EXPAND_SZ
    assert use(kc, relay.url, "shell").code == 0
    assert kc("remove", "shell").code == 0  # remove gives back the prior, type and all
    assert windows.values == original
    dry = use(kc, relay.url, "shell", "--dry-run")
    assert "-%RELAY%/v1  (REG_EXPAND_SZ)" in dry.stdout and KEY not in dry.output


def test_registry_value_bytes_round_trip():
    from keyconf.osenv.winenv import REG_EXPAND_SZ, REG_SZ, pack, unpack

    for value, kind in [("a", REG_SZ), ("%X%\\y", REG_EXPAND_SZ), ("", REG_EXPAND_SZ), (None, REG_SZ)]:
        assert unpack(pack(value, kind)) == (value, kind)
    assert pack("plain") == b"plain"  # REG_SZ values are journaled as before


# ---- what the lead built for issue 13, held by a test each ----------------------------------------------------

def test_use_without_a_client_in_a_script_is_a_usage_error_listing_them(kc, home, relay, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no client binary (CI puts claude, codex, ... on PATH)
    result = use(kc, relay.url)
    assert result.code == 2 and result.stdout == ""
    assert "name the clients to configure" in result.stderr and "installed here: shell" in result.stderr
    assert not (home / ".config" / "keyconf" / "profiles.toml").exists()  # nothing stored


def test_use_all_is_every_installed_client_and_names_the_others(kc, home, relay, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    (home / ".codex").mkdir()
    result = use(kc, relay.url, "--all", "--no-verify")
    assert result.code == 0, result.output
    assert "skipped (not installed here): claude-code, cursor" in result.output
    assert (home / ".codex" / "config.toml").exists()


def test_codex_keeps_and_reports_the_users_own_model(kc, home, relay):
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_text('model = "o3"\n')
    result = use(kc, relay.url, "codex", "--no-verify")
    assert result.code == 0 and "no model set" not in result.output
    assert 'keeps your own model = "o3"' in result.output


def test_env_of_a_client_without_variables_says_so_first(kc, home, relay):
    assert use(kc, relay.url, "codex", "--no-verify").code == 0
    result = kc("env", "cursor")
    assert result.code == 2 and "Cursor does not read environment variables" in result.stderr
    assert "link cursor" not in result.stderr
