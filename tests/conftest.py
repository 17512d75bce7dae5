"""Every test runs in its own temp HOME with keyconf's and the clients' variables isolated."""

from __future__ import annotations

import io
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import fakerelay  # noqa: E402
from windows_fake import windows  # noqa: E402,F401 - the `windows` fixture, for every test module

KEY = "sk-Test0123456789abcdefXYZ42"
REPO = Path(__file__).resolve().parent.parent
# scripts/test sets this: on CI a missing real part (binary, shell, keyring daemon) fails instead of skipping.
REQUIRE_REAL = os.environ.get("KEYCONF_REQUIRE_REAL") == "1"

_CLEARED = ("ANTHROPIC_", "OPENAI_", "KEYCONF_", "CODEX_", "CLAUDE_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
            "http_proxy", "https_proxy", "all_proxy", "NO_PROXY", "no_proxy", "XDG_", "ZDOTDIR", "APPDATA")


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith(_CLEARED):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KEYCONF_HOME", str(home / ".config" / "keyconf"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("KEYCONF_SECRET_STORE", "file")
    monkeypatch.setenv("NO_COLOR", "1")
    return home


@pytest.fixture
def no_clients_on_path(tmp_path, monkeypatch) -> Path:
    """A PATH that holds no client program, whatever this machine has installed (/usr/bin/claude included):
    tests that count installed clients must not depend on the machine they run on."""
    empty = tmp_path / "no-clients-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


@pytest.fixture(autouse=True)
def _forget_keys():
    """Keys remembered for redaction are process-wide: one test's keys must not mask another's text."""
    yield
    from keyconf import masking

    masking.forget_all()


@pytest.fixture
def relay():
    r = fakerelay.start(keys=[KEY])
    yield r
    r.stop()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self):
        import json

        return json.loads(self.stdout)


def run_keyconf(*args: str, input: str | None = None) -> Result:
    """Run the CLI in-process, as `keyconf ARGS`, with stdin/stdout/stderr captured."""
    from keyconf.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.StringIO(input or "")
    sys.stdout, sys.stderr = out, err
    try:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def kc():
    return run_keyconf


def real_binary(name: str) -> str:
    """A real client binary from .ci/node or .ci/node-more (scripts/test installs them) or PATH; skip locally
    if absent."""
    local = [REPO / ".ci" / folder / "node_modules" / ".bin" / name for folder in ("node", "node-more")]
    found = next((str(p) for p in local if p.exists()), None) or shutil.which(name)
    if not found:
        if REQUIRE_REAL:
            pytest.fail(f"{name} is not installed; scripts/test installs it")
        pytest.skip(f"{name} is not installed (run scripts/test)")
    return found


def require_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        if REQUIRE_REAL:
            pytest.fail(f"{name} is not installed; scripts/test installs it")
        pytest.skip(f"{name} is not installed")
    return found


def snapshot(root: Path) -> dict:
    """Every file under root with its bytes (keyconf's own folder excluded)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".config/keyconf" not in path.as_posix():
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


@pytest.fixture
def fake_client(tmp_path, monkeypatch):
    """Put a stand-in client program on PATH whose `--version` prints `answer` (after `sleep` seconds, exiting
    with `code`): which release keyconf believes is installed, without installing it. Returns its path."""
    folder = tmp_path / "fake-bin"
    folder.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")

    def make(name: str, answer: str, sleep: float = 0, code: int = 0) -> Path:
        program = folder / name
        program.write_text(f"#!/bin/sh\nsleep {sleep}\nprintf '%s\\n' '{answer}'\nexit {code}\n")
        program.chmod(0o755)
        return program

    return make
