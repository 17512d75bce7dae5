"""Roo Code: keyconf's own import file (0600) and the `roo-cline.autoImportSettingsPath` setting in each
installed VS Code-family editor; the file checked against Roo's own profile schema (npm @roo-code/types)."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from adapter_contract import AdapterContract
from conftest import KEY, require_tool, snapshot
from corpus import REQUIRE_REAL

REPO = Path(__file__).resolve().parent.parent
VSCODE = b"""{
    // my settings
    "editor.fontSize": 13,
    "roo-cline.allowedCommands": ["npm test", "git log",],
}
"""
CURSOR_CRLF = (b'{\r\n  "window.zoomLevel": 1,\r\n  // Roo\r\n'
               b'  "roo-cline.autoImportSettingsPath": "~/roo.json",\r\n}\r\n')


def user(home: Path, folder: str) -> Path:
    return home / ".config" / folder / "User"


def write(home: Path, files: dict) -> None:
    for folder, body in files.items():
        user(home, folder).mkdir(parents=True, exist_ok=True)
        (user(home, folder) / "settings.json").write_bytes(body)


def import_file(home: Path) -> Path:
    return home / ".config" / "keyconf" / "roo-code" / "import.json"


def use(kc, relay, *extra, key=KEY):
    return kc("use", "roo-code", "--key-stdin", "--base-url", relay.url, "--no-verify", *extra, input=key + "\n")


class TestRooCodeContract(AdapterContract):
    client = "roo-code"
    cannot_run = "Roo Code runs inside the editor"
    use_args = ("--model", "gpt-5")

    def arrange(self, home):
        write(home, {"Code": VSCODE})

    def break_file(self, home):
        path = user(home, "Code") / "settings.json"
        path.write_bytes(b'{"editor.fontSize": 13 "x": 1}')
        return path

    def plant(self, home, token):
        (home / "roo.json").write_text(json.dumps({"providerProfiles": {"apiConfigs": {"keyconf-relay": {
            "apiProvider": "openai", "openAiBaseUrl": "https://old/v1", "openAiApiKey": token}}}}))
        write(home, {"Code": b'{"roo-cline.autoImportSettingsPath": "~/roo.json"}'})


def test_import_file_and_setting_in_every_editor(kc, home, relay):
    write(home, {"Code": VSCODE, "Cursor": CURSOR_CRLF})
    result = use(kc, relay, "--model", "gpt-5")
    assert result.code == 0, result.output
    assert "VS Code:" in result.output and "Cursor:" in result.output and "every start" in result.output
    assert "~/roo.json" in result.output  # the user's own import path, replaced, is named
    data = json.loads(import_file(home).read_bytes())
    assert data == {"providerProfiles": {"currentApiConfigName": "keyconf-relay", "apiConfigs": {"keyconf-relay": {
        "apiProvider": "openai", "openAiBaseUrl": relay.url + "/v1", "openAiApiKey": KEY, "openAiModelId": "gpt-5"}}}}
    assert stat.S_IMODE(import_file(home).stat().st_mode) == 0o600
    code = (user(home, "Code") / "settings.json").read_bytes()
    assert b"// my settings" in code and str(import_file(home)).encode() in code
    cursor = (user(home, "Cursor") / "settings.json").read_bytes()
    assert b"\n" not in cursor.replace(b"\r\n", b"") and b"// Roo" in cursor
    item = kc("status", "roo-code", "--json").json()["results"][0]
    assert item["configured"] and item["base_url"] == relay.url + "/v1" and item["key"] == "sk-…YZ42"
    assert kc("remove", "roo-code").code == 0
    assert not import_file(home).exists()
    assert (user(home, "Cursor") / "settings.json").read_bytes() == CURSOR_CRLF
    assert (user(home, "Code") / "settings.json").read_bytes() == VSCODE


def test_verify_names_a_model_the_group_lacks_and_doctor_the_traps(kc, home, relay):
    write(home, {"Code": VSCODE})
    assert use(kc, relay, "--model", "no-such-model").code == 0
    result = kc("verify", "roo-code")
    assert result.code not in (0, 1) and "no-such-model" in result.output
    (user(home, "Code") / "settings.json").write_bytes(VSCODE)  # the user took the setting out
    doctor = kc("doctor").output
    assert "no longer names keyconf's import file" in doctor and "every editor start" in doctor


def test_the_file_passes_roos_own_profile_schema(home, relay):
    """@roo-code/types' providerSettingsWithIdSchema (what Roo validates each imported profile with) accepts the
    profile keyconf writes; a wrong type is rejected, so the check has teeth."""
    module = REPO / ".ci" / "node" / "node_modules" / "@roo-code" / "types"
    if not module.is_dir():
        if REQUIRE_REAL:
            pytest.fail("@roo-code/types is not installed; scripts/test installs it")
        pytest.skip("@roo-code/types is not installed (scripts/test installs it)")
    from keyconf.adapters.roo_code import import_body

    node = require_tool("node")
    body = import_body(relay.url, KEY, "gpt-5").decode()
    script = ("const t = require(process.argv[2]); const d = JSON.parse(process.argv[1]);"
              "const p = d.providerProfiles; const prof = p.apiConfigs[p.currentApiConfigName];"
              "const ok = t.providerSettingsWithIdSchema.safeParse(prof).success;"
              "const bad = t.providerSettingsWithIdSchema.safeParse({...prof, openAiBaseUrl: 5}).success;"
              "process.stdout.write(JSON.stringify([ok, bad, t.isProviderName(prof.apiProvider)]))")
    done = subprocess.run([node, "-e", script, body, str(module)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [True, False, True]


def test_run_is_refused_with_the_reason(kc, home, relay):
    write(home, {"Code": VSCODE})
    assert use(kc, relay, "--model", "gpt-5").code == 0
    result = kc("run", "roo-code")
    assert result.code == 2 and "runs inside the editor" in result.output


def test_undo_takes_the_import_file_away_too(kc, home, relay):
    write(home, {"Code": VSCODE})
    before = snapshot(home)
    assert use(kc, relay, "--model", "gpt-5").code == 0
    assert kc("undo").code == 0
    assert snapshot(home) == before and not import_file(home).exists()


def test_with_claude_vscode_in_one_change_both_edits_reach_the_same_file(kc, home, relay, tmp_path, monkeypatch):
    """`apply` (or a rotate) plans both extensions in one change: one edit of settings.json carries both, and
    removing them, in either order, gives back the original bytes."""
    write(home, {"Code": VSCODE})
    monkeypatch.setenv("RELAY_KEY", KEY)
    plan = tmp_path / "a.toml"
    plan.write_text(f'version = 1\n[profiles.p]\nbase_url = "{relay.url}"\nkey = {{ env = "RELAY_KEY" }}\n'
                    '[clients.claude-vscode]\nprofile = "p"\n[clients.roo-code]\nprofile = "p"\nmodel = "gpt-5"\n')
    for order in (("roo-code", "claude-vscode"), ("claude-vscode", "roo-code"), None):
        assert kc("apply", str(plan), "--no-verify").code == 0
        text = (user(home, "Code") / "settings.json").read_bytes()
        assert b"roo-cline.autoImportSettingsPath" in text and b"ANTHROPIC_AUTH_TOKEN" in text
        if order is None:
            assert kc("remove", "roo-code", "claude-vscode").code == 0
        else:
            for client in order:
                assert kc("remove", client).code == 0
        assert (user(home, "Code") / "settings.json").read_bytes() == VSCODE


def test_no_settings_file_before_both_extensions_and_none_after(kc, home, relay, tmp_path, monkeypatch):
    user(home, "Code").mkdir(parents=True)
    monkeypatch.setenv("RELAY_KEY", KEY)
    plan = tmp_path / "a.toml"
    plan.write_text(f'version = 1\n[profiles.p]\nbase_url = "{relay.url}"\nkey = {{ env = "RELAY_KEY" }}\n'
                    '[clients.claude-vscode]\nprofile = "p"\n[clients.roo-code]\nprofile = "p"\nmodel = "gpt-5"\n')
    for order in (("roo-code", "claude-vscode"), ("claude-vscode", "roo-code")):
        assert kc("apply", str(plan), "--no-verify").code == 0
        for client in order:
            assert kc("remove", client).code == 0
        assert not (user(home, "Code") / "settings.json").exists(), order
