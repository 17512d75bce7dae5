"""The command clients run for their key (--no-plaintext): the keyconf on PATH, a tool venv before a
clone's .venv, and a key command's error output masked."""

from __future__ import annotations

import stat
from pathlib import Path

from conftest import KEY


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


def test_a_key_commands_error_output_is_masked(kc, home, relay, tmp_path):
    path = tmp_path / "team.toml"
    path.write_text(f'version = 1\n[profiles.p]\nbase_url = "{relay.url}"\n'
                    f'key = {{ command = ["sh", "-c", "echo could not store {KEY} >&2; exit 3"] }}\n'
                    '[clients.codex]\nprofile = "p"\n')
    result = kc("apply", str(path))
    assert result.code == 4 and KEY not in result.output and "sk-…YZ42" in result.output
