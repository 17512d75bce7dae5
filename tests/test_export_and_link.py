"""`export --json` holds a valid apply file; `link --open` without a working opener is exit 3."""

from __future__ import annotations

import tomllib

from conftest import KEY


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
