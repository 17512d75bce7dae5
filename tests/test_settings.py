"""keyconf's environment knobs: checked in one place (keyconf.settings), a bad value is exit 2 naming the
variable when a command needs it, a flag for the same setting wins, and commands that don't need a knob are
not stopped by it (`keyconf secret` runs for a client's key). Sessions are built directly, no sys.* swapped."""

from __future__ import annotations

import io

import pytest

from conftest import KEY
from keyconf.errors import UsageError
from keyconf.output import Reporter
from keyconf.paths import Paths
from keyconf.session import Session


def session_with(env: dict, stdin: str = "") -> Session:
    return Session(Paths(env, "linux"), Reporter("test"), stdin=io.StringIO(stdin), interactive=False)


def test_a_bad_knob_is_a_usage_error_naming_it_when_read():
    session = session_with({"KEYCONF_TIMEOUT": "abc", "KEYCONF_KEYRING_TIMEOUT": "-1", "KEYCONF_SECRET_STORE": "x"})
    with pytest.raises(UsageError, match="KEYCONF_TIMEOUT"):
        _ = session.settings.timeout
    with pytest.raises(UsageError, match="KEYCONF_KEYRING_TIMEOUT"):
        _ = session.settings.keyring_timeout
    with pytest.raises(UsageError, match="KEYCONF_SECRET_STORE"):
        _ = session.settings.secret_store


def test_keys_and_urls_come_through_the_session():
    session = session_with({"KEYCONF_API_KEY": f"  {KEY}\n", "KEYCONF_BASE_URL": "https://relay.example.com"})
    assert session.read_key(prompt=False) == (KEY, [])
    assert session.read_base_url(prompt=False) == "https://relay.example.com"
    piped = session_with({}, stdin=KEY + "\n")
    assert piped.read_key(key_stdin=True)[0] == KEY
    with pytest.raises(UsageError, match="no key given and no terminal"):
        session_with({}).read_key(prompt=True)
    with pytest.raises(UsageError, match="--key-env WORK_KEY"):
        session_with({}).read_key(key_env="WORK_KEY")


def test_keyring_timeout_abc_is_exit_2_for_profile_list(kc, monkeypatch):
    monkeypatch.setenv("KEYCONF_SECRET_STORE", "keyring")
    monkeypatch.setenv("KEYCONF_KEYRING_TIMEOUT", "abc")
    assert kc("use", "codex", "--key-stdin", "--base-url", "https://relay.example.com", "--no-verify",
              input=KEY + "\n").code == 2
    result = kc("profile", "list", "--json")
    assert result.code == 0  # listing reads no keyring: the knob is not needed


def test_a_knob_a_command_does_not_need_does_not_stop_it(kc, monkeypatch, relay):
    assert kc("use", "codex", "--key-stdin", "--base-url", relay.url, "--no-verify", input=KEY + "\n").code == 0
    monkeypatch.setenv("KEYCONF_TIMEOUT", "abc")
    assert kc("secret", "default").stdout.strip() == KEY  # a client's key command keeps working
    result = kc("verify", "--json")
    assert result.code == 2 and "KEYCONF_TIMEOUT" in result.json()["errors"][0]["message"]
    assert kc("verify", "--timeout", "5").code == 0  # the flag wins


def test_a_flag_wins_over_a_bad_secret_store_knob(kc, monkeypatch, relay):
    monkeypatch.setenv("KEYCONF_SECRET_STORE", "bogus")
    assert kc("use", "codex", "--key-stdin", "--base-url", relay.url, "--no-verify", "--secret-store", "file",
              input=KEY + "\n").code == 0
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--no-verify", "--profile", "b",
                input=KEY + "\n")
    assert result.code == 2 and "KEYCONF_SECRET_STORE" in result.stderr
