"""The newest-release lane collapses into the pinned one when no newer release is out, and appears when one is."""

from __future__ import annotations

import lanes


def test_a_newer_release_adds_a_lane_and_the_pinned_one_does_not(monkeypatch):
    pinned = lanes._pins()["@openai/codex"]
    monkeypatch.setenv("KEYCONF_NEWEST", f"@openai/codex@{pinned} opencode-ai@99.0.0")
    assert [p.id for p in lanes.lanes("codex")] == [f"pinned-{pinned}"]
    ids = [p.id for p in lanes.lanes("opencode")]
    assert ids[1:] == ["newest-99.0.0"] and ids[0].startswith("pinned-")
    assert lanes.lanes("opencode")[1].values[0].bin_dir == lanes.NEWEST_BIN
    monkeypatch.delenv("KEYCONF_NEWEST")
    assert len(lanes.lanes("gemini")) == 1  # outside scripts/test: the pinned clients only
