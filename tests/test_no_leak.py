"""The key never appears in stdout, stderr or --json of any command; only `keyconf secret` prints it."""

from __future__ import annotations

import json

import pytest
from conftest import KEY

OLD = "sk-previous-relay-token-777777"


@pytest.fixture
def configured(kc, home, relay):
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text(json.dumps({"env": {"ANTHROPIC_AUTH_TOKEN": OLD}}))
    assert kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    return relay


COMMANDS = [
    ["status"], ["status", "--json"], ["status", "claude-code"],
    ["verify"], ["verify", "--json"], ["verify", "--deep", "--json"],
    ["doctor"], ["doctor", "--json"],
    ["undo", "--list"], ["undo", "--list", "--json"], ["undo", "--dry-run"],
    ["remove", "claude-code", "--dry-run"], ["remove", "claude-code", "--dry-run", "--json"],
    ["profile", "list"], ["profile", "list", "--json"], ["profile", "show"], ["profile", "show", "--json"],
    ["use", "claude-code"], ["use", "claude-code", "--json"], ["use", "claude-code", "--dry-run", "--model", "m"],
    ["use", "claude-code", "--no-plaintext", "--dry-run"],
    ["env", "shell"], ["env", "claude-code", "--shell", "fish"], ["env", "codex", "--json"],
    ["link", "cherry-studio"], ["link", "codex", "--json"], ["link", "claude-code"],
    ["use", "shell", "--shell", "bash"], ["use", "shell", "--shell", "zsh", "--dry-run"],
    ["use", "codex", "--model", "gpt-5-codex"], ["use", "codex", "--dry-run", "--json"],
    ["use", "cherry-studio", "--no-open"], ["use", "cherry-studio", "--no-open", "--json"],
    ["use", "claude-code", "--via", "env", "--shell", "bash", "--dry-run"],
    ["remove", "claude-code"], ["undo"], ["undo", "--json"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_no_command_prints_a_key(kc, configured, args):
    result = kc(*args)
    assert KEY not in result.output, result.output
    assert OLD not in result.output, result.output


def test_failures_do_not_print_the_key(kc, home, relay):
    for key in (KEY, OLD):
        result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url + "/nope", "--json",
                    input=key + "\n")
        assert result.code == 7 and key not in result.output
    relay.fail(401, f"Invalid token {KEY}")  # even when the relay echoes it
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, input=KEY + "\n")
    assert result.code == 5 and KEY not in result.output


def test_rotate_and_dry_run_diff_mask_both_keys(kc, configured, home):
    new = "sk-brand-new-key-88888888"
    configured.keys.add(new)
    result = kc("profile", "rotate", "--key-stdin", "--dry-run", input=new + "\n")
    assert result.code == 0 and "sk-…8888" in result.stdout
    assert new not in result.output and KEY not in result.output
    result = kc("profile", "rotate", "--key-stdin", input=new + "\n")
    assert result.code == 0 and new not in result.output
    assert json.loads((home / ".claude" / "settings.json").read_text())["env"]["ANTHROPIC_AUTH_TOKEN"] == new


def test_journal_metadata_holds_no_key(kc, configured, home):
    for entry in (home / ".config" / "keyconf" / "journal").rglob("entry.json"):
        assert KEY not in entry.read_text() and OLD not in entry.read_text()


def test_secret_prints_the_key(kc, configured):
    assert kc("secret").stdout == KEY + "\n"


def test_only_reveal_prints_the_key_in_env_and_link(kc, configured):
    assert KEY in kc("env", "shell", "--reveal").stdout
    assert kc("link", "cherry-studio", "--reveal").stdout.startswith("cherrystudio://")
