"""SIGKILL keyconf at a few rename/fsync/write/unlink/openat calls (strace fault injection), then check that
both ways back (`remove`; `undo`) give the user's original bytes and no temp file is left.

A quick subset of benchmarks/crash_harness.py, which kills at every call of a clean run and prints figures.
"""

from __future__ import annotations

import sys

import pytest

from conftest import REPO, require_tool

sys.path.insert(0, str(REPO / "benchmarks"))

import crash_harness  # noqa: E402

CASES = [  # (client, command, syscalls): each syscall killed at 2 call numbers spread over the run
    ("claude-code", "use", ("rename", "fsync", "write", "openat")),
    ("codex", "remove", ("rename", "unlink")),
    ("shell", "undo", ("rename", "fsync")),
    ("pi", "undo", ("rename", "fsync")),  # settings.json is a RewrittenJsonEdit
    ("hermes", "use", ("rename", "write")),  # the YAML editor's output
]


@pytest.mark.parametrize("client,command,syscalls", CASES)
def test_killed_keyconf_leaves_a_way_back(client, command, syscalls):
    require_tool("strace")
    [scenario] = [s for s in crash_harness.SCENARIOS if s.client == client]
    lines = []
    figs = crash_harness.sweep(scenario, command, syscalls, pick=2, log=lines.append)
    assert figs.kills >= len(syscalls), lines
    assert figs.failures == [], "\n".join(figs.failures)
    assert figs.temp_left == 0 and figs.torn == 0
