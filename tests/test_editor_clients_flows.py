"""claude-vscode, zed, chatbox and roo-code through the commands that replay a binding: apply/export, rotate, undo,
import (--to), verify --deep."""

from __future__ import annotations

import json

import pytest

from conftest import KEY, snapshot
from keyconf import links

KEY_B = "sk-RotatedKey0000111122223333zz"


def vscode_items(home):
    from keyconf.formats.jsondoc import JsonDoc

    path = home / ".config" / "Code" / "User" / "settings.json"
    items = JsonDoc(path.read_bytes(), "settings.json", jsonc=True).get(("claudeCode.environmentVariables",))
    return {i["name"]: i["value"] for i in items}


def zed_env(home):
    return (home / ".config" / "keyconf" / "env" / "keyconf.sh").read_text()


def test_apply_export_rotate_and_undo(kc, home, relay, tmp_path, monkeypatch):
    relay.keys.add(KEY_B)
    monkeypatch.setenv("RELAY_KEY", KEY)
    monkeypatch.setenv("PATH", str(tmp_path))  # no handler: chatbox's link is only made
    (home / ".config" / "Code" / "User").mkdir(parents=True)
    (home / ".config" / "zed").mkdir(parents=True)
    (home / ".config" / "zed" / "settings.json").write_bytes(b"// mine\n{\"vim_mode\": true,}\n")
    path = tmp_path / "team.toml"
    path.write_text(f"""version = 1
[profiles.team]
base_url = "{relay.url}"
key = {{ env = "RELAY_KEY" }}
[clients.claude-vscode]
profile = "team"
model = "claude-sonnet-4-5"
[clients.zed]
profile = "team"
model = "gpt-5"
shells = ["bash"]
[clients.chatbox]
profile = "team"
model = "gpt-5"
protocol = "openai"
[clients.roo-code]
profile = "team"
model = "gpt-5"
""")
    first = kc("apply", str(path), "--json")
    assert first.code == 0, first.output
    assert {r["client"] for r in first.json()["results"]} == {"claude-vscode", "zed", "chatbox", "roo-code"}
    once = snapshot(home)
    second = kc("apply", str(path), "--json")
    assert second.code == 0, second.output
    assert snapshot(home) == once

    exported = kc("export").stdout
    for table in ("[clients.claude-vscode]", "[clients.zed]", "[clients.chatbox]", "[clients.roo-code]"):
        assert table in exported
    assert KEY not in exported

    assert vscode_items(home)["ANTHROPIC_AUTH_TOKEN"] == KEY and KEY in zed_env(home)
    rotated = kc("profile", "rotate", "team", "--key-stdin", "--json", input=KEY_B + "\n")
    assert rotated.code == 0, rotated.output
    assert vscode_items(home)["ANTHROPIC_AUTH_TOKEN"] == KEY_B and KEY_B in zed_env(home)
    assert KEY_B in (home / ".config" / "keyconf" / "roo-code" / "import.json").read_text()
    assert kc("undo").code == 0
    assert vscode_items(home)["ANTHROPIC_AUTH_TOKEN"] == KEY and KEY in zed_env(home)


@pytest.mark.parametrize("to", ["claude-vscode", "zed", "roo-code"])
def test_a_ccswitch_link_imports_into_them_with_to(kc, home, relay, to):
    link, _ = links.ccswitch_link("claude", "work", relay.url, KEY, {"model": "claude-sonnet-4-5"})
    result = kc("import", "-", "--to", to, "--yes", input=link + "\n")
    assert result.code == 0, result.output
    assert KEY not in result.output
    assert kc("status", to, "--json").json()["results"][0]["configured"]


@pytest.mark.parametrize(("client", "path", "extra"), [("claude-vscode", "/v1/messages", ()),
                                                        ("zed", "/v1/chat/completions", ("--shell", "bash")),
                                                        ("roo-code", "/v1/chat/completions", ()),
                                                        ("chatbox", "/v1/chat/completions", ("--no-open",)),
                                                        ("chatbox", "/v1/messages", ("--no-open", "--protocol",
                                                                                      "anthropic"))])
def test_verify_deep_speaks_the_clients_protocol_with_the_model_set(kc, home, relay, client, path, extra):
    model = "claude-sonnet-4-5" if path == "/v1/messages" else "gpt-4o-mini"
    assert kc("use", client, "--key-stdin", "--base-url", relay.url, "--model", model, "--no-verify", *extra,
              input=KEY + "\n").code == 0
    result = kc("verify", client, "--deep", "--json")
    assert result.code == 0, result.output
    calls = relay.seen(path)
    assert calls and json.loads(calls[-1].body)["model"] == model
