"""The transaction engine: re-check, journal, atomic writes, rollback, lock, undo."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest

from keyconf import engine
from keyconf.engine.edits import FileEdit
from keyconf.errors import UnsafeEdit
from keyconf.paths import Paths


@pytest.fixture
def paths(home):
    return Paths.from_environ()


def test_apply_journals_and_writes_atomically(paths, home):
    a, b = home / "a.txt", home / "sub" / "b.txt"
    a.write_bytes(b"old a")
    os.chmod(a, 0o640)
    entry = engine.apply(paths, [FileEdit(a, b"old a", b"new a"), FileEdit(b, None, b"key", private=True)],
                         command="test")
    assert a.read_bytes() == b"new a" and stat.S_IMODE(a.stat().st_mode) == 0o640
    assert stat.S_IMODE(b.stat().st_mode) == 0o600
    assert entry.status == "done"
    for item in entry.folder.iterdir():
        assert stat.S_IMODE(item.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.folder.stat().st_mode) == 0o700
    assert not [p for p in home.rglob("*.keyconf-tmp")]
    edits = engine.plan_undo(entry, force=False)
    engine.restore(paths, entry, edits)
    assert a.read_bytes() == b"old a" and not b.exists()
    assert stat.S_IMODE(a.stat().st_mode) == 0o640


def test_changed_under_us_writes_nothing(paths, home):
    a, b = home / "a", home / "b"
    a.write_bytes(b"1")
    b.write_bytes(b"2")
    edits = [FileEdit(a, b"1", b"one"), FileEdit(b, b"two-planned", b"zwei")]
    with pytest.raises(UnsafeEdit, match="changed while keyconf"):
        engine.apply(paths, edits, command="test")
    assert a.read_bytes() == b"1" and b.read_bytes() == b"2"
    assert not paths.journal_dir.exists()


def test_failed_write_rolls_back_earlier_files(paths, home):
    a = home / "a"
    a.write_bytes(b"1")
    blocker = home / "dir-in-the-way"
    blocker.mkdir()
    (blocker / "x").write_text("x")
    # the second edit targets a folder: its rename fails after the first file was written
    edits = [FileEdit(a, b"1", b"one"), FileEdit(blocker, None, b"oops")]
    with pytest.raises(UnsafeEdit):
        engine.apply(paths, edits, command="test")
    assert a.read_bytes() == b"1"


def test_no_change_no_journal(paths, home):
    a = home / "a"
    a.write_bytes(b"same")
    assert engine.apply(paths, [FileEdit(a, b"same", b"same")], command="test") is None
    assert not paths.journal_dir.exists()


def test_lock_keeps_a_second_run_out(paths, monkeypatch):
    monkeypatch.setattr("keyconf.engine.lock.LOCK_WAIT_SECONDS", 0.3)
    inside = threading.Event()
    release = threading.Event()

    def holder():
        import fcntl

        paths.keyconf_home.mkdir(parents=True, exist_ok=True)
        with open(paths.lock_file, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    inside.wait(5)
    try:
        with pytest.raises(UnsafeEdit, match="another keyconf"):
            with engine.locked(paths):
                pass
    finally:
        release.set()
        thread.join()
    with engine.locked(paths):
        pass


def test_journal_keeps_the_newest_changes(paths, home, monkeypatch):
    monkeypatch.setattr("keyconf.engine.journal.JOURNAL_KEEP", 3)
    a = home / "a"
    for i in range(5):
        engine.apply(paths, [FileEdit(a, None if i == 0 else str(i - 1).encode(), str(i).encode())], command="t")
    kept = engine.entries(paths)
    assert len(kept) == 3 and kept[0].edits()[0].before == b"3"


def _holder(code: str) -> subprocess.Popen:
    script = ("import os, signal, sys, time\nfrom keyconf import engine\nfrom keyconf.paths import Paths\n"
              "with engine.locked(Paths.from_environ()):\n    print('locked', flush=True)\n" + code)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "locked\n"
    return proc


def test_lock_of_a_killed_keyconf_is_taken_over_at_once(paths):
    proc = _holder("    os.kill(os.getpid(), signal.SIGKILL)\n")
    assert proc.wait(30) == -signal.SIGKILL
    assert paths.lock_file.read_text().strip() == str(proc.pid)  # a stale pid is no obstacle: flock died with it
    start = time.monotonic()
    with engine.locked(paths, timeout=5):
        pass
    assert time.monotonic() - start < 1


def test_a_live_lock_is_waited_for_and_named(paths):
    proc = _holder("    time.sleep(1.0)\n")
    messages = []
    with engine.locked(paths, notify=messages.append, timeout=30):
        pass
    assert proc.wait(30) == 0
    assert messages == [f"waiting for another keyconf (pid {proc.pid}) to finish…"]


def test_lock_timeout_is_exit_3_naming_the_holder(paths):
    proc = _holder("    time.sleep(30)\n")
    try:
        with pytest.raises(UnsafeEdit, match=rf"another keyconf command \(pid {proc.pid}\) is still running") as info:
            with engine.locked(paths, timeout=0.3):
                pass
        assert info.value.code == 3
    finally:
        proc.kill()
        proc.wait()


def test_changed_under_us_is_checked_without_reading_the_file_whole(paths, home, monkeypatch):
    a = home / "a"
    a.write_bytes(b"x" * 3_000_000)
    monkeypatch.setattr(FileEdit, "read_current", lambda self: pytest.fail("apply read the whole file"))
    engine.apply(paths, [FileEdit(a, b"x" * 3_000_000, b"y")], command="t")
    assert a.read_bytes() == b"y"


@pytest.mark.parametrize("change", ["first", "middle", "last", "insert", "delete", "no-newline-end"])
def test_diff_of_a_big_file_shows_the_same_hunks_as_a_full_diff(monkeypatch, change):
    from keyconf.engine import edits

    lines = [f'  "project-{i}": {{"allowedTools": []}},\n'.encode() for i in range(4000)]
    before = b"".join(lines)
    after_lines = list(lines)
    if change == "first":
        after_lines[0] = b'  "hasCompletedOnboarding": true,\n'
    elif change == "middle":
        after_lines[2000] = after_lines[2000].replace(b"[]", b'["Bash"]')
    elif change == "last":
        after_lines[-1] = b"}\n"
    elif change == "insert":
        after_lines.insert(1500, b'  "new": 1,\n')
    elif change == "delete":
        del after_lines[1500:1503]
    else:
        after_lines[-1] = after_lines[-1].rstrip(b"\n")
    after = b"".join(after_lines)
    windowed = edits.text_diff("f", before, after)
    monkeypatch.setattr(edits, "DIFF_WINDOW", 1 << 40)
    assert windowed == edits.text_diff("f", before, after)
    assert windowed.count("@@") == 2
