"""Qwen Code, Factory Droid and Crush through the commands that replay a binding: apply/export, rotate, undo,
import (--to), verify --deep."""

from __future__ import annotations

import json

import pytest

from conftest import KEY, snapshot
from keyconf import links
from keyconf.formats import dotenv
from test_crush import run_crushrc

KEY_B = "sk-RotatedKey0000111122223333zz"


def qwen_key(home):
    return dotenv.parse((home / ".qwen" / ".env").read_text())["KEYCONF_QWEN_API_KEY"]


def droid_entry(home):
    from keyconf.formats.jsondoc import JsonDoc

    doc = JsonDoc((home / ".factory" / "settings.json").read_bytes(), "settings.json", jsonc=True)
    return next(m for m in doc.get(("customModels",)) if m["displayName"] == "keyconf")


def crush_key(home):
    return next(c for c in run_crushrc(home) if c[:3] == ["provider", "add", "keyconf"])[-1]


def test_apply_export_rotate_and_undo(kc, home, relay, tmp_path, monkeypatch):
    relay.keys.add(KEY_B)
    monkeypatch.setenv("RELAY_KEY", KEY)
    path = tmp_path / "team.toml"
    path.write_text(f"""version = 1
[profiles.team]
base_url = "{relay.url}"
key = {{ env = "RELAY_KEY" }}
[clients.qwen-code]
profile = "team"
model = "gpt-5"
[clients.droid]
profile = "team"
model = "gpt-4o-mini"
via = "env"
shells = ["bash"]
[clients.crush]
profile = "team"
model = "gpt-5"
no_plaintext = false
""")
    first = kc("apply", str(path), "--json")
    assert first.code == 0, first.output
    assert {r["client"]: r["status"] for r in first.json()["results"]} == {
        "qwen-code": "configured", "droid": "configured", "crush": "configured"}
    once = snapshot(home)
    second = kc("apply", str(path), "--json")
    assert [r["changed"] for r in second.json()["results"]] == [[], [], []] and snapshot(home) == once

    exported = kc("export").stdout
    for table in ("[clients.qwen-code]", "[clients.droid]", "[clients.crush]"):
        assert table in exported
    assert 'via = "env"' in exported and KEY not in exported

    assert qwen_key(home) == KEY and crush_key(home) == KEY
    assert droid_entry(home)["apiKey"] == "${KEYCONF_DROID_API_KEY}"
    rotated = kc("profile", "rotate", "team", "--key-stdin", "--json", input=KEY_B + "\n")
    assert rotated.code == 0, rotated.output
    assert {"qwen-code", "crush"} <= {r["client"] for r in rotated.json()["results"] if r["changed"]}
    assert qwen_key(home) == KEY_B and crush_key(home) == KEY_B
    assert KEY_B in (home / ".config" / "keyconf" / "env" / "keyconf.sh").read_text()  # droid's variable
    assert kc("undo").code == 0
    assert qwen_key(home) == KEY and crush_key(home) == KEY


@pytest.mark.parametrize("to,check", [("qwen", qwen_key), ("factory", lambda h: droid_entry(h)["apiKey"]),
                                      ("crush", crush_key)])
def test_a_ccswitch_link_imports_into_them_with_to(kc, home, relay, to, check):
    """cc-switch has no app value for these clients: its links reach them with --to (aliases too)."""
    link, _ = links.ccswitch_link("codex", "work", relay.url, KEY, {"model": "gpt-5"})
    result = kc("import", "-", "--to", to, "--yes", input=link + "\n")
    assert result.code == 0, result.output
    assert check(home) == KEY
    assert KEY not in result.output


@pytest.mark.parametrize("client", ["qwen-code", "droid", "crush"])
def test_verify_deep_sends_one_chat_request_with_the_model_set(kc, home, relay, client):
    assert kc("use", client, "--key-stdin", "--base-url", relay.url, "--model", "gpt-4o-mini", "--no-verify",
              input=KEY + "\n").code == 0
    result = kc("verify", client, "--deep", "--json")
    assert result.code == 0, result.output
    calls = relay.seen("/v1/chat/completions")
    assert calls and json.loads(calls[-1].body)["model"] == "gpt-4o-mini"
    assert calls[-1].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("client", ["qwen-code", "droid", "crush"])
def test_a_model_the_group_lacks_is_named_before_writing(kc, home, relay, client):
    result = kc("use", client, "--key-stdin", "--base-url", relay.url, "--model", "no-such-model",
                input=KEY + "\n")
    assert result.code == 10, result.output
    assert "no-such-model" in result.output
