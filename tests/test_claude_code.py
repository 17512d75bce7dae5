"""Claude Code adapter through the CLI: what is written, what is kept, and what is refused."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from conftest import KEY, snapshot

FIXTURES = Path(__file__).parent / "fixtures"


def settings(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def use(kc, relay_url: str, *extra: str, key: str = KEY):
    return kc("use", "claude-code", "--key-stdin", "--base-url", relay_url, *extra, input=key + "\n")


def test_use_writes_root_url_and_bearer_token(kc, home, relay):
    result = use(kc, relay.url + "/v1/")
    assert result.code == 0, result.output
    data = json.loads(settings(home).read_text())
    assert data["env"] == {"ANTHROPIC_BASE_URL": relay.url, "ANTHROPIC_AUTH_TOKEN": KEY}
    assert json.loads((home / ".claude.json").read_text()) == {"hasCompletedOnboarding": True}
    assert stat.S_IMODE(settings(home).stat().st_mode) == 0o600
    assert "key accepted" in result.stdout
    assert relay.seen("/v1/models")[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("fixture", ["claude_settings_rich.json", "claude_settings_compact.json",
                                     "claude_settings_tabs_crlf.json"])
@pytest.mark.parametrize("undo_with", ["remove", "undo"])
def test_use_then_remove_or_undo_is_byte_identical(kc, home, relay, fixture, undo_with):
    original = (FIXTURES / fixture).read_bytes()
    settings(home).parent.mkdir()
    settings(home).write_bytes(original)
    state = b'{\n  "numStartups": 12,\n  "projects": {"/x": {"allowedTools": []}},\n  "userID": "abc"\n}\n'
    (home / ".claude.json").write_bytes(state)
    before = snapshot(home)

    assert use(kc, relay.url, "--model", "claude-sonnet-4-5").code == 0
    data = json.loads(settings(home).read_text())
    assert data["env"]["ANTHROPIC_BASE_URL"] == relay.url
    assert data["env"]["ANTHROPIC_AUTH_TOKEN"] == KEY
    assert data["env"]["ANTHROPIC_MODEL"] == "claude-sonnet-4-5"
    kept = json.loads(original)
    for name, value in kept.items():
        if name != "env":
            assert data[name] == value  # hooks, permissions, statusLine, plugins survive
    for name, value in kept.get("env", {}).items():
        if not name.startswith("ANTHROPIC_"):
            assert data["env"][name] == value
    assert json.loads((home / ".claude.json").read_text())["numStartups"] == 12

    result = kc(undo_with) if undo_with == "undo" else kc("remove", "claude-code")
    assert result.code == 0, result.output
    assert snapshot(home) == before


def test_files_that_did_not_exist_are_deleted_again(kc, home, relay):
    before = snapshot(home)
    assert use(kc, relay.url).code == 0
    assert kc("remove", "claude-code").code == 0
    assert snapshot(home) == before


def test_remove_keeps_what_the_user_added_since(kc, home, relay):
    assert use(kc, relay.url).code == 0
    data = json.loads(settings(home).read_text())
    data["env"]["MINE"] = "1"
    settings(home).write_text(json.dumps(data, indent=2))
    assert kc("remove", "claude-code").code == 0
    assert json.loads(settings(home).read_text()) == {"env": {"MINE": "1"}}


def test_second_use_changes_nothing(kc, home, relay):
    assert use(kc, relay.url).code == 0
    first = snapshot(home)
    journal = len(list((home / ".config/keyconf/journal").iterdir()))
    result = kc("use", "claude-code")
    assert result.code == 0, result.output
    assert "nothing changed" in result.stdout
    assert snapshot(home) == first
    assert len(list((home / ".config/keyconf/journal").iterdir())) == journal


def test_switching_profile_then_remove_restores_original(kc, home, relay):
    original = (FIXTURES / "claude_settings_compact.json").read_bytes()
    settings(home).parent.mkdir()
    settings(home).write_bytes(original)
    assert use(kc, relay.url, "--profile", "one").code == 0
    assert use(kc, relay.url + "/v1", "--profile", "two", "--no-verify", key="sk-second-key-000000001").code == 0
    assert json.loads(settings(home).read_text())["env"]["ANTHROPIC_AUTH_TOKEN"] == "sk-second-key-000000001"
    assert kc("remove", "claude-code").code == 0
    assert settings(home).read_bytes() == original


def test_exported_api_key_is_neutralised_and_reported(kc, home, relay, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-shell-export-999999")
    result = use(kc, relay.url)
    assert result.code == 0
    env = json.loads(settings(home).read_text())["env"]
    assert env["ANTHROPIC_API_KEY"] == ""
    assert "ANTHROPIC_API_KEY is exported in your shell" in result.stdout
    assert "sk-shell-export-999999" not in result.output


def test_api_key_mode_neutralises_exported_token(kc, home, relay, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "sk-shell-token-999999")
    assert use(kc, relay.url, "--anthropic-auth", "api-key").code == 0
    env = json.loads(settings(home).read_text())["env"]
    assert env["ANTHROPIC_API_KEY"] == KEY and env["ANTHROPIC_AUTH_TOKEN"] == ""


def test_no_plaintext_writes_api_key_helper_and_no_key(kc, home, relay):
    assert use(kc, relay.url, "--no-plaintext").code == 0
    text = settings(home).read_text()
    assert KEY not in text
    data = json.loads(text)
    assert data["apiKeyHelper"].endswith("secret default")
    assert os.path.isabs(data["apiKeyHelper"].split()[0])


def test_claude_config_dir_is_honoured(kc, home, relay, monkeypatch, tmp_path):
    folder = tmp_path / "elsewhere"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(folder))
    assert use(kc, relay.url).code == 0
    assert json.loads((folder / "settings.json").read_text())["env"]["ANTHROPIC_AUTH_TOKEN"] == KEY
    assert (folder / ".claude.json").exists()
    assert not (home / ".claude").exists() and not (home / ".claude.json").exists()


def test_symlinked_settings_are_edited_through_the_link(kc, home, relay, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "claude-settings.json"
    real.write_text('{"theme": "dark"}\n')
    settings(home).parent.mkdir()
    settings(home).symlink_to(real)
    assert use(kc, relay.url).code == 0
    assert settings(home).is_symlink()
    assert json.loads(real.read_text())["env"]["ANTHROPIC_AUTH_TOKEN"] == KEY
    assert kc("remove", "claude-code").code == 0
    assert real.read_text() == '{"theme": "dark"}\n' and settings(home).is_symlink()


def test_large_global_state_keeps_every_other_byte(kc, home, relay):
    projects = {f"/work/project-{i}": {"history": [{"display": "x" * 200}] * 20, "allowedTools": []}
                for i in range(2500)}
    big = json.dumps({"numStartups": 3, "projects": projects}, indent=2).encode()
    assert len(big) > 10_000_000
    (home / ".claude.json").write_bytes(big)
    assert use(kc, relay.url, "--no-verify").code == 0
    after = (home / ".claude.json").read_bytes()
    assert after.startswith(b'{\n  "numStartups": 3,') and b'"hasCompletedOnboarding": true\n}' in after[-40:]
    assert kc("remove", "claude-code").code == 0
    assert (home / ".claude.json").read_bytes() == big


# ---- refusing what cannot be edited safely -----------------------------------------------------

BAD_SETTINGS = [
    (b'{\n  "env": {},\n  // comment\n}\n', "line 3"),
    (b'{\n  "theme": "dark",\n}\n', "line 3"),
    (b'{"env": "ANTHROPIC_BASE_URL=x"}', "`env` is not a JSON object"),
    (b'["not", "an", "object"]', "not an object"),
    (b'{"theme": "\xff\xfe"}', "not UTF-8"),
]


@pytest.mark.parametrize("content,message", BAD_SETTINGS)
def test_bad_settings_file_is_refused_and_untouched(kc, home, relay, content, message):
    settings(home).parent.mkdir()
    settings(home).write_bytes(content)
    before = snapshot(home)
    result = use(kc, relay.url)
    assert result.code == 3, result.output
    assert message in result.stderr
    assert "settings.json" in result.stderr
    assert snapshot(home) == before


def test_bad_global_state_is_refused(kc, home, relay):
    (home / ".claude.json").write_bytes(b'{"projects": {')
    before = snapshot(home)
    result = use(kc, relay.url)
    assert result.code == 3 and ".claude.json" in result.stderr
    assert snapshot(home) == before


def test_dry_run_shows_masked_diff_and_writes_nothing(kc, home, relay):
    before = snapshot(home)
    result = use(kc, relay.url, "--dry-run")
    assert result.code == 0, result.output
    assert "+    \"ANTHROPIC_AUTH_TOKEN\": \"sk-…YZ42\"" in result.stdout
    assert KEY not in result.output
    assert snapshot(home) == before
    assert not (home / ".config" / "keyconf" / "journal").exists()
    assert not relay.requests


def test_status_reports_profile_url_masked_key_and_conflicts(kc, home, relay, monkeypatch):
    assert use(kc, relay.url).code == 0
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://other.example.com")
    result = kc("status", "claude-code", "--json")
    assert result.code == 0
    item = result.json()["results"][0]
    assert item["configured"] and item["profile"] == "default" and item["base_url"] == relay.url
    assert item["key"] == "sk-…YZ42"
    result = kc("status", "claude-code")
    assert "sk-…YZ42" in result.stdout


def test_status_flags_a_key_exported_beside_the_file(kc, home, relay, monkeypatch):
    settings(home).parent.mkdir()
    settings(home).write_text('{"env": {"ANTHROPIC_BASE_URL": "https://x.example.com"}}')
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-exported-000000000")
    item = kc("status", "claude-code", "--json").json()["results"][0]
    assert any("ANTHROPIC_API_KEY is exported" in c for c in item["conflicts"])


def test_undo_refuses_when_file_changed_since_unless_forced(kc, home, relay):
    assert use(kc, relay.url).code == 0
    settings(home).write_text('{"changed": "by hand"}')
    result = kc("undo")
    assert result.code == 3 and "changed after change" in result.stderr
    assert settings(home).read_text() == '{"changed": "by hand"}'
    assert kc("undo", "--force").code == 0
    assert not settings(home).exists()


def test_undo_list_and_by_id(kc, home, relay):
    assert use(kc, relay.url).code == 0
    listing = kc("undo", "--list", "--json").json()["results"]
    assert listing[0]["command"] == "use" and listing[0]["status"] == "done"
    assert kc("undo", listing[0]["id"]).code == 0
    assert kc("undo", "--list", "--json").json()["results"][1]["status"] == "undone"
    assert kc("undo", "no-such-id").code == 2


from adapter_contract import AdapterContract, RunE2E  # noqa: E402


class TestClaudeCodeContract(AdapterContract):
    client = "claude-code"
    use_args = ("--model", "claude-sonnet-4-5")
    # Claude Code itself rewrites its global state file (start counts, projects) on every start
    run_e2e = RunE2E("claude", ("-p", "ping", "--model", "claude-sonnet-4-5"), "/v1/messages", "authorization",
                     env={"DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1",
                          "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}, rewrites=(".claude.json",))

    def arrange(self, home):
        settings(home).parent.mkdir()
        settings(home).write_bytes((FIXTURES / "claude_settings_rich.json").read_bytes())
        (home / ".claude.json").write_bytes(b'{"numStartups": 3, "userID": "u"}\n')

    def break_file(self, home):
        settings(home).write_bytes(b'{\n  "theme": "dark",\n}\n')
        return settings(home)

    def plant(self, home, token):
        data = json.loads(settings(home).read_text())
        data["env"]["ANTHROPIC_API_KEY"] = token
        settings(home).write_text(json.dumps(data, indent=2))
