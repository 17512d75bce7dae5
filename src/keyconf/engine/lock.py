"""keyconf's one lock: an OS lock (flock) on one file, waited for with a message naming the holder; once
held, an interrupted earlier change is recovered first (`recovery`).
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from keyconf.engine import fsutil
from keyconf.engine.recovery import Recovered, recover
from keyconf.errors import UnsafeEdit
from keyconf.paths import Paths

LOCK_WAIT_SECONDS = 30.0


@contextmanager
def locked(paths: Paths, *, notify: Callable[[str], None] | None = None, timeout: float | None = None,
           recovery: bool = True, force: bool = False) -> Iterator[Recovered]:
    """Hold keyconf's one lock (every change to keyconf's state or a client's files happens under it).

    An OS lock (flock), so a holder that dies releases it at once (the pid written into the lock file only
    names the holder in the waiting message; a stale one blocks nothing). A live holder is
    waited for, telling `notify` once, up to `timeout` seconds (then UnsafeEdit, exit 3). Once held, an
    interrupted earlier change is rolled back first; what was done goes to `notify` line by line and is
    yielded (see `recover`).
    """
    fsutil.ensure_private_dir(paths.keyconf_home)
    try:
        handle = open(paths.lock_file, "a+b")
    except OSError as exc:
        raise fsutil.os_problem(paths.lock_file, exc, "open") from None
    held = False
    try:
        _acquire(handle, paths, notify, LOCK_WAIT_SECONDS if timeout is None else timeout)
        held = True
        _show_holder(handle, f"{os.getpid()}\n")
        report = recover(paths, force=force) if recovery else Recovered()
        for line in report if notify else ():
            notify(line)
        yield report
    finally:
        if held:  # only the holder empties it; an idle keyconf leaves its folder as it found it
            _show_holder(handle, "")
        handle.close()  # closing releases the lock


def _acquire(handle, paths: Paths, notify, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    told = False
    while not _try_lock(handle):
        holder = _holder(paths)
        if time.monotonic() > deadline:
            raise UnsafeEdit(f"another keyconf command{holder} is still running after {timeout:g} s; "
                             "nothing was changed",
                             hint=f"wait for it to finish and try again; its lock is {paths.lock_file}")
        if notify and not told:
            notify(f"waiting for another keyconf{holder} to finish…")
            told = True
        time.sleep(0.05)


def _holder(paths: Paths) -> str:
    try:
        pid = int(paths.lock_file.read_text("ascii").strip() or "x")
    except (OSError, ValueError):
        return ""
    return f" (pid {pid})"


def _show_holder(handle, pid: str) -> None:
    """Write the holder's pid into the lock file, or "" on release. For the waiting message only: the lock
    itself is the flock, which dies with its holder."""
    if os.name == "nt":
        return
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(pid.encode())
        handle.flush()
    except OSError:
        pass


def _try_lock(handle) -> bool:
    if os.name == "nt":
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
