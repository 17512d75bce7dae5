"""Key sources of an apply file: env, prompt, stdin, command, stored. I/O is injected; the `command` source runs
real programs (a script that prints a key, one that fails, one that hangs)."""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import pytest

from conftest import KEY
from keyconf.errors import SecretStoreError, UsageError
from keyconf.keys.sources import KeyIO, KeySpec, resolve_keys, run_key_command, spec_from_toml
from keyconf.masking import redact
from keyconf.pipeline.applyfile import parse

KEY2 = "sk-Second0123456789abcdefQRS7"
KEY3 = "sk-Third0123456789abcdefLMN88"


class P:
    def __init__(self, name, spec, where=""):
        self.name = name
        self.base_url = "https://relay.example.com"
        self.key_source = spec
        self.where = where


def script(tmp_path: Path, name: str, body: str) -> str:
    """An executable Python script (a stand-in for `op`, `pass`, `secret-tool`)."""
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)
    return str(path)


def fails(exc_type, profiles, io_: KeyIO):
    with pytest.raises(exc_type) as info:
        resolve_keys(profiles, io_)
    exc = info.value
    for secret in (KEY, KEY2, KEY3):
        assert secret not in exc.message + exc.hint
    return exc


# ---- the forms --------------------------------------------------------------------------------

@pytest.mark.parametrize("value,spec", [
    ({"env": "WORK_KEY"}, KeySpec("env", "WORK_KEY")),
    ({"prompt": True}, KeySpec("prompt")),
    ({"stdin": True}, KeySpec("stdin")),
    ({"stored": True}, KeySpec("stored")),
    ({"command": ["op", "read", "op://vault/relay key/crédential"]},
     KeySpec("command", ["op", "read", "op://vault/relay key/crédential"])),
    ({"command": ["sh", "-c", 'printf "%s" "$K"\t\x7f\\']},
     KeySpec("command", ["sh", "-c", 'printf "%s" "$K"\t\x7f\\'])),
])
def test_spec_from_toml_and_back(value, spec):
    import tomllib

    assert spec_from_toml(value) == spec
    assert spec_from_toml(tomllib.loads("key = " + spec.to_toml())["key"]) == spec


# ---- env ----------------------------------------------------------------------------------------

def test_env_is_read_and_trimmed():
    keys = resolve_keys([P("work", KeySpec("env", "WORK_KEY"))], KeyIO(env={"WORK_KEY": f"  {KEY}\n"}))
    assert keys == {"work": KEY}


def test_env_not_set_names_the_variable_and_the_line():
    exc = fails(UsageError, [P("work", KeySpec("env", "WORK_KEY"), "team.toml:5")], KeyIO(env={}))
    assert exc.message == "team.toml:5: profile 'work': environment variable WORK_KEY is not set"
    assert "export WORK_KEY" in exc.hint


@pytest.mark.parametrize("value,text", [("", "the key is empty"), (f"{KEY} {KEY2}", "whitespace or control"),
                                        (f"{KEY}\x07", "whitespace or control")])
def test_every_key_goes_through_clean_key(value, text):
    exc = fails(UsageError, [P("work", KeySpec("env", "K"))], KeyIO(env={"K": value}))
    assert text in exc.message and "from $K" in exc.message and exc.code == 2


def test_a_resolved_key_is_masked_in_later_output():
    resolve_keys([P("work", KeySpec("env", "K"))], KeyIO(env={"K": KEY3}))
    assert KEY3 not in redact(f"oops {KEY3}")


# ---- prompt -------------------------------------------------------------------------------------

def test_prompt_asks_once_per_profile_however_many_clients_share_it():
    f = parse('version = 1\n[profiles.work]\nbase_url = "https://relay.example.com"\n'
              '[profiles.home]\nbase_url = "https://home.example.com"\n'
              '[clients.claude-code]\nprofile = "work"\n[clients.codex]\nprofile = "work"\n'
              '[clients.cursor]\nprofile = "work"\n[clients.shell]\nprofile = "work"\n'
              '[clients.cherry-studio]\nprofile = "home"\n', "team.toml")
    asked = []

    def prompt(label):
        asked.append(label)
        return {0: KEY, 1: KEY2}[len(asked) - 1]

    keys = resolve_keys(f.profiles.values(), KeyIO(env={}, prompt=prompt))
    assert keys == {"work": KEY, "home": KEY2}
    assert asked == ["API key for profile work (https://relay.example.com) (input hidden)",
                     "API key for profile home (https://home.example.com) (input hidden)"]


