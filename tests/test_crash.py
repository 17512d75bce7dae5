"""SIGKILL keyconf at a few syscalls (strace fault injection) of a sample of changing commands, then check
that both ways back (`remove --all` + re-run + `remove --all`; `undo` until empty) give the user's original
files, and that no temp file or pending journal entry is left.

A quick subset of benchmarks/crash_harness.py, which kills at every call of every case and prints figures.
"""

from __future__ import annotations

import sys

import pytest

from conftest import REPO, require_tool

sys.path.insert(0, str(REPO / "benchmarks"))

import crash_harness  # noqa: E402

CASES = [  # (case, syscalls): each syscall killed at 2 call numbers spread over the run
    ("use-claude-code", ("rename", "fsync", "write", "openat")),
    ("use-cursor", ("unlink", "write")),
    ("remove-all", ("rename", "rmdir")),
    ("undo", ("rename", "unlink")),
    ("rotate", ("rename",)),
    ("profile-rm", ("fsync",)),
    ("use-pi", ("rename", "fsync")),  # settings.json is a RewrittenJsonEdit
    ("use-hermes", ("rename", "write")),  # the YAML editor's output
]


@pytest.mark.parametrize("case,syscalls", CASES)
def test_killed_keyconf_leaves_a_way_back(case, syscalls):
    require_tool("strace")
    lines = []
    figs = crash_harness.sweep(crash_harness.find_case(case), syscalls, pick=2, log=lines.append)
    assert figs.kills >= len(syscalls), lines
    assert figs.failures == [], "\n".join(figs.failures)
    assert figs.temp_left == 0 and figs.torn == 0 and figs.pending_left == 0
