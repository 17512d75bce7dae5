"""The one writer: lock, recover, re-check, journal, write atomically, all or nothing; and undo from the journal.

The journal is a write-ahead log. Before the first target is touched, an entry holding everything needed to
go back (old bytes or, for big files, the changed middle plus hashes; modes; folders that will be created) is
durable on disk with status "pending". Only then are the targets written; the entry is marked "done" last.
A run killed in between leaves a pending entry, which the next keyconf run that takes the lock (every
changing command does so first) recovers (`recover`): a change whose files all hold their new bytes was
killed after its last write and is finished; any other is rolled back file by file, from what each file
holds now: the old bytes (nothing to do but its old mode), the new bytes (put the old ones back), or
something else (refuse, naming the file: someone changed it since).
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from keyconf.engine import fsutil
from keyconf.engine.edits import Edit, FileEdit, common_prefix, common_suffix, digest
from keyconf.errors import Exit, KeyconfError, UnsafeEdit
from keyconf.paths import Paths

LOCK_WAIT_SECONDS = 30.0
JOURNAL_KEEP = 50  # newest changes kept for undo; older ones are pruned
BIG_FILE = 1 << 20  # above this, an entry keeps only the part of the old file that changed (and hashes)
FORMAT = 2  # entries written as a write-ahead log (older "pending" entries are never rolled back)
_STAGING, _TRASH = ".new-", ".old-"


class NothingToUndo(KeyconfError):
    """The journal holds no change that can be undone (not an error: exit 0)."""

    code = Exit.OK


class Recovered(list):
    """What recovery did, as lines to show the user; `entries` lists the ids of changes it rolled back,
    `finished` those it completed (every file already held its new bytes)."""

    def __init__(self):
        super().__init__()
        self.entries: list[str] = []
        self.finished: list[Entry] = []


# lock -----------------------------------------------------------------------------------------------------

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


# journal entries ------------------------------------------------------------------------------------------

@dataclass
class Entry:
    """One journaled change."""

    id: str
    folder: Path
    meta: dict

    @property
    def status(self) -> str:
        return self.meta.get("status", "?")

    def before(self, index: int, current: bytes | None = None) -> bytes | None:
        """The old bytes of edit `index`. A big file's entry keeps only the middle that changed: the old file
        is rebuilt around it from `current`, which must be the bytes the change wrote (checked by hash)."""
        rec = self.meta["edits"][index]
        if not rec.get("before_present"):
            return None
        blob = (self.folder / f"{index}.before").read_bytes()
        delta = rec.get("delta")
        if not delta:
            return blob
        if current is None or digest(current) != rec.get("after_sha"):
            raise UnsafeEdit(f"{rec['path']} is not as change {self.id} left it, and for a file this big keyconf "
                             "kept only the part it changed; the old file cannot be rebuilt from what is there now",
                             hint="restore the file from a backup, or take keyconf's settings out by hand",
                             client=rec.get("client"))
        view = memoryview(current)
        old = b"".join((view[:delta["prefix"]], blob, view[len(view) - delta["suffix"]:]))
        if digest(old) != rec.get("before_sha"):
            raise UnsafeEdit(f"the journal entry {self.id} for {rec['path']} is damaged; the old file cannot be "
                             "rebuilt", client=rec.get("client"))
        return old

    def recorded(self, index: int) -> Edit:
        """Edit `index` as recorded, its old bytes loaded unless they must be rebuilt from the current file
        (big files); `after` is unknown: only its hash is kept."""
        rec = self.meta["edits"][index]
        before = None if rec.get("delta") else self.before(index)
        kind = "json-rewritten" if rec.get("client_rewrites") else rec.get("kind", "file")
        return _edit_class(kind).from_record(rec, before)

    def edits(self) -> list[Edit]:
        """The recorded edits with their old bytes."""
        out = []
        for i, rec in enumerate(self.meta["edits"]):
            edit = self.recorded(i)
            if rec.get("delta"):
                edit.before = self.before(i, edit.read_current())
            out.append(edit)
        return out

    def save(self) -> None:
        fsutil.atomic_write(self.folder / "entry.json", json.dumps(self.meta, indent=1).encode(), private=True)


# Edits of other kinds than files, defined where they belong (the Windows registry, Cursor's SQLite rows, the
# system keyring, files their client rewrites), rebuilt from the journal by name: the engine sits below the code
# that plans those edits.
_EDIT_KINDS = {"registry": ("keyconf.osenv.winenv", "RegistryEdit"),
               "sqlite": ("keyconf.formats.sqliterows", "RowsEdit"),
               "keyring": ("keyconf.stores.secretstore", "KeyringEdit"),
               "json-rewritten": ("keyconf.formats.jsonrewrite", "RewrittenJsonEdit")}


def _edit_class(kind: str):
    if kind not in _EDIT_KINDS:
        return FileEdit
    import importlib

    module, name = _EDIT_KINDS[kind]
    return getattr(importlib.import_module(module), name)


def _new_id(root: Path) -> str:
    # Sortable by time (microseconds), so "the last change" is the last id.
    while True:
        now = time.time_ns()
        entry_id = time.strftime("%Y%m%d-%H%M%S", time.localtime(now / 1e9)) + f"-{now // 1000 % 1_000_000:06d}"
        if not (root / entry_id).exists():
            return entry_id
        time.sleep(0.000_01)


def _old_part(before: bytes | None, after: bytes | None) -> tuple[bytes | None, dict | None]:
    """What the journal keeps of the old bytes: all of them, or for a big file only the middle that changed."""
    if before is None or after is None or len(before) <= BIG_FILE:
        return before, None
    shortest = min(len(before), len(after))
    prefix = common_prefix(before, after, shortest)
    suffix = common_suffix(before, after, shortest - prefix)
    return before[prefix:len(before) - suffix], {"prefix": prefix, "suffix": suffix, "size": len(before)}


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), fsutil.PRIVATE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _journal(paths: Paths, edits: Sequence[Edit], command: str, extra: dict) -> Entry:
    """Write the entry in a hidden staging folder, then rename it into place: an entry is either complete
    and durable (files and folders fsync'd) or not there at all."""
    root = fsutil.ensure_private_dir(paths.journal_dir)
    entry_id = _new_id(root)
    staging = root / f"{_STAGING}{entry_id}"
    staging.mkdir(mode=0o700)
    records = []
    for i, edit in enumerate(edits):
        rec = edit.record()
        rec["before_present"] = edit.before is not None
        rec["mode_after"] = edit.final_mode()  # recovery that finishes the change settles the mode with it
        if isinstance(edit, FileEdit):
            rec["created_dirs"] = [str(d) for d in edit.created_dirs]
            rec["remove_dirs"] = [str(d) for d in edit.remove_dirs]
        old, delta = _old_part(edit.before, edit.after)
        if delta:
            rec["delta"] = delta
        if old is not None:
            # The old bytes may hold an old key: journal files are 0600 like every file with a key.
            _write_new(staging / f"{i}.before", old)
        records.append(rec)
    meta = {"format": FORMAT, "id": entry_id, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": command,
            "status": "pending", "edits": records, **extra}
    _write_new(staging / "entry.json", json.dumps(meta, indent=1).encode())
    fsutil.fsync_dir(staging)
    os.replace(staging, root / entry_id)
    fsutil.fsync_dir(root)
    return Entry(entry_id, root / entry_id, meta)


# apply ----------------------------------------------------------------------------------------------------

def apply(paths: Paths, edits: Sequence[Edit], *, command: str, extra: dict | None = None) -> Entry | None:
    """Carry out a plan as one transaction. Returns the journal entry, or None if nothing changed.

    Call it inside `locked()`. Every target is checked first (writable, and still holding the bytes it was
    planned from): if one fails, nothing is written (exit 3). If a write fails half-way, the files already
    written are put back.
    """
    edits = [e for e in edits if e.changes]
    if not edits:
        return None
    for edit in edits:
        edit.preflight()
        if not edit.holds(edit.before):
            raise UnsafeEdit(
                f"{edit.target} changed while keyconf was working on it; nothing was written",
                hint="run the command again",
                client=edit.client,
            )
        edit.snapshot_mode()
    history = None
    for edit in edits:
        if isinstance(edit, FileEdit):
            if history is None:
                history = _history(paths)
            _plan_file(edit, history)
    try:
        entry = _journal(paths, edits, command, extra or {})
    except OSError as exc:  # disk full, say: nothing was touched yet (the next run removes the half entry)
        raise UnsafeEdit(f"could not write keyconf's journal in {paths.journal_dir}: {exc.strerror or exc}; "
                         "nothing was changed") from exc
    done: list[Edit] = []
    try:
        for edit in edits:
            edit.put(edit.after)
            done.append(edit)
        for edit in edits:
            if isinstance(edit, FileEdit) and edit.after is None:
                _remove_empty(edit.remove_dirs)
    except BaseException as exc:
        complete = _put_back(done)
        for edit in edits:
            if isinstance(edit, FileEdit):
                _remove_empty(edit.created_dirs)
        if complete:
            entry.meta["status"] = "rolled-back"
            entry.save()
        # else the entry stays pending: the next keyconf run finishes putting the files back
        if isinstance(exc, OSError):
            failed = getattr(exc, "filename", "") or "a file"
            raise UnsafeEdit(f"could not write {failed}: {exc.strerror or exc}; " + (
                "every file was put back as it was" if complete else
                "some files could not be put back yet; the next keyconf command will do it")) from exc
        raise
    entry.meta["status"] = "done"
    entry.save()
    _prune(paths)
    return entry


def _put_back(done: Sequence[Edit]) -> bool:
    complete = True
    for edit in reversed(done):
        try:
            edit.put(edit.before, restoring=True)
        except (OSError, KeyconfError):
            complete = False
    return complete


def _plan_file(edit: FileEdit, history: list[dict]) -> None:
    """Decide the mode the file gets, and the folders created for it or removable after deleting it."""
    path = str(edit.path)
    if edit.before is None:
        edit.created_dirs = fsutil.missing_folders(edit.path)
    if edit.after is None:
        # deleting a file keyconf created: also remove the folders it created for it, if left empty
        for rec in history:
            if rec.get("path") == path and not rec.get("before_present"):
                edit.remove_dirs = [Path(d) for d in rec.get("created_dirs", [])]
                break
        return
    if edit.mode_after is not None:  # undo: the mode the file had
        return
    if edit.private:
        edit.mode_after = fsutil.PRIVATE
    elif edit.mode_before is not None:
        # The key leaves the file (remove): give back the mode it had before keyconf made it private,
        # unless someone changed the mode since.
        edit.mode_after = edit.mode_before
        for rec in history:
            if rec.get("path") != path or rec.get("mode_after") in (None, rec.get("mode_before")):
                continue
            if rec.get("mode_before") is not None and rec["mode_after"] == edit.mode_before:
                edit.mode_after = rec["mode_before"]
            break


def _history(paths: Paths) -> list[dict]:
    """Edit records of changes that took effect, newest first."""
    return [rec for entry in entries(paths) if entry.status in ("done", "undone") for rec in entry.meta["edits"]]


def _remove_empty(folders: Sequence[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            os.rmdir(folder)
        except OSError:
            pass  # not empty (the user put something there), or already gone


def _prune(paths: Paths) -> None:
    import shutil

    for old in entries(paths)[JOURNAL_KEEP:]:
        if old.status == "pending":
            continue
        # renamed first, so a prune cut short leaves a hidden folder (removed later), not a torn entry
        trash = old.folder.with_name(_TRASH + old.id)
        try:
            os.replace(old.folder, trash)
        except OSError:
            continue
        shutil.rmtree(trash, ignore_errors=True)


def entries(paths: Paths) -> list[Entry]:
    """Journal entries, newest first. An entry is "undone" when a later undo of it took effect."""
    root = paths.journal_dir
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(root.iterdir(), reverse=True):
        if folder.name.startswith("."):
            continue
        try:
            meta = json.loads((folder / "entry.json").read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and isinstance(meta.get("edits"), list):
            out.append(Entry(folder.name, folder, meta))
    # Derived, not only stored: an undo marks its entry "undone" in a second write that a kill can skip.
    undone: set[str] = set()
    for entry in out:
        if entry.status in ("done", "undone"):
            entry.meta["status"] = "undone" if entry.id in undone else "done"
            if entry.status == "done" and entry.meta.get("undo_of"):
                undone.add(entry.meta["undo_of"])
    return out


# recovery -------------------------------------------------------------------------------------------------

def needs_recovery(paths: Paths) -> bool:
    """Whether a killed keyconf left something behind in the journal (a pending change, a half-written entry
    or prune, a temp file): cheap enough to ask at the start of every changing command."""
    root = paths.journal_dir
    if not root.is_dir():
        return False
    for item in root.iterdir():
        if item.name.startswith((_STAGING, _TRASH)) or (item.is_dir() and fsutil.temp_files(item)):
            return True
    return bool(pending(paths))


def recover(paths: Paths, *, force: bool = False) -> Recovered:
    """Finish or roll back changes a killed keyconf left pending, and remove keyconf's leftover temp files.

    Call inside `locked()` (it is, by default). A pending change whose files all hold their new bytes was
    killed after its last write (removing emptied folders, marking the entry done): it is finished, not
    undone. Otherwise, per file: holds the old bytes → fine (its old mode is given back, should a kill have
    come between a chmod and the write); the new bytes → old ones put back; anything else → UnsafeEdit
    naming it, nothing written (with `force`, the old bytes are put back anyway where the journal has them
    whole).
    """
    import shutil

    report = Recovered()
    root = paths.journal_dir
    folders = {paths.keyconf_home}
    interrupted = []
    if root.is_dir():
        for item in root.iterdir():
            if item.name.startswith((_STAGING, _TRASH)):
                shutil.rmtree(item, ignore_errors=True)  # a journal write or prune cut short
            elif item.is_dir():
                folders.add(item)  # an entry's own `.entry.json.*.keyconf-tmp` from a save cut short
        interrupted = pending(paths)
        for entry in interrupted:
            for rec in entry.meta["edits"]:
                if rec.get("kind", "file") == "file":
                    folders.add(fsutil.real_path(Path(rec["path"])).parent)
    # first, so that a folder the interrupted change created holds nothing of ours when it is removed
    leftovers = [tmp for folder in folders for tmp in fsutil.temp_files(folder)]
    for tmp in leftovers:
        tmp.unlink(missing_ok=True)
    for entry in interrupted:
        line, finished = _recover_entry(paths, entry, force)
        report.append(line)
        if finished:
            report.finished.append(entry)
        else:
            report.entries.append(entry.id)
    if leftovers:
        report.append(f"removed {len(leftovers)} temp file(s) an interrupted keyconf left behind")
    return report


def _recover_entry(paths: Paths, entry: Entry, force: bool) -> tuple[str, bool]:
    edits, states = [], []
    for i, rec in enumerate(entry.meta["edits"]):
        edit = entry.recorded(i)
        now = edit.current_digest()
        state = "old" if now == rec.get("before_sha") else "new" if now == rec.get("after_sha") else "neither"
        edits.append(edit)
        states.append(state)
    if all(state == "new" for state in states):
        return _roll_forward(paths, entry, edits), True
    return _roll_back(paths, entry, edits, states, force), False


def _roll_forward(paths: Paths, entry: Entry, edits: list[Edit]) -> str:
    """Every file holds what the change wrote: do its last steps (a mode set after the write, emptied
    folders removed) and mark it done, as if it had not been killed."""
    for edit, rec in zip(edits, entry.meta["edits"]):
        if rec.get("mode_after") is not None:
            edit.settle_mode(rec["mode_after"])
        _remove_empty([Path(d) for d in rec.get("remove_dirs", [])])
    entry.meta["status"] = "done"
    entry.meta["recovered"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    entry.save()
    return (f"keyconf was interrupted at the very end of change {entry.id} (`{entry.meta.get('command')}`), "
            "after every file was written; it is now complete")


def _roll_back(paths: Paths, entry: Entry, edits: list[Edit], states: list[str], force: bool) -> str:
    stuck = [edit for edit, state in zip(edits, states) if state == "neither"]
    if stuck and not force:
        names = ", ".join(paths.display(e.target) for e in stuck)
        raise UnsafeEdit(
            f"keyconf was interrupted during change {entry.id} ({entry.meta.get('command')}), and {names} "
            "changed since; keyconf cannot tell whether to put back its old bytes",
            hint="look at it; `keyconf undo --force` puts back the bytes it had before that change "
                 "(losing what changed in it since)", client=stuck[0].client)
    restored, kept = [], []
    for i in reversed(range(len(edits))):
        edit, state, rec = edits[i], states[i], entry.meta["edits"][i]
        if state == "old":
            if rec.get("mode_before") is not None:
                edit.settle_mode(rec["mode_before"])  # killed between tightening the mode and the write
            continue
        if state == "neither" and rec.get("delta"):
            kept.append(edit)  # only the changed middle of this big file was kept: it cannot be rebuilt
            continue
        if rec.get("delta"):
            edit.before = entry.before(i, edit.read_current())
        edit.put(edit.before, restoring=True)
        restored.append(edit)
    for rec in entry.meta["edits"]:
        _remove_empty([Path(d) for d in rec.get("created_dirs", [])])  # also those made before a kill
    entry.meta["status"] = "rolled-back"
    entry.meta["recovered"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    entry.save()
    what = f"keyconf was interrupted during change {entry.id} (`{entry.meta.get('command')}`) and rolled it back"
    shown = [paths.display(e.target) for e in reversed(restored) if not e.internal]
    if not restored:
        what += " (it had not changed any file yet)"
    elif shown:
        what += ": put back " + ", ".join(shown)
    if kept:
        what += "; left as they are now: " + ", ".join(paths.display(e.target) for e in kept)
    return what + "; run that command again if you still want it"


def pending(paths: Paths) -> list[Entry]:
    """Changes a killed keyconf left half-done (rolled back by the next `locked()`), newest first."""
    return [e for e in entries(paths) if e.status == "pending" and e.meta.get("format") == FORMAT]


# undo -----------------------------------------------------------------------------------------------------

def last_entry(paths: Paths) -> Entry | None:
    """The newest change that can be undone, or None."""
    for entry in entries(paths):
        if entry.status == "done" and entry.meta["command"] != "undo":
            return entry
    return None


def find_entry(paths: Paths, entry_id: str | None) -> Entry:
    if entry_id:
        for entry in entries(paths):
            if entry.id == entry_id or entry.id.endswith(entry_id):
                return entry
        raise KeyconfError(f"no change with id {entry_id!r} in the journal", hint="see `keyconf undo --list`",
                           code=2)
    entry = last_entry(paths)
    if entry is None:
        raise NothingToUndo("nothing to undo: the journal has no change left")
    return entry


def plan_undo(entry: Entry, *, force: bool) -> list[Edit]:
    """Edits that give every file of `entry` its old bytes (and mode) back; refuses if a file changed since."""
    out = []
    for i, rec in enumerate(entry.meta["edits"]):
        old = entry.recorded(i)
        cls = type(old)
        current = old.read_current()
        rebased = None
        if digest(current) != rec.get("after_sha") and not force:
            rebased = old.rebase(current)  # a client's own rewrite of the file keyconf left is no conflict
            if rebased is None:
                raise UnsafeEdit(
                    f"{rec['path']} changed after change {entry.id}; undo would lose that",
                    hint="look at the file, then run `keyconf undo --force` to restore it anyway",
                    client=rec.get("client"),
                )
        before = rebased if rebased is not None else entry.before(i, current) if rec.get("delta") else old.before
        edit = cls(old.path, current, before, private=old.private, internal=old.internal,
                   client=old.client, mode_before=old.mode_before)
        edit.mode_after = old.mode_before  # an undo gives back the file as it was, mode and owner too
        edit.owner_after = old.owner_before
        out.append(edit)
    return out


def restore(paths: Paths, entry: Entry, edits: Sequence[Edit]) -> Entry | None:
    """Write an undo plan (itself journaled, so it can be looked at later) and mark the entry undone."""
    result = apply(paths, edits, command="undo", extra={"undo_of": entry.id})
    if result is None and entry.status == "done":
        # nothing left to write (the files already hold their old bytes): record the undo all the same
        result = _journal(paths, [], "undo", {"undo_of": entry.id})
        result.meta["status"] = "done"
        result.save()
    entry.meta["status"] = "undone"
    entry.save()
    return result
