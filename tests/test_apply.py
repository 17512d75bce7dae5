"""`keyconf apply` and `keyconf export` through the CLI: one transaction, idempotent, keys asked once."""

from __future__ import annotations

import json
import os
import stat

import pytest

from conftest import KEY, snapshot

KEY_B = "sk-TeamKeyB0000111122223333zz"


def team(url: str, *, extra: str = "", work_key: str = '{ env = "WORK_KEY" }') -> str:
    return f"""version = 1

[profiles.work]
base_url = "{url}/v1"
key = {work_key}
models = {{ codex = "gpt-5-codex" }}

[profiles.side]
base_url = "{url}"
key = {{ env = "SIDE_KEY" }}

[clients.claude-code]
profile = "work"
model = "claude-sonnet-4-5"

[clients.codex]
profile = "work"

[clients.shell]
profile = "side"
shells = ["bash"]
{extra}"""


@pytest.fixture
def keys(monkeypatch, relay):
    relay.keys.add(KEY_B)
    monkeypatch.setenv("WORK_KEY", KEY)
    monkeypatch.setenv("SIDE_KEY", KEY_B)


def journal(home):
    folder = home / ".config" / "keyconf" / "journal"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_apply_configures_every_client_in_one_change_and_twice_is_a_no_op(kc, home, relay, keys, tmp_path):
    path = tmp_path / "team.toml"
    path.write_text(team(relay.url))
    first = kc("apply", str(path), "--json")
    assert first.code == 0, first.output
    doc = first.json()
    assert {r["client"]: r["status"] for r in doc["results"]} == {
        "claude-code": "configured", "codex": "configured", "shell": "configured"}
    assert len(journal(home)) == 1  # one transaction
    settings = json.loads((home / ".claude" / "settings.json").read_text())["env"]
    assert settings["ANTHROPIC_AUTH_TOKEN"] == KEY and settings["ANTHROPIC_MODEL"] == "claude-sonnet-4-5"
    assert 'model = "gpt-5-codex"' in (home / ".codex" / "config.toml").read_text()
    assert KEY_B in (home / ".config" / "keyconf" / "env" / "keyconf.sh").read_text()
    # each (URL, key) pair was checked once for all the clients that share it
    assert len(relay.seen("/v1/models")) == 2

    once, entries = snapshot(home), journal(home)
    state_before = (home / ".config" / "keyconf" / "state.json").read_bytes()
    second = kc("apply", str(path), "--json")
    assert second.code == 0, second.output
    assert [r["changed"] for r in second.json()["results"]] == [[], [], []]
    assert snapshot(home) == once and journal(home) == entries
    assert (home / ".config" / "keyconf" / "state.json").read_bytes() == state_before
    assert "unchanged" in [r["status"] for r in second.json()["results"]][0]
    assert kc("apply", str(path)).stdout.count("already set, nothing changed") == 3

    assert kc("undo").code == 0  # undo takes the whole apply back
    assert not (home / ".claude" / "settings.json").exists() and not (home / ".codex" / "config.toml").exists()
    assert kc("profile", "list", "--json").json()["results"] == []


def test_a_client_that_fails_to_plan_writes_nothing_for_any(kc, home, relay, keys, tmp_path):
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_text('model = "o3"\n[broken\n')
    before = snapshot(home)
    path = tmp_path / "team.toml"
    path.write_text(team(relay.url))
    result = kc("apply", str(path))
    assert result.code == 3, result.output
    assert "nothing was written" in result.stderr
    assert snapshot(home) == before and journal(home) == []


def test_a_rejected_key_writes_nothing(kc, home, relay, keys, tmp_path, monkeypatch):
    monkeypatch.setenv("SIDE_KEY", "sk-NotAKeyTheRelayKnows0000")
    path = tmp_path / "team.toml"
    path.write_text(team(relay.url))
    before = snapshot(home)
    result = kc("apply", str(path), "--json")
    assert result.code == 5
    assert snapshot(home) == before and journal(home) == []


def test_key_from_a_command_and_from_stdin(kc, home, relay, tmp_path):
    script = tmp_path / "print-key"
    script.write_text(f"#!/bin/sh\necho '{KEY}'\n")
    script.chmod(0o755)
    text = f"""version = 1
[profiles.cmd]
base_url = "{relay.url}"
key = {{ command = ["{script}"] }}
[profiles.piped]
base_url = "{relay.url}"
key = {{ stdin = true }}
[clients.claude-code]
profile = "cmd"
[clients.codex]
profile = "piped"
"""
    path = tmp_path / "team.toml"
    path.write_text(text)
    result = kc("apply", str(path), "--no-verify", input=KEY + "\n")
    assert result.code == 0, result.output
    assert json.loads((home / ".codex" / "auth.json").read_text())["OPENAI_API_KEY"] == KEY
    assert kc("secret", "cmd").stdout.strip() == KEY and kc("secret", "piped").stdout.strip() == KEY


