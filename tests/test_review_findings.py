"""Defects found by trying keyconf adversarially, each with the command that showed it."""

from __future__ import annotations

import json
import tomllib

from conftest import KEY, snapshot


def test_a_key_given_as_the_profile_name_is_refused(kc, home):
    result = kc("use", "shell", "--profile", KEY, "--key-stdin", "--base-url", "https://r.example",
                "--no-verify", input=KEY + "\n")
    assert result.code == 2 and "looks like an API key" in result.output
    assert KEY not in result.output and not (home / ".config" / "keyconf").exists()


def test_export_json_holds_a_valid_apply_file(kc, home, relay):
    assert kc("use", "codex", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    text = kc("export", "--json").json()["apply_file"]
    assert tomllib.loads(text)["profiles"]["default"]["key"] == {"prompt": True}


def test_link_open_without_a_working_opener_is_exit_3(kc, home, relay, tmp_path, monkeypatch):
    assert kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    opener = tmp_path / "bin" / "xdg-open"
    opener.parent.mkdir()
    opener.write_text("#!/bin/sh\nexit 3\n")
    opener.chmod(0o755)
    monkeypatch.setenv("PATH", str(opener.parent))
    result = kc("link", "claude-code", "--open", "--json")
    assert result.code == 3 and "could not open the link" in result.json()["errors"][0]["message"]


def test_a_failed_check_is_listed_in_json_errors(kc, home, relay):
    relay.fail(401, "Invalid token")
    result = kc("use", "claude-code", "--key-stdin", "--base-url", relay.url, "--json", input=KEY + "\n")
    doc = result.json()
    assert result.code == 5 and doc["errors"] and doc["errors"][0]["code"] == 5
    assert doc["errors"][0]["client"] == "claude-code"


def test_a_429_that_says_quota_gets_the_quota_line(kc, home, relay):
    assert kc("use", "shell", "--key-stdin", "--base-url", relay.url, "--no-verify", input=KEY + "\n").code == 0
    relay.fail(429, "You exceeded your current quota, please check your plan", "insufficient_quota")
    result = kc("verify", "shell")
    assert result.code == 9 and "balance or quota" in result.output and "wait a minute" not in result.output


def test_a_key_commands_error_output_is_masked(kc, home, relay, tmp_path):
    path = tmp_path / "team.toml"
    path.write_text(f'version = 1\n[profiles.p]\nbase_url = "{relay.url}"\n'
                    f'key = {{ command = ["sh", "-c", "echo could not store {KEY} >&2; exit 3"] }}\n'
                    '[clients.codex]\nprofile = "p"\n')
    result = kc("apply", str(path))
    assert result.code == 4 and KEY not in result.output and "sk-…YZ42" in result.output


def test_openai_base_url_is_no_problem_when_codex_uses_keyconfs_provider(kc, home, relay, monkeypatch):
    assert kc("use", "codex", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    monkeypatch.setenv("OPENAI_BASE_URL", "http://elsewhere.example")
    assert not [c for c in kc("status", "codex", "--json").json()["results"][0]["conflicts"]
                if "OPENAI_BASE_URL" in c]


def test_profile_rm_and_default_have_a_dry_run(kc, home, relay):
    assert kc("use", "shell", "--profile", "a", "--key-stdin", "--base-url", relay.url, "--no-verify",
              input=KEY + "\n").code == 0
    assert kc("use", "shell", "--profile", "b", "--key-stdin", "--base-url", relay.url, "--no-verify",
              input=KEY + "\n").code == 0
    before = snapshot(home), (home / ".config" / "keyconf" / "profiles.toml").read_bytes()
    dry = kc("profile", "rm", "a", "--force", "--dry-run")
    assert dry.code == 0 and "profiles.toml" in dry.stdout
    assert kc("profile", "default", "b", "--dry-run").code == 0
    assert (snapshot(home), (home / ".config" / "keyconf" / "profiles.toml").read_bytes()) == before


def test_undo_says_deleted_for_a_file_the_change_created(kc, home, relay):
    assert kc("use", "codex", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    result = kc("undo")
    assert "deleted ~/.codex/config.toml" in result.stdout
    assert json.loads(kc("undo", "--json").stdout)["ok"]


def test_a_folder_keyconf_made_does_not_make_a_client_installed(kc, home, relay, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no codex program here
    assert kc("use", "codex", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    item = kc("status", "codex", "--json").json()["results"][0]
    assert item["configured"] and not item["installed"]
    assert kc("remove", "codex").code == 0
    assert not (home / ".codex").exists()  # and remove took the folder it made away again
