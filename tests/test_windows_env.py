"""Windows: user variables (HKCU\\Environment) by default, the PowerShell profile block only on request or
when the execution policy runs it, registry values restored with their type."""

from __future__ import annotations

import pytest

from conftest import KEY
from windows_fake import ps_profiles


def use(kc, url, *args):
    return kc("use", *args, "--key-stdin", "--base-url", url, input=KEY + "\n")


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