def test_a_hanging_key_command_is_exit_4(kc, home, relay, tmp_path, monkeypatch):
    monkeypatch.setattr("keyconf.keys.sources.COMMAND_TIMEOUT", 1.0)
    monkeypatch.setattr("keyconf.keys.sources.KeyIO.__init__.__defaults__", (None, None, None, 1.0))
    text = f'version = 1\n[profiles.p]\nbase_url = "{relay.url}"\nkey = {{ command = ["sleep", "30"] }}\n' \
           '[clients.codex]\nprofile = "p"\n'
    path = tmp_path / "team.toml"
    path.write_text(text)
    result = kc("apply", str(path))
    assert result.code == 4, result.output
    assert not (home / ".codex").exists()


def test_errors_in_the_file_name_the_line_and_write_nothing(kc, home, relay, keys, tmp_path):
    path = tmp_path / "team.toml"
    text = team(relay.url, extra='\n[clients.cursr]\nprofile = "work"\n')
    path.write_text(text)
    result = kc("apply", str(path), "--json")
    assert result.code == 2
    message = result.json()["errors"][0]["message"]
    line = text.splitlines().index("[clients.cursr]") + 1
    assert message.startswith(f"{path}:{line}:") and "cursr" in message
    assert not (home / ".config" / "keyconf").exists()


def test_apply_from_stdin_and_dry_run(kc, home, relay, keys):
    before = snapshot(home)
    result = kc("apply", "-", "--dry-run", input=team(relay.url))
    assert result.code == 0, result.output
    assert "would" in result.stdout and KEY not in result.output
    assert snapshot(home) == before and journal(home) == []


def test_clients_not_in_the_file_are_left_alone_or_pruned(kc, home, relay, keys, tmp_path):
    assert kc("use", "cursor", "--no-verify", "--base-url", relay.url, "--key-stdin",
              input=KEY + "\n").code == 3  # no Cursor here; just proves nothing else is touched
    assert kc("use", "claude-code", "--no-verify", "--base-url", relay.url, "--key-stdin",
              "--profile", "work", input=KEY + "\n").code == 0
    path = tmp_path / "team.toml"
    path.write_text(f'version = 1\n[profiles.work]\nbase_url = "{relay.url}"\nkey = {{ env = "WORK_KEY" }}\n'
                    '[clients.codex]\nprofile = "work"\n')
    result = kc("apply", str(path))
    assert result.code == 0 and "left alone (not in" in result.stderr and "claude-code" in result.stderr
    assert (home / ".claude" / "settings.json").exists()
    pruned = kc("apply", str(path), "--prune", "--json")
    assert pruned.code == 0, pruned.output
    assert {r["client"]: r["status"] for r in pruned.json()["results"]}["claude-code"] == "removed"
    assert not (home / ".claude" / "settings.json").exists()


def test_export_on_one_machine_then_apply_on_a_fresh_one(kc, home, relay, keys, tmp_path, monkeypatch):
    assert kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--profile", "team-a",
              "--anthropic-auth", "api-key", "--model", "claude-sonnet-4-5", input=KEY + "\n").code == 0
    assert kc("use", "codex", "--model", "gpt-5-codex", "--no-plaintext").code == 0
    assert kc("use", "shell", "--shell", "zsh").code == 0
    exported = kc("export", "--key-source", "env")
    assert exported.code == 0 and KEY not in exported.output
    assert 'key = { env = "KEYCONF_KEY_TEAM_A" }' in exported.stdout
    machine_a = {c: (r["profile"], r["via"], r["base_url"]) for c, r in
                 ((r["client"], r) for r in kc("status", "--json").json()["results"]) if r["configured"]}

    fresh = tmp_path / "machine-b"
    fresh.mkdir()
    for name, value in {"HOME": fresh, "KEYCONF_HOME": fresh / ".config" / "keyconf",
                        "XDG_CONFIG_HOME": fresh / ".config", "XDG_DATA_HOME": fresh / ".local" / "share"}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("KEYCONF_KEY_TEAM_A", KEY)
    applied = kc("apply", "-", input=exported.stdout)
    assert applied.code == 0, applied.output
    machine_b = {c: (r["profile"], r["via"], r["base_url"]) for c, r in
                 ((r["client"], r) for r in kc("status", "--json").json()["results"]) if r["configured"]}
    assert machine_b == machine_a
    assert kc("export", "--key-source", "env").stdout == exported.stdout
    env = json.loads((fresh / ".claude" / "settings.json").read_text())["env"]
    assert env["ANTHROPIC_API_KEY"] == KEY and env["ANTHROPIC_MODEL"] == "claude-sonnet-4-5"
    assert stat.S_IMODE(os.stat(fresh / ".claude" / "settings.json").st_mode) == 0o600


def test_export_json_holds_the_file(kc, home, relay):
    assert kc("use", "codex", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    doc = kc("export", "--json").json()
    assert doc["ok"] and "[clients.codex]" in doc["apply_file"] and "prompt = true" in doc["apply_file"]
