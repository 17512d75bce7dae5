"""Gemini CLI and opencode in every flow, not only `use`: import (cc-switch app=gemini|opencode), apply,
export, env, profile rotate, undo. Each is the pipeline replaying the client's binding."""

from __future__ import annotations

import json

from conftest import KEY, snapshot
from keyconf import links
from keyconf.adapters.gemini_cli import parse_dotenv

KEY_B = "sk-RotatedKey000011112222333x"


def gemini_env(home) -> dict:
    return parse_dotenv((home / ".gemini" / ".env").read_text())


def opencode_config(home) -> dict:
    return json.loads((home / ".config" / "opencode" / "opencode.json").read_text())


def opencode_key(home) -> str:
    return json.loads((home / ".local" / "share" / "opencode" / "auth.json").read_text())["keyconf"]["key"]


def test_cc_switch_gemini_and_opencode_links_import(kc, home, relay):
    gemini, _ = links.ccswitch_link("gemini", "team", relay.url, KEY, {"model": "gemini-2.5-pro"})
    result = kc("import", "-y", "--json", input=gemini + "\n")
    assert result.code == 0, result.output
    assert gemini_env(home) == {"GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": relay.url,
                                "GEMINI_MODEL": "gemini-2.5-pro"}
    opencode, _ = links.ccswitch_link("opencode", "team", relay.url, KEY, {"model": "gpt-5"})
    result = kc("import", "-y", "--json", input=opencode + "\n")
    assert result.code == 0, result.output
    config = opencode_config(home)
    assert config["provider"]["keyconf"]["options"]["baseURL"] == relay.url + "/v1"
    assert config["model"] == "keyconf/gpt-5" and opencode_key(home) == KEY
    assert KEY not in result.output


def test_apply_export_env_and_rotate_with_both(kc, home, relay, tmp_path, monkeypatch):
    relay.keys.add(KEY_B)
    monkeypatch.setenv("RELAY_KEY", KEY)
    path = tmp_path / "team.toml"
    path.write_text(f"""version = 1
[profiles.team]
base_url = "{relay.url}"
key = {{ env = "RELAY_KEY" }}
[clients.gemini-cli]
profile = "team"
model = "gemini-2.5-pro"
[clients.opencode]
profile = "team"
model = "gpt-5"
""")
    assert kc("apply", str(path)).code == 0
    once = snapshot(home)
    second = kc("apply", str(path), "--json")
    assert [r["changed"] for r in second.json()["results"]] == [[], []] and snapshot(home) == once

    exported = kc("export").stdout
    assert "[clients.gemini-cli]" in exported and 'model = "gemini-2.5-pro"' in exported
    assert "[clients.opencode]" in exported and KEY not in exported

    shown = kc("env", "gemini-cli", "--shell", "bash", "--reveal").stdout.replace(KEY, "sk-…")
    assert "export GOOGLE_GEMINI_BASE_URL=" in shown and "export GEMINI_MODEL='gemini-2.5-pro'" in shown

    rotated = kc("profile", "rotate", "team", "--key-stdin", "--json", input=KEY_B + "\n")
    assert rotated.code == 0, rotated.output
    assert {r["client"] for r in rotated.json()["results"] if r["changed"]} == {"gemini-cli", "opencode"}
    assert gemini_env(home)["GEMINI_API_KEY"] == KEY_B and opencode_key(home) == KEY_B
    assert kc("undo").code == 0
    assert gemini_env(home)["GEMINI_API_KEY"] == KEY and opencode_key(home) == KEY


def test_gemini_via_env_then_back_to_config(kc, home, relay):
    assert kc("use", "gemini-cli", "--key-stdin", "--base-url", relay.url, "--via", "env", "--shell", "bash",
              "--model", "gemini-2.5-pro", input=KEY + "\n").code == 0
    assert not (home / ".gemini" / ".env").exists()
    assert "GEMINI_API_KEY" in (home / ".config" / "keyconf" / "env" / "keyconf.sh").read_text()
    assert kc("status", "gemini-cli", "--json").json()["results"][0]["via"] == "env"
    assert kc("use", "gemini-cli", "--via", "config").code == 0
    assert gemini_env(home)["GEMINI_API_KEY"] == KEY
    assert not (home / ".config" / "keyconf" / "env" / "keyconf.sh").exists()
