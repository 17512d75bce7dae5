"""What `undo` says about the files it puts back."""

from __future__ import annotations

import json

from conftest import KEY


def test_undo_says_deleted_for_a_file_the_change_created(kc, home, relay):
    assert kc("use", "codex", "--key-stdin", "--base-url", relay.url, input=KEY + "\n").code == 0
    result = kc("undo")
    assert "deleted ~/.codex/config.toml" in result.stdout
    assert json.loads(kc("undo", "--json").stdout)["ok"]
