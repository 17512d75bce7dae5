"""The Claude Code extension's settings in VS Code and its forks: JSONC edits on real-world editor settings
(comments, trailing commas, CRLF, the user's own environment items), every installed editor found and named."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from adapter_contract import AdapterContract
from conftest import KEY, real_binary, snapshot

# VS Code's own layout (4-space indent), a user comment, a trailing comma, an item of the user's own.
VSCODE = b"""{
    // Editor
    "editor.fontSize": 14,
    "editor.formatOnSave": true,
    "workbench.colorTheme": "Default Dark Modern",
    /* the Claude Code extension */
    "claudeCode.environmentVariables": [
        {
            "name": "DISABLE_TELEMETRY",
            "value": "1"
        },
        {"name": "ANTHROPIC_BASE_URL", "value": "https://old.example.com"}, // my earlier relay
    ],
    "claudeCode.selectedModel": "default",
    "settingsSync.ignoredSettings": [
        "claudeCode.environmentVariables",
    ],
}
"""
# Cursor's file written on Windows: CRLF, two-space indent, no environment items yet.
CURSOR_CRLF = (b'{\r\n  "window.commandCenter": true,\r\n  "cursor.cpp.disabledLanguages": ["plaintext",],\r\n'
               b'  // keep the minimap off\r\n  "editor.minimap.enabled": false,\r\n}\r\n')
WINDSURF_EMPTY = b"{}"


def user(home: Path, folder: str) -> Path:
    return home / ".config" / folder / "User"


def write(home: Path, files: dict) -> None:
    for folder, body in files.items():
        user(home, folder).mkdir(parents=True, exist_ok=True)
        if body is not None:
            (user(home, folder) / "settings.json").write_bytes(body)


def env_items(path: Path) -> list:
    from keyconf.formats.jsondoc import JsonDoc

    return JsonDoc(path.read_bytes(), "s", jsonc=True).get(("claudeCode.environmentVariables",))


def use(kc, relay, *extra, key=KEY):
    return kc("use", "claude-vscode", "--key-stdin", "--base-url", relay.url, "--no-verify", *extra, input=key + "\n")


class TestClaudeVscodeContract(AdapterContract):
    client = "claude-vscode"
    cannot_run = "the Claude Code extension runs inside the editor"

    def arrange(self, home):
        write(home, {"Code": VSCODE, "Cursor": CURSOR_CRLF})

    def break_file(self, home):
        path = user(home, "Cursor") / "settings.json"
        path.write_bytes(b'{"editor.fontSize": 14,,}')
        return path

    def plant(self, home, token):
        path = user(home, "Code") / "settings.json"
        path.write_bytes(VSCODE.replace(b'"value": "1"', b'"value": "1"}, {"name": "ANTHROPIC_AUTH_TOKEN", '
                                        b'"value": "' + token.encode() + b'"'))


def test_every_installed_editor_is_written_and_named_with_its_bytes_kept(kc, home, relay):
    write(home, {"Code": VSCODE, "Cursor": CURSOR_CRLF, "Windsurf": None})
    result = use(kc, relay, "--model", "claude-sonnet-4-5")
    assert result.code == 0, result.output
    for name in ("VS Code:", "Cursor:", "Windsurf:"):
        assert name in result.output
    assert "Cursor, Windsurf: Settings Sync uploads" in result.output  # VS Code's file has it ignored
    code = user(home, "Code") / "settings.json"
    text = code.read_bytes()
    assert b"// my earlier relay" in text and b"/* the Claude Code extension */" in text
    assert env_items(code) == [{"name": "DISABLE_TELEMETRY", "value": "1"},
                               {"name": "ANTHROPIC_BASE_URL", "value": relay.url},
                               {"name": "ANTHROPIC_AUTH_TOKEN", "value": KEY},
                               {"name": "ANTHROPIC_MODEL", "value": "claude-sonnet-4-5"}]
    cursor = (user(home, "Cursor") / "settings.json").read_bytes()
    assert b"\n" not in cursor.replace(b"\r\n", b"")  # CRLF kept, none of ours is a bare LF
    assert b"// keep the minimap off" in cursor and b'"claudeCode.disableLoginPrompt": true' in cursor
    windsurf = user(home, "Windsurf") / "settings.json"
    assert json.loads(windsurf.read_bytes())["claudeCode.disableLoginPrompt"] is True
    for path in (code, windsurf):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    status = kc("status", "claude-vscode", "--json").json()["results"][0]
    assert status["configured"] and status["base_url"] == relay.url and status["key"] == "sk-…YZ42"
    assert KEY not in kc("status", "claude-vscode").output


def test_remove_after_the_editor_changed_the_array_keeps_its_items_and_restores_ours(kc, home, relay):
    write(home, {"Code": VSCODE})
    assert use(kc, relay).code == 0
    path = user(home, "Code") / "settings.json"
    text = path.read_bytes().replace(b'"value": "1"\n        }',
                                     b'"value": "1"\n        }, {"name": "FOO", "value": "x"}')
    path.write_bytes(text)
    assert kc("remove", "claude-vscode").code == 0
    after = path.read_bytes()
    assert b'{"name": "ANTHROPIC_BASE_URL", "value": "https://old.example.com"}, // my earlier relay' in after
    assert [i["name"] for i in env_items(path)] == ["DISABLE_TELEMETRY", "FOO", "ANTHROPIC_BASE_URL"]
    assert b"disableLoginPrompt" not in after


def test_items_put_and_reverted_keep_the_users_text():
    from keyconf.adapters.claude_vscode import put_items, revert_items

    prior = '[\n  {"name": "A", "value": "1"}, // mine\n  {"name": "ANTHROPIC_BASE_URL", "value": "old"},\n]'
    ours = put_items(prior, {"ANTHROPIC_BASE_URL": "https://r", "ANTHROPIC_MODEL": "m"})
    assert '// mine' in ours and '"value": "https://r"' in ours and ours.count("ANTHROPIC_MODEL") == 1
    assert revert_items(ours, prior, ["ANTHROPIC_MODEL"]) == put_items(prior, {"ANTHROPIC_BASE_URL": "https://r"})
    assert revert_items(ours, prior, ["ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL"]) == prior
    assert revert_items(put_items(None, {"X": "1"}), None, ["X"]) == "[]"


def test_no_editor_writes_vs_code_with_a_warning_and_remove_deletes_it(kc, home, relay):
    result = use(kc, relay)
    assert result.code == 0, result.output
    assert "no VS Code-family editor has run here yet" in result.output
    path = user(home, "Code") / "settings.json"
    assert env_items(path)[0] == {"name": "ANTHROPIC_BASE_URL", "value": relay.url}
    assert kc("remove", "claude-vscode").code == 0
    assert not path.exists() and not (home / ".config" / "Code").exists()


def test_environment_variables_not_an_array_is_refused(kc, home, relay):
    write(home, {"Code": b'{"claudeCode.environmentVariables": {"ANTHROPIC_BASE_URL": "x"}}'})
    before = snapshot(home)
    result = use(kc, relay)
    assert result.code == 3 and "not an array" in result.output
    assert snapshot(home) == before


def test_doctor_names_the_traps(kc, home, relay):
    write(home, {"Code": CURSOR_CRLF})
    assert use(kc, relay).code == 0
    text = kc("doctor").output
    assert "Settings Sync" in text and "hasCompletedOnboarding" in text and "#89588" in text


def test_verify_names_a_model_the_group_lacks(kc, home, relay):
    write(home, {"Code": VSCODE})
    assert use(kc, relay, "--model", "no-such-model").code == 0
    result = kc("verify", "claude-vscode")
    assert result.code != 0 and result.code != 1
    assert "no-such-model" in result.output


def test_run_is_refused_with_the_reason(kc, home, relay):
    assert use(kc, relay).code == 0
    result = kc("run", "claude-vscode")
    assert result.code == 2 and "runs inside the editor" in result.output


def test_export_then_apply_replays_the_binding(kc, home, relay, tmp_path):
    write(home, {"Code": VSCODE})
    assert use(kc, relay, "--model", "claude-sonnet-4-5").code == 0
    exported = kc("export")
    assert exported.code == 0, exported.output
    assert "claude-vscode" in exported.output and KEY not in exported.output


@pytest.mark.e2e
def test_the_values_written_drive_the_real_claude_cli(kc, home, relay):
    """The extension bundles the Claude Code CLI and passes these items to it as its environment: the same
    name/value pairs, read back from the settings file, make the real `claude -p` reach the relay with the key.
    This proves the values, not the extension's own login check (the extension is in no registry)."""
    binary = real_binary("claude")
    write(home, {"Code": VSCODE})
    assert use(kc, relay, "--model", "claude-sonnet-4-5").code == 0
    items = {i["name"]: i["value"] for i in env_items(user(home, "Code") / "settings.json")}
    (home / ".claude.json").write_text('{"hasCompletedOnboarding": true}')
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC")}
    env.update(items)
    env.update(HOME=str(home), DISABLE_AUTOUPDATER="1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
    done = subprocess.run([binary, "-p", "say hi"], env=env, capture_output=True, text=True, timeout=240,
                          stdin=subprocess.DEVNULL, cwd=home)
    assert done.returncode == 0, done.stdout + done.stderr
    calls = relay.seen("/v1/messages")
    assert calls and all(c.headers.get("authorization") == f"Bearer {KEY}" for c in calls)


@pytest.mark.parametrize(("platform", "env", "expected"), [
    ("linux", {"HOME": "/h", "XDG_CONFIG_HOME": "/x"}, "/x/{f}/User/settings.json"),
    ("macos", {"HOME": "/h"}, "/h/Library/Application Support/{f}/User/settings.json"),
    ("windows", {"HOME": "/h", "USERPROFILE": "/h", "APPDATA": "/h/AppData/Roaming"},
     "/h/AppData/Roaming/{f}/User/settings.json"),
])
def test_each_editors_settings_file_per_os(platform, env, expected):
    from keyconf.adapters import editors
    from keyconf.adapters.base import Context
    from keyconf.adapters.zed import ADAPTER as zed
    from keyconf.paths import Paths

    ctx = Context(Paths(env, platform), None)
    for _, folder in editors.EDITORS:
        assert str(editors.settings_file(ctx, folder)) == expected.format(f=folder)
    zed_expected = {"linux": "/x/zed", "macos": "/h/.config/zed", "windows": "/h/AppData/Roaming/Zed"}[platform]
    assert str(zed.settings_file(ctx)) == zed_expected + "/settings.json"


def test_an_editor_without_the_extension_is_named_as_such(kc, home, relay):
    write(home, {"Code": VSCODE, "Cursor": CURSOR_CRLF})
    (home / ".vscode" / "extensions" / "anthropic.claude-code-2.1.332-linux-x64").mkdir(parents=True)
    (home / ".cursor" / "extensions").mkdir(parents=True)
    out = use(kc, relay).output
    assert "VS Code: ~/.config/Code/User/settings.json\n" in out
    assert "the Claude Code extension is not installed in Cursor yet" in out


# No VS Code settings in the corpus yet: Zed's settings files are the nearest real-world JSONC written by an editor
# (comments, trailing commas, CRLF in one), so they stand in as VS Code's file here.
from corpus import corpus_files  # noqa: E402

REAL = [p.values[0] if hasattr(p, "values") else p for p in corpus_files("zed", "*.json")]


@pytest.mark.parametrize("path", REAL, ids=[p.name if p else "none" for p in REAL])
def test_real_world_jsonc_through_use_use_again_and_remove(kc, home, relay, path):
    if path is None:
        pytest.skip("no corpus here")
    original = path.read_bytes()
    write(home, {"Code": original})
    target = user(home, "Code") / "settings.json"
    assert use(kc, relay, "--model", "claude-sonnet-4-5").code == 0
    written = target.read_bytes()
    assert env_items(target)[:2] == [{"name": "ANTHROPIC_BASE_URL", "value": relay.url},
                                     {"name": "ANTHROPIC_AUTH_TOKEN", "value": KEY}]
    again = kc("use", "claude-vscode", "--no-verify")
    assert again.code == 0 and "nothing changed" in again.output, again.output
    assert target.read_bytes() == written
    assert kc("remove", "claude-vscode").code == 0
    assert target.read_bytes() == original
