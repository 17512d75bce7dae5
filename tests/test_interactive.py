"""On a terminal: Base URL prompt, hidden key prompt, and a question before replacing outside settings."""

from __future__ import annotations

import json

from conftest import KEY


def _run_on_terminal(args, answers, home):
    """keyconf on a pty, each prompt answered as it appears (see test_terminal.on_terminal)."""
    from test_terminal import on_terminal

    return on_terminal(args, answers)


def test_prompts_hide_the_key_and_ask_before_replacing(home, relay):
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": "https://old.example.com"}}))
    code, screen = _run_on_terminal(["use", "claude-code"], [
        (b"Base URL", relay.url + "/v1"), (b"API key (input hidden)", KEY), (b"Go on?", "y")], home)
    assert code == 0, screen
    assert KEY not in screen  # not echoed, not printed
    assert "https://old.example.com" in screen and "key accepted" in screen
    assert json.loads(settings.read_text())["env"]["ANTHROPIC_AUTH_TOKEN"] == KEY


def test_answering_no_changes_nothing(home, relay):
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    original = json.dumps({"env": {"ANTHROPIC_AUTH_TOKEN": "sk-someone-elses-000000"}})
    settings.write_text(original)
    code, screen = _run_on_terminal(["use", "claude-code", "--base-url", relay.url], [
        (b"API key (input hidden)", KEY), (b"Go on?", "n")], home)
    assert code == 0 and "nothing was changed" in screen
    assert settings.read_text() == original
    assert "sk-someone-elses-000000" not in screen


def test_a_rejected_key_is_asked_again_with_the_dashboards_hint(home, relay):
    """Check first, then write: on a terminal the part that failed is asked for again (up to 3 tries)."""
    settings = home / ".claude" / "settings.json"
    code, screen = _run_on_terminal(["use", "claude-code", "--base-url", relay.url], [
        (b"API key (input hidden)", "sk-Truncated00000000"), (b"quota)\r\nAPI key (input hidden)", KEY)], home)
    assert code == 0, screen
    assert "complete key" in screen and "check failed" in screen
    assert json.loads(settings.read_text())["env"]["ANTHROPIC_AUTH_TOKEN"] == KEY
    assert KEY not in screen


def test_a_rejected_key_keeps_the_typed_base_url(home, relay):
    """Only the part that failed is asked again: the Base URL typed before a rejected key is kept."""
    code, screen = _run_on_terminal(["use", "codex"], [
        (b"Base URL", relay.url), (b"API key (input hidden)", "sk-Wrong0000000000000"),
        (b"quota)\r\nAPI key (input hidden)", KEY)], home)
    assert code == 0, screen
    assert screen.count("Base URL (as shown") == 1
    assert relay.url.split("//")[1] in (home / ".codex" / "config.toml").read_text()


def test_an_unreachable_url_keeps_the_typed_key(home, relay):
    """A Base URL that doesn't answer is asked again; the key typed with it is kept."""
    code, screen = _run_on_terminal(["use", "codex"], [
        (b"Base URL", "http://127.0.0.1:9"), (b"API key (input hidden)", KEY), (b"Base URL", relay.url)], home)
    assert code == 0, screen
    assert screen.count("API key (input hidden)") == 1
    assert relay.url.split("//")[1] in (home / ".codex" / "config.toml").read_text()


def test_a_dry_run_takes_no_lock_and_writes_nothing(kc, home, relay):
    result = kc("use", "codex", "--key-stdin", "--base-url", relay.url, "--dry-run", input=KEY + "\n")
    assert result.code == 0, result.output
    assert not (home / ".config" / "keyconf").exists() and not (home / ".codex").exists()