def test_prompt_without_a_terminal_is_a_clear_error():
    exc = fails(UsageError, [P("work", KeySpec("prompt"), "team.toml:2")], KeyIO(env={}, prompt=None))
    assert "there is no terminal to ask" in exc.message and "{ env = \"VAR\" }" in exc.hint


# ---- stdin --------------------------------------------------------------------------------------

def test_stdin_reads_one_line_per_profile_in_file_order_from_one_reader():
    f = parse('version = 1\n'
              '[profiles.b]\nbase_url = "https://b.example.com"\nkey = { stdin = true }\n'
              '[profiles.env]\nbase_url = "https://e.example.com"\nkey = { env = "E" }\n'
              '[profiles.a]\nbase_url = "https://a.example.com"\nkey = { stdin = true }\n', "team.toml")
    stdin = io.StringIO(f"{KEY}\n  {KEY2}  \r\nleft over\n")
    keys = resolve_keys(f.profiles.values(), KeyIO(env={"E": KEY3}, stdin=stdin))
    assert keys == {"b": KEY, "env": KEY3, "a": KEY2}
    assert stdin.readline() == "left over\n"


def test_stdin_that_ends_too_early():
    stdin = io.StringIO(f"{KEY}\n")
    exc = fails(UsageError, [P("a", KeySpec("stdin")), P("b", KeySpec("stdin"), "team.toml:9")],
                KeyIO(env={}, stdin=stdin))
    assert exc.message == "team.toml:9: profile 'b': standard input ended before this profile's key"


def test_stdin_when_the_file_itself_came_from_stdin():
    exc = fails(UsageError, [P("a", KeySpec("stdin"))], KeyIO(env={}, stdin=None))
    assert "standard input is the apply file itself" in exc.message


# ---- command ------------------------------------------------------------------------------------

def test_command_prints_the_key_on_its_first_line(tmp_path):
    op = script(tmp_path, "op", f"import sys\nassert sys.argv[1:] == ['read', 'op://vault/relay/key']\n"
                                f"print('  {KEY}  ')\nprint('second line is ignored')\n")
    keys = resolve_keys([P("work", KeySpec("command", [op, "read", "op://vault/relay/key"]))],
                        KeyIO(env=dict(os.environ)))
    assert keys == {"work": KEY}


