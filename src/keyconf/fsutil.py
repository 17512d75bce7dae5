"""Small file primitives: read if present, atomic replace (temp in the same folder, fsync, rename)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

PRIVATE = 0o600


def read_bytes(path: Path) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        from keyconf.errors import UnsafeEdit

        raise UnsafeEdit(f"{path} is a folder, not a file") from None


def real_path(path: Path) -> Path:
    """Symlinked config files (dotfile repos) are edited through the link, at their target."""
    return Path(os.path.realpath(path))


def current_mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, data: bytes | None, *, private: bool = False, mode: int | None = None) -> None:
    """Replace `path` with `data` (None deletes it) so that readers see the old or the new file, never half.

    The mode of an existing file is kept; a file that holds a key is made 0600 whatever it was.
    """
    target = real_path(path)
    if data is None:
        target.unlink(missing_ok=True)
        return
    if not target.parent.exists():
        # a folder keyconf creates for a file holding a key is private too
        target.parent.mkdir(parents=True, mode=0o700 if private else 0o777)
    if mode is None:
        mode = current_mode(target)
    if mode is None:
        mode = _default_mode()
    if private:
        mode = PRIVATE
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".keyconf-tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.chmod(tmp, mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def ensure_private_dir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(folder, 0o700)
    return folder
