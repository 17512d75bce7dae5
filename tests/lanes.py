"""The release lanes of the real-client tests: the pinned clients (.ci/node/package.json) and the newest
published ones (scripts/newest-clients installs those that differ from the pins into .ci/node-newest and
exports KEYCONF_NEWEST="pkg@version ..."). A lane whose newest release is the pinned one collapses into the
pinned lane, so a day without a new release costs nothing; the day one ships, its tests run against it.

A client whose package declares `engines.node` newer than the Node on PATH runs with Node 22 from npm
(`node-<os>-<arch>@22`, in .ci/node22), as a user on that Node would have to.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = {"claude": "@anthropic-ai/claude-code", "codex": "@openai/codex", "gemini": "@google/gemini-cli",
            "opencode": "opencode-ai"}
NEWEST_BIN = REPO / ".ci" / "node-newest" / "node_modules" / ".bin"
NODE22 = REPO / ".ci" / "node22" / "node_modules"


class Lane:
    def __init__(self, name: str, binary: str, version: str, bin_dir: Path | None):
        self.name = name  # pinned | newest
        self.binary_name = binary
        self.version = version
        self.bin_dir = bin_dir  # None: the pinned client wherever conftest.real_binary finds it

    def __repr__(self) -> str:
        return f"{self.name}-{self.version}"

    def binary(self) -> str:
        from conftest import REQUIRE_REAL, real_binary

        if self.bin_dir is None:
            return real_binary(self.binary_name)
        found = self.bin_dir / self.binary_name
        if not found.exists():
            if REQUIRE_REAL:
                pytest.fail(f"{found} is missing; scripts/newest-clients installs it")
            pytest.skip(f"{found} is missing (run scripts/test)")
        return str(found)

    def path(self, base: str | None = None) -> str:
        """PATH with this lane's client first (keyconf reads the installed release from there too), and
        Node 22 ahead of it when the client's package asks for a newer Node than the one on PATH."""
        program = Path(self.binary())
        folders = [str(program.parent)]
        node = _node22() if _needs_newer_node(program) else None
        if node:
            folders.insert(0, node)
        return os.pathsep.join(folders + [base if base is not None else os.environ.get("PATH", "")])


def _pins() -> dict:
    try:
        return json.loads((REPO / ".ci" / "node" / "package.json").read_text())["dependencies"]
    except (OSError, ValueError, KeyError):
        return {}


def _newest() -> dict:
    found = {}
    for spec in os.environ.get("KEYCONF_NEWEST", "").split():
        package, _, version = spec.rpartition("@")
        if package:
            found[package] = version
    return found


def lanes(binary: str) -> list:
    """pytest params: the pinned lane, and the newest lane when its release differs from the pin."""
    package = PACKAGES[binary]
    pinned = _pins().get(package, "pinned")
    params = [pytest.param(Lane("pinned", binary, pinned, None), id=f"pinned-{pinned}")]
    newest = _newest().get(package)
    if newest and newest != pinned:
        params.append(pytest.param(Lane("newest", binary, newest, NEWEST_BIN), id=f"newest-{newest}"))
    return params


def _manifest(program: Path) -> dict:
    folder = Path(os.path.realpath(program)).parent
    for _ in range(6):
        candidate = folder / "package.json"
        if candidate.is_file():
            data = json.loads(candidate.read_text())
            if data.get("name") in PACKAGES.values():
                return data
        folder = folder.parent
    return {}


def _needs_newer_node(program: Path) -> bool:
    wanted = re.search(r">=\s*(\d+)", str((_manifest(program).get("engines") or {}).get("node", "")))
    have = _node_major()
    return bool(wanted and have is not None and int(wanted.group(1)) > have)


@lru_cache(maxsize=1)
def _node_major() -> int | None:
    node = shutil.which("node")
    if not node:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.match(r"v(\d+)", out.strip())
    return int(match.group(1)) if match else None


def _node22() -> str | None:
    """Node 22's bin folder: the one pinned beside the clients (.ci/node, for Qwen Code), else .ci/node22."""
    for root in (REPO / ".ci" / "node" / "node_modules", NODE22):
        for folder in sorted(root.glob("node-*/bin")):
            if (folder / "node").exists():
                return str(folder)
    return None
