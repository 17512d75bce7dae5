"""Small file primitives: read regular files only, atomic replace (temp in the same folder, fsync, rename).

Every read of a user's file goes through `read_bytes`, which opens only regular files: a FIFO, socket or
device in place of a config file would block or make no sense, and a symlink loop, a path through a file
(`CLAUDE_CONFIG_DIR=/dev/null`) or a permission problem must be reported with the path, not as a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

PRIVATE = 0o600
TEMP_SUFFIX = ".keyconf-tmp"
CHUNK = 1 << 20


def _unsafe(message: str, hint: str = ""):
    from keyconf.errors import UnsafeEdit

    return UnsafeEdit(message, hint=hint)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def os_problem(path, exc: OSError, doing: str = "read") -> Exception:
    """An UnsafeEdit naming the path and, in words, why the OS refused."""
    code = exc.errno
    if code == errno.ELOOP:
        return _unsafe(f"{path} is a symlink loop; keyconf cannot {doing} it",
                       hint="fix or remove the link, then run keyconf again")
    if code == errno.ENOTDIR:
        return _unsafe(f"{path}: a part of this path is a file, not a folder; keyconf cannot {doing} it",
                       hint="check the variables that point there (HOME, CLAUDE_CONFIG_DIR, CODEX_HOME, ...)")
    if code in (errno.EACCES, errno.EPERM):
        return _unsafe(f"{path}: permission denied; keyconf cannot {doing} it",
                       hint="check the owner and mode of the file and of its folder")
    if code == errno.EROFS:
        return _unsafe(f"{path} is on a read-only file system; keyconf cannot {doing} it")
    if code == errno.EISDIR:
        return _unsafe(f"{path} is a folder, not a file")
    return _unsafe(f"cannot {doing} {path}: {exc.strerror or exc}")


def check_regular(path) -> os.stat_result | None:
    """The stat of `path` if it is a regular file, None if absent; UnsafeEdit for anything else."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise os_problem(path, exc) from None
    if not stat.S_ISREG(st.st_mode):
        raise _unsafe(f"{path} is {_kind(st.st_mode)}, not a regular file; keyconf only edits regular files",
                      hint="move it away or point keyconf at the real file")
    return st


def open_regular(path):
    """An open binary file for `path` (None if absent), never blocking: O_NONBLOCK keeps a FIFO that
    appears between the stat and the open from hanging us, and fstat checks what was really opened."""
    if check_regular(path) is None:
        return None
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise os_problem(path, exc) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _unsafe(f"{path} is {_kind(mode)}, not a regular file; keyconf only edits regular files")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_bytes(path: Path) -> bytes | None:
    """The bytes of a regular file, None if it does not exist; UnsafeEdit (exit 3) naming the path otherwise."""
    handle = open_regular(path)
    if handle is None:
        return None
    with handle:
        try:
            return handle.read()
        except OSError as exc:
            raise os_problem(path, exc) from None


def same_content(path: Path, expected: bytes | None) -> bool:
    """Whether the file holds exactly `expected` (None: absent), read in chunks so no third copy of a big
    file is made just to compare."""
    handle = open_regular(path)
    if handle is None:
        return expected is None
    with handle:
        if expected is None or os.fstat(handle.fileno()).st_size != len(expected):
            return False
        view = memoryview(expected)
        offset = 0
        while True:
            try:
                chunk = handle.read(CHUNK)
            except OSError as exc:
                raise os_problem(path, exc) from None
            if not chunk:
                return offset == len(expected)
            if view[offset:offset + len(chunk)] != chunk:
                return False
            offset += len(chunk)


def real_path(path: Path) -> Path:
    """Symlinked config files (dotfile repos) are edited through the link, at their target."""
    return Path(os.path.realpath(path))


def current_mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return None


def current_owner(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return st.st_uid, st.st_gid


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def missing_folders(path: Path) -> list[Path]:
    """The folders atomic_write would create for `path`, deepest first (recorded so undo can remove them)."""
    out = []
    folder = real_path(path).parent
    while not folder.exists() and folder != folder.parent:
        out.append(folder)
        folder = folder.parent
    return out


def check_writable(path: Path) -> None:
    """Refuse (UnsafeEdit) before anything is written if `path` cannot be replaced or created."""
    target = real_path(path)
    check_regular(target)
    folder = target.parent
    while True:
        try:
            st = os.stat(folder)
            break
        except FileNotFoundError:
            if folder == folder.parent:
                raise _unsafe(f"cannot create {path}: no existing folder above it") from None
            folder = folder.parent
        except OSError as exc:
            raise os_problem(folder, exc, "write in") from None
    if not stat.S_ISDIR(st.st_mode):
        raise _unsafe(f"{folder} is a file, not a folder; keyconf cannot create {path} inside it",
                      hint="check the variables that point there (HOME, CLAUDE_CONFIG_DIR, CODEX_HOME, ...)")
    if hasattr(os, "geteuid") and not os.access(folder, os.W_OK | os.X_OK):
        raise _unsafe(f"{folder} is read-only for you; keyconf cannot write {path}",
                      hint="check the folder's owner and mode")
    if target.exists() and hasattr(os, "geteuid") and not os.access(target, os.W_OK):
        raise _unsafe(f"{path} is read-only (mode {current_mode(target):o}); keyconf will not replace it",
                      hint="make it writable (chmod u+w) if keyconf should edit it")


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, data: bytes | None, *, private: bool = False, mode: int | None = None,
                 owner: tuple[int, int] | None = None) -> None:
    """Replace `path` with `data` (None deletes it) so that readers see the old or the new file, never half.

    The mode of an existing file is kept; a file that holds a key is made 0600 whatever it was (an explicit
    `mode` wins: undo gives a file back its old mode). Run as root,
    the file keeps its owner (or gets `owner`), so `sudo keyconf` does not hand a user's file to root.
    """
    target = real_path(path)
    if data is None:
        target.unlink(missing_ok=True)
        _fsync_dir(target.parent)
        return
    if not target.parent.exists():
        # a folder keyconf creates for a file holding a key is private too
        target.parent.mkdir(parents=True, mode=0o700 if private else 0o777)
    if mode is None:
        mode = PRIVATE if private else current_mode(target)
    if mode is None:
        mode = _default_mode()
    if owner is None and _is_root():
        owner = current_owner(target) or current_owner(target.parent)
    import tempfile  # here, not at the top: `status` and `run` read files and pay nothing for it

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.chmod(tmp, mode)
            if owner is not None and _is_root():
                os.chown(tmp, *owner)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def temp_files(folder: Path, name: str | None = None) -> list[Path]:
    """keyconf's leftover temp files in `folder` (for one target `name`, or all of them)."""
    prefix = f".{name}." if name else "."
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [folder / n for n in names if n.startswith(prefix) and n.endswith(TEMP_SUFFIX)]


def fsync_dir(folder: Path) -> None:
    _fsync_dir(folder)


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
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            os.chmod(folder, 0o700)
    except OSError as exc:
        raise os_problem(exc.filename or folder, exc, "create") from None
    return folder
