"""`keyconf import`: every dashboard link, built exactly as the dashboard's template does, lands in the
right client with the exact root, key and model; reversible; nothing leaks; bad links write nothing."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from conftest import KEY, snapshot
from keyconf import links

TOKEN = KEY.removeprefix("sk-")  # New API's templates put `sk-` in front of the token's key


def settings(home):
    return json.loads((home / ".claude" / "settings.json").read_text())["env"]


def test_ccswitch_claude_link_from_the_dashboard_button(kc, home, relay):
    link, _ = links.ccswitch_link("claude", "team-mac", relay.url, KEY,
                                  {"model": "claude-sonnet-4-5", "haiku": "gpt-4o-mini"})
    result = kc("import", "-y", "--json", input=link + "\n")
    assert result.code == 0, result.output
    doc = result.json()
    assert doc["results"][0]["client"] == "claude-code" and doc["results"][0]["profile"] == "team-mac"
    env = settings(home)
    assert env["ANTHROPIC_BASE_URL"] == relay.url and env["ANTHROPIC_AUTH_TOKEN"] == KEY
    assert env["ANTHROPIC_MODEL"] == "claude-sonnet-4-5"
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "gpt-4o-mini"
    assert KEY not in result.output and "apiKey=sk-…YZ42" in doc["link"]


def test_ccswitch_codex_link_strips_v1_and_undo_is_byte_identical(kc, home, relay):
    before = snapshot(home)
    link, _ = links.ccswitch_link("codex", "work", relay.url, KEY, {"model": "gpt-5-codex"})
    assert "endpoint=" + quote(relay.url + "/v1", safe="") in link or (relay.url + "/v1") in link
    result = kc("import", "-", "-y", input=link + "\n")
    assert result.code == 0, result.output
    config = (home / ".codex" / "config.toml").read_text()
    assert f'base_url = "{relay.url}/v1"' in config and 'model = "gpt-5-codex"' in config
    assert kc("profile", "show", "work", "--json").json()["results"][0]["base_url"] == relay.url
    assert kc("undo").code == 0
    assert snapshot(home) == before


@pytest.mark.parametrize("source", ["cherrystudio", "aionui", "deepchat", "ama", "opencat", "lobechat", "aiaw",
                                    "nextchat"])
def test_every_dashboard_template_imports_to_the_exact_root_and_key(kc, home, relay, source):
    link = links.dashboard_link(links.DASHBOARD_TEMPLATES[source], relay.url, TOKEN)
    to = ("--to", "codex") if source != "cherrystudio" else ()
    result = kc("import", "-y", *to, "--model", "gpt-5-codex", "--no-open", "--json", input=link + "\n")
    assert result.code == 0, result.output
    item = result.json()["results"][0]
    assert item["base_url"] == relay.url and item["key"] == "sk-…YZ42"
    if source != "cherrystudio":
        config = (home / ".codex" / "config.toml").read_text()
        assert f'base_url = "{relay.url}/v1"' in config
        assert json.loads((home / ".codex" / "auth.json").read_text())["OPENAI_API_KEY"] == KEY
    else:
        assert item["client"] == "cherry-studio"
    assert KEY not in result.output and TOKEN not in result.output


def test_url_safe_unpadded_payload_imports_too(kc, home, relay):
    raw = json.dumps({"id": "new-api", "baseUrl": relay.url, "apiKey": KEY}).encode()
    data = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    result = kc("import", "-y", "--to", "claude-code", input=f"deepchat://provider/install?v=1&data={data}\n")
    assert result.code == 0, result.output
    assert settings(home)["ANTHROPIC_AUTH_TOKEN"] == KEY


def test_link_then_import_gives_the_same_configuration_back(kc, home, relay, monkeypatch, tmp_path):
    assert kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--profile", "desk", "--model",
              "claude-sonnet-4-5", input=KEY + "\n").code == 0
    made = kc("link", "claude-code", "--format", "ccswitch", "--reveal")
    assert made.code == 0 and made.stdout.startswith("ccswitch://v1/import?")
    masked = kc("link", "claude-code", "--format", "ccswitch")
    assert KEY not in masked.output and "sk-" in masked.stdout
    before = settings(home)
    other = tmp_path / "other-home"
    other.mkdir()
    monkeypatch.setenv("HOME", str(other))
    monkeypatch.setenv("KEYCONF_HOME", str(other / ".config" / "keyconf"))
    assert kc("import", "-y", input=made.stdout).code == 0
    assert settings(other) == before
    assert kc("profile", "list", "--json").json()["results"][0]["profile"] == "desk"


def test_a_link_without_a_client_needs_to_or_a_terminal(kc, home, relay):
    link = links.dashboard_link(links.DASHBOARD_TEMPLATES["ama"], relay.url, TOKEN)
    result = kc("import", input=link + "\n")
    assert result.code == 2 and "name the clients" in result.output and "--to" not in result.stdout
    assert not (home / ".config" / "keyconf").exists()


def test_a_rejected_key_in_a_link_writes_nothing(kc, home, relay):
    link, _ = links.ccswitch_link("claude", "x", relay.url, "sk-NotARealKey000000000000", {})
    before = snapshot(home)
    result = kc("import", "-y", input=link + "\n")
    assert result.code == 5 and "nothing was written" in result.stderr
    assert snapshot(home) == before and not (home / ".config" / "keyconf" / "profiles.toml").exists()


@pytest.mark.parametrize("link, words", [
    ("foo://bar", "keyconf reads ccswitch://"),
    ("ccswitch://v1/import?resource=provider&app=vim&name=x&endpoint=https://r.example&apiKey=sk-abcdefgh", "app"),
    ("ccswitch://v2/import?resource=provider&app=claude&name=x&endpoint=https://r.example&apiKey=sk-abcdefgh",
     "v2"),
    ("ccswitch://v1/import?resource=mcp&app=claude&name=x&endpoint=https://r.example&apiKey=sk-abcdefgh",
     "providers only"),
    ("ccswitch://v1/import?resource=provider&app=claude&name=x&endpoint=javascript:alert(1)&apiKey=sk-abcdefgh",
     "http"),
    ("ccswitch://v1/import?resource=provider&app=claude&name=x&endpoint=https://r.example&apiKey=sk-ab%0Acdefgh",
     "whitespace"),
    ("cherrystudio://providers/api-keys?v=1&data=%%%not-base64", "base64"),
])
def test_bad_links_are_refused_with_exit_2_and_write_nothing(kc, home, link, words):
    result = kc("import", "--json", input=link + "\n")
    assert result.code == 2, result.output
    error = result.json()["errors"][0]
    assert words.lower() in (error["message"] + " " + error.get("hint", "")).lower()
    assert "sk-abcdefgh" not in result.output
    assert not (home / ".config" / "keyconf").exists()


def test_an_existing_profile_with_another_key_is_updated_with_yes(kc, home, relay):
    other = "sk-AnotherKey00001111222233"
    relay.keys.add(other)
    assert kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--profile", "team",
              input=KEY + "\n").code == 0
    link, _ = links.ccswitch_link("codex", "team", relay.url, other, {"model": "gpt-5-codex"})
    result = kc("import", "--profile", "team", "-y", "--json", input=link + "\n")
    assert result.code == 0, result.output
    # one key per profile: Claude Code, bound to the same profile, follows
    assert settings(home)["ANTHROPIC_AUTH_TOKEN"] == other
