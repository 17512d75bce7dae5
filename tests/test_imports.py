"""`keyconf --help` and `status` must not pay for httpx, keyring, tomlkit, sqlite3 or yaml (as pipx tests)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("httpx", "keyring", "tomlkit", "sqlite3", "yaml")

PROBE = """
import sys
from keyconf.cli import main
try:
    main({args!r})
except SystemExit:
    pass
print("LOADED:" + " ".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [[], ["--help"], ["status"], ["use", "--help"], ["status", "claude-code"]])
def test_light_commands_import_no_heavy_module(args, home):
    result = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
                            capture_output=True, text=True, timeout=60)
    loaded = result.stderr.rsplit("LOADED:", 1)[1].split()
    assert loaded == [], f"`keyconf {' '.join(args)}` imported {loaded}"
