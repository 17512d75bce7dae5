"""Environment variables through real bash, zsh and fish; PowerShell and the Windows registry as text."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import KEY, require_tool, snapshot
from keyconf.osenv import shellenv

pytestmark = pytest.mark.shells

NAMES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL")
NASTY = st.text(st.sampled_from(list("'\"$`\\ ;#%!*?~&|<>(){}[]=\t") + ["é", "数", "😀", "\u2019", "a", "Z", "0"]),
                max_size=24)


def read_vars(shell: str, script: str, names, env: dict | None = None) -> dict:
    """Run `script` in a real shell, then print each variable NUL-separated."""
    exe = require_tool(shell)
    if shell == "fish":
        dump = "; ".join(f"printf '%s\\0' \"${n}\"" for n in names)
    else:
        dump = "; ".join(f"printf '%s\\0' \"${n}\"" for n in names)
    done = subprocess.run([exe, "-c", f"{script}\n{dump}"], capture_output=True, timeout=60,
                          env=env or dict(os.environ))
    assert done.returncode == 0, done.stderr.decode()
    return dict(zip(names, done.stdout.decode().split("\0")))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["A_KEY", "B_URL", "C"]), NASTY, min_size=1))
def test_any_value_survives_quoting_in_real_shells(tmp_path, values):
    for shell, family in (("bash", "posix"), ("zsh", "posix"), ("fish", "fish")):
        path = tmp_path / f"env.{family}"
        path.write_text(shellenv.render_env(family, values, ["test"]), encoding="utf-8")
        got = read_vars(shell, f"source '{path}'" if shell != "fish" else f"source {path}", list(values))
        assert got == values, shell


def test_powershell_quoting_as_text():
    assert shellenv.quote("powershell", "it's $x `n") == "'it''s $x `n'"
    assert shellenv.quote("powershell", "a\u2019b") == "'a\u2019\u2019b'"
    assert shellenv.assignment("powershell", "OPENAI_API_KEY", "k'") == "$env:OPENAI_API_KEY = 'k'''"


# Keys are printable ASCII (keyinput refuses anything else); non-ASCII values are covered above.
keys = st.text(st.sampled_from(list("'\"$`\\;#%!&|") + ["a", "B", "7", "-"]), min_size=8, max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=keys)
def test_use_shell_then_real_shells_see_exact_values(kc, home, relay, key):
    import shutil

    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    key = "sk-" + key
    relay.keys.add(key)
    result = kc("use", "shell", "--key-stdin", "--base-url", relay.url + "/v1", "--shell", "bash", "--shell", "zsh",
                "--shell", "fish", "--no-verify", input=key + "\n")
    assert result.code == 0, result.output
    expected = {"OPENAI_API_KEY": key, "OPENAI_BASE_URL": relay.url + "/v1", "ANTHROPIC_AUTH_TOKEN": key,
                "ANTHROPIC_BASE_URL": relay.url}
    env = {k: v for k, v in os.environ.items() if k not in NAMES}
    assert read_vars("bash", f"source '{home}/.bashrc'", NAMES, env) == expected
    assert read_vars("zsh", f"source '{home}/.zshrc'", NAMES, env) == expected
    assert read_vars("fish", "true", NAMES, env) == expected  # fish loads conf.d by itself
    assert key not in result.output


@pytest.mark.parametrize("bad", ["sk-abc\ndef", "sk-abc\x1bdef", "sk abc"])
def test_key_with_newline_or_control_is_refused_before_writing(kc, home, relay, bad):
    before = snapshot(home)
    result = kc("use", "shell", "--key-env", "BAD", "--base-url", relay.url, "--shell", "bash") \
        if False else None
    os.environ["BAD_KEY_FOR_TEST"] = bad
    try:
        result = kc("use", "shell", "--key-env", "BAD_KEY_FOR_TEST", "--base-url", relay.url, "--shell", "bash")
    finally:
        del os.environ["BAD_KEY_FOR_TEST"]
    assert result.code == 2 and "whitespace or control" in result.stderr
    assert snapshot(home) == before


RC_FILES = {
    ".bashrc": b"# ~/.bashrc\n# >>> conda initialize >>>\n__conda_setup=\"$('/opt/conda/bin/conda' 'shell.bash')\"\n"
               b"# <<< conda initialize <<<\nalias ll='ls -l'",  # no trailing newline
    ".zshrc": b"export PATH=\"$HOME/bin:$PATH\"\r\nsource $ZSH/oh-my-zsh.sh\r\n",  # CRLF
}


def test_rc_files_round_trip_byte_identical_and_idempotent(kc, home, relay, tmp_path):
    for name, content in RC_FILES.items():
        (home / name).write_bytes(content)
    dotfiles = tmp_path / "dotfiles"
    fish_dir = home / ".config" / "fish" / "conf.d"
    fish_dir.mkdir(parents=True)
    dotfiles.mkdir()
    (dotfiles / "zshrc").write_bytes(RC_FILES[".zshrc"])
    (home / ".zshrc").unlink()
    (home / ".zshrc").symlink_to(dotfiles / "zshrc")  # symlinked dotfile
    before = snapshot(home)
    before_dotfiles = snapshot(dotfiles)
    args = ("use", "shell", "--key-stdin", "--base-url", relay.url, "--shell", "bash", "--shell", "zsh",
            "--shell", "fish")
    assert kc(*args, input=KEY + "\n").code == 0
    assert (home / ".zshrc").is_symlink()
    zshrc = (dotfiles / "zshrc").read_bytes()
    # the user's lines keep CRLF; keyconf's block ends its lines in LF, which the shell needs
    assert zshrc.startswith(RC_FILES[".zshrc"] + shellenv.BEGIN.encode() + b"\n")
    assert b"\r" not in zshrc[len(RC_FILES[".zshrc"]):]
    assert (home / ".bashrc").read_bytes().startswith(RC_FILES[".bashrc"] + b"\n# >>> keyconf >>>")
    once = snapshot(home)
    journal = home / ".config" / "keyconf" / "journal"
    entries = len(list(journal.iterdir()))
    again = kc("use", "shell")
    assert again.code == 0 and "nothing changed" in again.stdout
    assert snapshot(home) == once and len(list(journal.iterdir())) == entries
    assert kc("remove", "shell").code == 0
    assert snapshot(home) == before and snapshot(dotfiles) == before_dotfiles
    assert not (home / ".config" / "keyconf" / "env" / "keyconf.sh").exists()


def test_env_files_are_private_and_rc_files_hold_no_key(kc, home, relay):
    assert kc("use", "shell", "--key-stdin", "--base-url", relay.url, "--shell", "bash", "--shell", "fish",
              input=KEY + "\n").code == 0
    for family in ("posix", "fish"):
        path = home / ".config" / "keyconf" / "env" / shellenv.ENV_FILE[family]
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert KEY not in (home / ".bashrc").read_text()
    assert KEY not in (home / ".config/fish/conf.d/keyconf.fish").read_text()


def test_undo_restores_shell_files(kc, home, relay):
    (home / ".bashrc").write_text("# mine\n")
    before = snapshot(home)
    assert kc("use", "shell", "--key-stdin", "--base-url", relay.url, "--shell", "bash", input=KEY + "\n").code == 0
    assert kc("undo").code == 0
    assert snapshot(home) == before


def test_default_shells_come_from_login_shell_and_rc_files(kc, home, relay, monkeypatch):
    monkeypatch.setenv("SHELL", "/usr/bin/zsh")
    (home / ".bashrc").write_text("")
    assert kc("use", "shell", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    assert shellenv.BEGIN in (home / ".bashrc").read_text() and shellenv.BEGIN in (home / ".zshrc").read_text()
    assert not (home / ".config" / "fish").exists()


def test_zdotdir_and_macos_bash_profile(kc, home, relay, monkeypatch, tmp_path):
    monkeypatch.setenv("ZDOTDIR", str(tmp_path / "zdot"))
    monkeypatch.setenv("KEYCONF_PLATFORM", "macos")
    assert kc("use", "shell", "--key-stdin", "--base-url", relay.url, "--shell", "zsh", "--shell", "bash",
              input=KEY + "\n").code == 0
    assert shellenv.BEGIN in (tmp_path / "zdot" / ".zshrc").read_text()
    assert shellenv.BEGIN in (home / ".bash_profile").read_text() and not (home / ".bashrc").exists()


def test_powershell_profile_with_bom_and_crlf(kc, home, relay):
    profile = home / ".config" / "powershell" / "Microsoft.PowerShell_profile.ps1"
    profile.parent.mkdir(parents=True)
    original = b"\xef\xbb\xbfSet-PSReadLineOption -EditMode Emacs\r\nImport-Module posh-git\r\n"
    profile.write_bytes(original)
    assert kc("use", "shell", "--key-stdin", "--base-url", relay.url, "--shell", "powershell",
              input=KEY + "\n").code == 0
    text = profile.read_bytes()
    assert text.startswith(original) and b"\r\n# <<< keyconf <<<\r\n" in text
    assert b". '" in text and b"keyconf.ps1'" in text
    env_file = (home / ".config" / "keyconf" / "env" / "keyconf.ps1").read_text()
    assert f"$env:OPENAI_API_KEY = '{KEY}'" in env_file
    assert kc("remove", "shell").code == 0
    assert profile.read_bytes() == original


class FakeRegistry:
    def __init__(self):
        self.values = {"Path": "C:\\Windows", "OPENAI_API_KEY": "sk-users-own-key-0000"}
        self.broadcasts = 0

    def get(self, name):
        return self.values.get(name)

    def set(self, name, value):
        if value is None:
            self.values.pop(name, None)
        else:
            self.values[name] = value

    def broadcast(self):
        self.broadcasts += 1


def test_windows_user_variables_through_the_registry_interface(kc, home, relay, monkeypatch):
    from keyconf.osenv import winenv

    fake = FakeRegistry()
    monkeypatch.setattr(winenv, "_backend", fake)
    monkeypatch.setenv("KEYCONF_PLATFORM", "windows")
    original = dict(fake.values)
    result = kc("use", "shell", "--key-stdin", "--base-url", relay.url, "--shell", "powershell", "--json",
                input=KEY + "\n")
    assert result.code == 0, result.output
    assert fake.values["OPENAI_API_KEY"] == KEY and fake.values["ANTHROPIC_BASE_URL"] == relay.url
    assert fake.broadcasts >= 1
    assert (home / "Documents" / "PowerShell" / "Microsoft.PowerShell_profile.ps1").exists()
    assert (home / "Documents" / "WindowsPowerShell" / "Microsoft.PowerShell_profile.ps1").exists()
    assert KEY not in result.stdout
    assert kc("remove", "shell").code == 0
    assert fake.values == original
    assert not (home / "Documents" / "PowerShell" / "Microsoft.PowerShell_profile.ps1").exists()
    # the registry edits are journaled like files: use, then undo
    assert kc("use", "shell", "--shell", "powershell").code == 0
    assert fake.values["OPENAI_API_KEY"] == KEY
    assert kc("undo").code == 0
    assert fake.values == original


def test_env_command_prints_eval_able_snippets(kc, home, relay, tmp_path):
    assert kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--no-verify", input=KEY + "\n").code == 0
    masked = kc("env", "shell", "--shell", "bash", "--json")
    assert masked.code == 0 and KEY not in masked.output and "sk-…YZ42" in masked.stdout
    refused = kc("env", "shell", "--shell", "bash")  # stdout is not a terminal: meant for eval
    assert refused.code == 2 and refused.stdout == "" and "add --reveal" in refused.stderr
    for shell in ("bash", "zsh", "fish"):
        snippet = tmp_path / f"snippet.{shell}"
        snippet.write_text(kc("env", "shell", "--shell", shell, "--reveal").stdout)
        script = f'eval "$(cat {snippet})"' if shell != "fish" else f"cat {snippet} | source"
        env = {k: v for k, v in os.environ.items() if k not in NAMES}
        got = read_vars(shell, script, NAMES, env)
        assert got["OPENAI_API_KEY"] == KEY and got["OPENAI_BASE_URL"] == relay.url + "/v1"
    ps = kc("env", "codex", "--shell", "powershell", "--reveal").stdout
    assert f"$env:OPENAI_API_KEY = '{KEY}'" in ps


def test_status_reports_other_setters_with_file_and_line(kc, home, relay):
    (home / ".zshrc").write_text("# mine\nexport OPENAI_BASE_URL=https://api.openai.com/v1\n")
    (home / ".config" / "fish").mkdir(parents=True)
    (home / ".config" / "fish" / "config.fish").write_text("set -gx ANTHROPIC_AUTH_TOKEN foo\n")
    assert kc("use", "shell", "--key-stdin", "--base-url", relay.url, "--shell", "zsh", input=KEY + "\n").code == 0
    conflicts = kc("status", "shell", "--json").json()["results"][0]["conflicts"]
    assert "~/.zshrc:2 sets OPENAI_BASE_URL" in conflicts
    assert "~/.config/fish/config.fish:1 sets ANTHROPIC_AUTH_TOKEN" in conflicts
    assert not any(":4 " in c or "keyconf" in c for c in conflicts)  # keyconf's own block is not a conflict


def test_claude_via_env(kc, home, relay):
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text('{"theme": "dark"}\n')
    result = kc("use", "claude-code", "--via", "env", "--shell", "bash", "--key-stdin", "--base-url", relay.url,
                input=KEY + "\n")
    assert result.code == 0, result.output
    assert (home / ".claude" / "settings.json").read_text() == '{"theme": "dark"}\n'
    assert json.loads((home / ".claude.json").read_text())["hasCompletedOnboarding"] is True
    got = read_vars("bash", f"source '{home}/.bashrc'", ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"))
    assert got == {"ANTHROPIC_BASE_URL": relay.url, "ANTHROPIC_AUTH_TOKEN": KEY}
    assert kc("status", "claude-code", "--json").json()["results"][0]["via"] == "env"
    assert kc("verify", "claude-code").code == 0
    assert kc("use", "claude-code", "--via", "env", "--no-plaintext").code == 2


def test_codex_via_env_writes_env_key(kc, home, relay):
    result = kc("use", "codex", "--via", "env", "--shell", "bash", "--key-stdin", "--base-url", relay.url,
                "--model", "gpt-5-codex", input=KEY + "\n")
    assert result.code == 0, result.output
    import tomllib

    provider = tomllib.loads((home / ".codex" / "config.toml").read_text())["model_providers"]["keyconf"]
    assert provider["env_key"] == "OPENAI_API_KEY"
    assert not (home / ".codex" / "auth.json").exists()
    assert read_vars("bash", f"source '{home}/.bashrc'", ("OPENAI_API_KEY",)) == {"OPENAI_API_KEY": KEY}
    assert kc("verify", "codex").code == 0
    assert kc("remove", "codex").code == 0
    assert not (home / ".codex" / "config.toml").exists() and not (home / ".bashrc").exists()


from adapter_contract import AdapterContract, RunE2E  # noqa: E402

# what an SDK script does with the variables: list the models at OPENAI_BASE_URL with OPENAI_API_KEY
SDK_SCRIPT = ("import os, urllib.request as u; r = u.Request(os.environ['OPENAI_BASE_URL'] + '/models', "
              "headers={'Authorization': 'Bearer ' + os.environ['OPENAI_API_KEY']}); print(u.urlopen(r).status)")


class TestShellContract(AdapterContract):
    client = "shell"
    use_args = ("--shell", "bash", "--shell", "zsh", "--shell", "fish")
    run_e2e = RunE2E("python3", ("python3", "-c", SDK_SCRIPT), "/v1/models", "authorization", baseline=False)
    cannot_plant = "a foreign key in an rc file is the user's own line, which keyconf leaves alone"

    def arrange(self, home):
        for name, content in RC_FILES.items():
            (home / name).write_bytes(content)
        (home / ".config" / "fish" / "conf.d").mkdir(parents=True)

    def break_file(self, home):
        (home / ".bashrc").write_bytes(b"# >>> keyconf >>>\nexport X=1\n")  # a block with no end marker
        return home / ".bashrc"
