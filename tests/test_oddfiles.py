"""Odd things where a config file should be: refused with exit 3 naming the path and the reason, never a hang
or a traceback. Run as real `keyconf` processes with a timeout, since the failure mode is hanging forever."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import KEY
from keyconf.engine import fsutil
from keyconf.errors import UnsafeEdit

NOBODY = 65534
TARGETS = {  # client -> (file under HOME it reads first, extra flags)
    "claude-code": (".claude/settings.json", ()),
    "codex": (".codex/config.toml", ()),
    "shell": (".bashrc", ("--shell", "bash")),
    "pi": (".pi/agent/models.json", ("--model", "gpt-5")),
    "kilo": (".config/kilo/kilo.json", ("--model", "gpt-5")),
    "openclaw": (".openclaw/openclaw.json", ("--model", "gpt-5")),
    "hermes": (".hermes/config.yaml", ("--model", "gpt-5")),
    "aider": (".aider.conf.yml", ("--model", "gpt-5")),
    "continue": (".continue/config.yaml", ("--model", "gpt-4o-mini")),
}


def keyconf(home: Path, *args: str, prefix=(), **env) -> subprocess.CompletedProcess:
    environ = dict(os.environ, HOME=str(home), KEYCONF_HOME=str(home / ".config" / "keyconf"),
                   XDG_CONFIG_HOME=str(home / ".config"), KEYCONF_API_KEY=KEY,
                   KEYCONF_BASE_URL="https://relay.example.com", **env)
    return subprocess.run([*prefix, sys.executable, "-m", "keyconf", *args], env=environ, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL, cwd="/")


def assert_refused(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the socket file stays


def make_device(path: Path) -> None:
    path.symlink_to("/dev/zero")  # reading it would never end


def make_loop(path: Path) -> None:
    path.symlink_to(path.with_name("other"))
    path.with_name("other").symlink_to(path)


def make_folder(path: Path) -> None:
    path.mkdir()


ODD = {"FIFO": make_fifo, "socket": make_socket, "device": make_device, "symlink loop": make_loop,
       "folder": make_folder}


@pytest.mark.parametrize("client", sorted(TARGETS))
@pytest.mark.parametrize("kind", sorted(ODD))
def test_odd_file_in_place_of_the_config_is_refused(home, client, kind):
    rel, extra = TARGETS[client]
    path = home / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    ODD[kind](path)
    done = keyconf(home, "use", client, "--no-verify", *extra)
    assert_refused(done, str(path), kind)
    assert not list(home.rglob("*.keyconf-tmp"))
    if kind == "FIFO":  # --json: one document with the error
        doc = json.loads(keyconf(home, "use", client, "--no-verify", "--json", *extra).stdout)
        assert doc["exit_code"] == 3 and doc["ok"] is False and "FIFO" in doc["errors"][0]["message"]


def test_config_dir_that_is_a_file(home):
    done = keyconf(home, "use", "claude-code", "--no-verify", CLAUDE_CONFIG_DIR="/dev/null")
    assert_refused(done, "/dev/null", "is a file, not a folder")


def test_read_bytes_reports_each_kind(home):
    for kind, make in ODD.items():
        path = home / kind.replace(" ", "-")
        make(path)
        with pytest.raises(UnsafeEdit, match=kind):
            fsutil.read_bytes(path)
    assert fsutil.read_bytes(home / "absent") is None
    with pytest.raises(UnsafeEdit, match="a part of this path is a file"):
        fsutil.read_bytes(Path("/dev/null/settings.json"))


# as an ordinary user: permissions ---------------------------------------------------------------------------

@pytest.fixture
def user_home():
    """A HOME owned by an ordinary user, and how to run keyconf as that user (root drops to nobody)."""
    if os.geteuid() != 0:
        base = Path(tempfile.mkdtemp())
        yield base / "home", (), (lambda path: None)
    else:
        setpriv = shutil.which("setpriv")
        if not setpriv:
            pytest.skip("running as root and setpriv is missing: cannot test as an ordinary user")
        base = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's own tmp folder is 0700 root
        os.chmod(base, 0o755)
        prefix = (setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
        yield base / "home", prefix, (lambda path: os.chown(path, NOBODY, NOBODY))
    for path in base.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            os.chmod(path, 0o755)
    shutil.rmtree(base, ignore_errors=True)


def test_unreadable_config_is_refused(user_home):
    home, prefix, give = user_home
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{}")
    for path in (home, settings.parent):
        give(path)
    os.chmod(settings, 0)  # and owned by root when we are root
    assert_refused(keyconf(home, "use", "claude-code", "--no-verify", prefix=prefix), str(settings),
                   "permission denied")


def test_read_only_config_folder_is_refused_before_writing(user_home):
    home, prefix, give = user_home
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{}")
    for path in (home, settings.parent, settings):
        give(path)
    os.chmod(settings.parent, 0o555)
    done = keyconf(home, "use", "claude-code", "--no-verify", prefix=prefix)
    assert_refused(done, str(settings.parent), "read-only")
    assert settings.read_text() == "{}"
    journal = home / ".config" / "keyconf" / "journal"
    assert not journal.exists() or not list(journal.iterdir())


def test_read_only_config_file_is_refused(user_home):
    home, prefix, give = user_home
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{}")
    for path in (home, settings.parent, settings):
        give(path)
    os.chmod(settings, 0o444)
    assert_refused(keyconf(home, "use", "claude-code", "--no-verify", prefix=prefix), str(settings), "read-only")


def test_read_only_home_is_refused(user_home):
    home, prefix, give = user_home
    home.mkdir()
    give(home)
    os.chmod(home, 0o555)
    done = keyconf(home, "use", "claude-code", "--no-verify", prefix=prefix)
    assert_refused(done, str(home))
    doc = json.loads(keyconf(home, "use", "claude-code", "--no-verify", "--json", prefix=prefix).stdout)
    assert doc["exit_code"] == 3 and doc["errors"]