def test_command_is_found_on_the_given_path_and_gets_the_environment(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script(bin_dir, "pass", "import os\nprint(os.environ['PASSWORD_STORE_KEY_FOR_TEST'])\n")
    env = {"PATH": str(bin_dir), "PASSWORD_STORE_KEY_FOR_TEST": KEY2}
    assert resolve_keys([P("w", KeySpec("command", ["pass", "relay/key"]))], KeyIO(env=env)) == {"w": KEY2}


def test_command_does_not_take_the_stdin_meant_for_other_profiles(tmp_path):
    greedy = script(tmp_path, "greedy", f"import sys\nsys.stdin.read()\nprint('{KEY}')\n")
    stdin = io.StringIO(f"{KEY2}\n")
    keys = resolve_keys([P("c", KeySpec("command", [greedy])), P("s", KeySpec("stdin"))],
                        KeyIO(env=dict(os.environ), stdin=stdin))
    assert keys == {"c": KEY, "s": KEY2}


def test_command_failure_shows_its_stderr_masked(tmp_path):
    bad = script(tmp_path, "op", f"import sys\nprint('{KEY}')\n"
                                 f"print('[ERROR] vault locked; token {KEY}', file=sys.stderr)\nsys.exit(3)\n")
    exc = fails(SecretStoreError, [P("work", KeySpec("command", [bad]), "team.toml:4")], KeyIO(env=dict(os.environ)))
    assert exc.code == 4
    assert exc.message.startswith(f"team.toml:4: profile 'work': the key command '{bad}' failed (exit status 3): "
                                  "[ERROR] vault locked; token sk-…")


def test_command_not_found_is_exit_4():
    exc = fails(SecretStoreError, [P("w", KeySpec("command", ["no-such-password-manager", "read"]))],
                KeyIO(env={"PATH": "/nonexistent"}))
    assert exc.code == 4 and "'no-such-password-manager' was not found" in exc.message


def test_command_that_is_not_executable_is_exit_4(tmp_path):
    path = tmp_path / "op"
    path.write_text("print('x')\n")
    exc = fails(SecretStoreError, [P("w", KeySpec("command", [str(path)]))], KeyIO(env=dict(os.environ)))
    assert exc.code == 4 and "could not be started" in exc.message


@pytest.mark.parametrize("output,said", [("", "printed nothing"), ("\n" + KEY + "\n", "printed an empty first line")])
def test_command_with_no_key_in_its_output(tmp_path, output, said):
    quiet = script(tmp_path, "quiet", f"import sys\nsys.stdout.write({output!r})\n")
    exc = fails(SecretStoreError, [P("w", KeySpec("command", [quiet]))], KeyIO(env=dict(os.environ)))
    assert said in exc.message and exc.code == 4


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see the helper is gone")
def test_a_hanging_command_times_out_with_exit_4_and_its_helpers_die_too(tmp_path):
    pid_file = tmp_path / "helper.pid"
    hang = script(tmp_path, "op", "import subprocess, sys, time\n"
                                  f"helper = subprocess.Popen(['sleep', '60'])\n"
                                  f"open({str(pid_file)!r}, 'w').write(str(helper.pid))\n"
                                  "print('partial', flush=True)\ntime.sleep(60)\n")
    started = time.monotonic()
    exc = fails(SecretStoreError, [P("w", KeySpec("command", [hang]), "t.toml:3")],
                KeyIO(env=dict(os.environ), timeout=1))
    assert time.monotonic() - started < 5
    assert exc.code == 4 and exc.message == f"t.toml:3: profile 'w': the key command '{hang}' did not finish within 1 s"
    deadline = time.monotonic() + 5
    while _state(int(pid_file.read_text())) not in ("gone", "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _state(int(pid_file.read_text())) in ("gone", "Z")


def test_run_key_command_defaults_to_15_seconds():
    import inspect

    assert inspect.signature(run_key_command).parameters["timeout"].default == 15
    assert KeyIO(env={}).timeout == 15


# ---- stored -------------------------------------------------------------------------------------

def test_stored_reads_keyconfs_store():
    asked = []

    def read_stored(name):
        asked.append(name)
        return {"work": KEY}.get(name)

    assert resolve_keys([P("work", KeySpec("stored"))], KeyIO(env={}, read_stored=read_stored)) == {"work": KEY}
    assert asked == ["work"]
    exc = fails(UsageError, [P("home", KeySpec("stored"), "t.toml:7")], KeyIO(env={}, read_stored=read_stored))
    assert exc.message == "t.toml:7: profile 'home': no key is stored for this profile on this machine"


def test_stored_passes_secret_store_errors_through():
    def broken(name):
        raise SecretStoreError("the keyring is locked")

    exc = fails(SecretStoreError, [P("work", KeySpec("stored"))], KeyIO(env={}, read_stored=broken))
    assert exc.message == "the keyring is locked"


def test_each_profile_is_resolved_once_in_order():
    calls = []

    def prompt(label):
        calls.append(label)
        return KEY

    profiles = [P("a", KeySpec("prompt")), P("a", KeySpec("prompt")), P("b", KeySpec("env", "B"))]
    assert resolve_keys(profiles, KeyIO(env={"B": KEY2}, prompt=prompt)) == {"a": KEY, "b": KEY2}
    assert len(calls) == 1
