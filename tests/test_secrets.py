"""Secret stores: the 0600 file fallback, and a real keyring daemon (gnome-keyring under dbus)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from conftest import KEY, REQUIRE_REAL


def test_file_store_is_private_and_profile_holds_no_key(kc, home, relay):
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--profile", "work",
                 input=KEY + "\n")
    assert result.code == 0, result.output
    secrets = home / ".config" / "keyconf" / "secrets.json"
    assert json.loads(secrets.read_text()) == {"work": KEY}
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert stat.S_IMODE(secrets.parent.stat().st_mode) == 0o700
    assert KEY not in (home / ".config" / "keyconf" / "profiles.toml").read_text()
    secret = kc("secret", "work")
    assert secret.code == 0 and secret.stdout == KEY + "\n"


def test_auto_without_keyring_falls_back_with_one_warning(kc, home, relay, monkeypatch):
    monkeypatch.setenv("KEYCONF_SECRET_STORE", "auto")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    _use_backend_from_env()
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--no-verify", input=KEY + "\n")
    assert result.code == 0, result.output
    assert result.stderr.count("warning: no system keyring") == 1
    assert "0600" in result.stderr


def test_keyring_required_but_absent_is_exit_4(kc, home, relay, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    _use_backend_from_env()
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--secret-store", "keyring",
                input=KEY + "\n")
    assert result.code == 4, result.output
    assert not (home / ".claude" / "settings.json").exists()


def test_missing_secret_is_exit_4(kc, home, relay):
    assert kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    (home / ".config" / "keyconf" / "secrets.json").write_text("{}")
    result = kc("secret", "default")
    assert result.code == 4 and "no key for profile" in result.stderr


@pytest.fixture(autouse=True)
def fresh_keyring_backend():
    """keyring picks its backend once per process; tests that change PYTHON_KEYRING_BACKEND re-pick."""
    yield
    import keyring.core

    os.environ.pop("PYTHON_KEYRING_BACKEND", None)
    keyring.core.init_backend()


def _use_backend_from_env() -> None:
    import keyring.core

    keyring.core.init_backend()


def _keyring_ready() -> bool:
    _use_backend_from_env()
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    from keyconf.stores.secretstore import KeyringBackend

    return KeyringBackend().available()[0]


@pytest.mark.keyring
def test_real_keyring_daemon_round_trip(kc, home, relay, monkeypatch):
    if not _keyring_ready():
        if REQUIRE_REAL:
            pytest.fail("no unlocked keyring daemon on the session bus (scripts/test starts gnome-keyring)")
        pytest.skip("no keyring daemon (run under scripts/test)")
    monkeypatch.setenv("KEYCONF_SECRET_STORE", "keyring")
    name = "kr-" + os.urandom(3).hex()
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--profile", name,
                "--no-plaintext", input=KEY + "\n")
    assert result.code == 0, result.output
    assert "no system keyring" not in result.stderr  # the keyring was used: no fallback warning
    assert not (home / ".config" / "keyconf" / "secrets.json").exists()
    import keyring

    assert keyring.get_password("keyconf", name) == KEY
    assert kc("secret", name).stdout == KEY + "\n"
    shown = kc("profile", "show", name, "--json").json()["results"][0]
    assert shown["secret_store"] == "keyring" and shown["key"] == "sk-…YZ42"
    new_key = "sk-rotated-key-0000000001"
    relay.keys.add(new_key)
    rotated = kc("profile", "rotate", name, "--key-stdin", input=new_key + "\n")
    assert rotated.code == 0, rotated.output
    assert keyring.get_password("keyconf", name) == new_key
    # undo gives the keyring its previous key back, and deletes a key the undone change added
    assert kc("undo").code == 0
    assert keyring.get_password("keyconf", name) == KEY
    assert kc("undo").code == 0
    assert keyring.get_password("keyconf", name) is None
    assert kc("profile", "list", "--json").json()["results"] == []


def test_a_keyring_that_hangs_times_out_with_exit_4(kc, home, relay, monkeypatch):
    import time

    import keyring
    from keyring.backend import KeyringBackend


    class Hanging(KeyringBackend):
        priority = 1

        def get_password(self, service, username):
            time.sleep(5)

        def set_password(self, service, username, password):
            time.sleep(5)

        def delete_password(self, service, username):
            time.sleep(5)

    monkeypatch.setenv("KEYCONF_KEYRING_TIMEOUT", "0.3")
    keyring.set_keyring(Hanging())
    started = time.monotonic()
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--secret-store", "keyring",
                input=KEY + "\n")
    assert result.code == 4 and "did not answer" in result.stderr
    assert time.monotonic() - started < 3
    assert not (home / ".claude").exists()
