"""The one writer: lock, re-check, journal, write atomically, all or nothing; and undo from the journal."""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from keyconf import fsutil
from keyconf.edits import FileEdit, digest
from keyconf.errors import KeyconfError, UnsafeEdit
from keyconf.paths import Paths

LOCK_WAIT_SECONDS = 10.0
JOURNAL_KEEP = 50  # newest changes kept for undo; older ones (whole-file copies) are pruned


@contextmanager
def locked(paths: Paths) -> Iterator[None]:
    """Keep two keyconf runs from planning and writing at the same time."""
    fsutil.ensure_private_dir(paths.keyconf_home)
    handle = open(paths.lock_file, "a+b")
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while not _try_lock(handle):
            if time.monotonic() > deadline:
                raise UnsafeEdit(
                    "another keyconf command is running (its lock is held)",
                    hint=f"wait for it to finish; the lock file is {paths.lock_file}",
                )
            time.sleep(0.1)
        yield
    finally:
        handle.close()  # closing releases the lock


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


@dataclass
class Entry:
    """One journaled change."""

    id: str
    folder: Path
    meta: dict

    @property
    def status(self) -> str:
        return self.meta.get("status", "?")

    def edits(self) -> list[FileEdit]:
        out = []
        for i, rec in enumerate(self.meta["edits"]):
            blob = self.folder / f"{i}.before"
            before = blob.read_bytes() if rec.get("before_present") else None
            out.append(_edit_class(rec.get("kind", "file")).from_record(rec, before))
        return out

    def save(self) -> None:
        fsutil.atomic_write(self.folder / "entry.json", json.dumps(self.meta, indent=1).encode(), private=True)


def _edit_class(kind: str):
    if kind == "registry":
        from keyconf.winenv import RegistryEdit

        return RegistryEdit
    if kind == "sqlite":
        from keyconf.sqliterows import RowsEdit

        return RowsEdit
    if kind == "keyring":
        from keyconf.secretstore import KeyringEdit

        return KeyringEdit
    return FileEdit


def _new_id() -> str:
    # Sortable by time (microseconds), so "the last change" is the last id.
    now = time.time_ns()
    return time.strftime("%Y%m%d-%H%M%S", time.localtime(now / 1e9)) + f"-{now // 1000 % 1_000_000:06d}"


def _journal(paths: Paths, edits: Sequence[FileEdit], command: str, extra: dict) -> Entry:
    root = fsutil.ensure_private_dir(paths.journal_dir)
    entry_id = _new_id()
    folder = root / entry_id
    folder.mkdir(mode=0o700)
    records = []
    for i, edit in enumerate(edits):
        rec = edit.record()
        rec["before_present"] = edit.before is not None
        if edit.before is not None:
            # The old bytes may hold an old key: journal files are 0600 like every file with a key.
            fsutil.atomic_write(folder / f"{i}.before", edit.before, private=True)
        records.append(rec)
    meta = {"id": entry_id, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": command,
            "status": "pending", "edits": records, **extra}
    entry = Entry(entry_id, folder, meta)
    entry.save()
    return entry


def apply(paths: Paths, edits: Sequence[FileEdit], *, command: str, extra: dict | None = None) -> Entry | None:
    """Carry out a plan as one transaction. Returns the journal entry, or None if nothing changed.

    Every file is re-read first: if one changed since it was planned, nothing is written (exit 3).
    If a write fails half-way, the files already written are put back.
    """
    edits = [e for e in edits if e.changes]
    if not edits:
        return None
    for edit in edits:
        if edit.read_current() != edit.before:
            raise UnsafeEdit(
                f"{edit.target} changed while keyconf was working on it; nothing was written",
                hint="run the command again",
                client=edit.client,
            )
        edit.snapshot_mode()
    entry = _journal(paths, edits, command, extra or {})
    done: list[FileEdit] = []
    try:
        for edit in edits:
            edit.put(edit.after)
            done.append(edit)
    except BaseException as exc:
        for edit in reversed(done):
            try:
                edit.put(edit.before, restoring=True)
            except OSError:
                pass
        entry.meta["status"] = "rolled-back"
        entry.save()
        if isinstance(exc, OSError):
            raise UnsafeEdit(f"could not write {getattr(exc, 'filename', '') or 'a file'}: {exc.strerror}; "
                             "every file was put back as it was") from exc
        raise
    entry.meta["status"] = "done"
    entry.save()
    _prune(paths)
    return entry


def _prune(paths: Paths) -> None:
    import shutil

    for old in entries(paths)[JOURNAL_KEEP:]:
        shutil.rmtree(old.folder, ignore_errors=True)


def entries(paths: Paths) -> list[Entry]:
    """Journal entries, newest first."""
    root = paths.journal_dir
    if not root.is_dir():
        return []
    out = []
    for folder in sorted(root.iterdir(), reverse=True):
        meta_file = folder / "entry.json"
        try:
            meta = json.loads(meta_file.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        out.append(Entry(folder.name, folder, meta))
    return out


def find_entry(paths: Paths, entry_id: str | None) -> Entry:
    all_entries = entries(paths)
    if entry_id:
        for entry in all_entries:
            if entry.id == entry_id or entry.id.endswith(entry_id):
                return entry
        raise KeyconfError(f"no change with id {entry_id!r} in the journal", hint="see `keyconf undo --list`",
                           code=2)
    for entry in all_entries:
        if entry.status == "done" and entry.meta["command"] != "undo":
            return entry
    raise KeyconfError("nothing to undo: the journal has no change left", code=0)


def plan_undo(entry: Entry, *, force: bool) -> list[FileEdit]:
    """Edits that give every file of `entry` its old bytes back; refuses if a file changed since."""
    out = []
    for rec, old in zip(entry.meta["edits"], entry.edits()):
        current = old.read_current()
        if digest(current) != rec.get("after_sha") and not force:
            raise UnsafeEdit(
                f"{rec['path']} changed after change {entry.id}; undo would lose that",
                hint="look at the file, then run `keyconf undo --force` to restore it anyway",
                client=rec.get("client"),
            )
        out.append(type(old)(old.path, current, old.before,
                             private=old.private, internal=old.internal, client=old.client,
                             mode_before=old.mode_before))
    return out


def restore(paths: Paths, entry: Entry, edits: Sequence[FileEdit]) -> Entry | None:
    """Write an undo plan (itself journaled, so it can be looked at later) and mark the entry undone."""
    old_modes = [(edit.path, edit.mode_before) for edit in edits if edit.after is not None and edit.kind == "file"]
    result = apply(paths, edits, command="undo", extra={"undo_of": entry.id})
    # Restore the old permissions too: an undo gives back the file as it was.
    for path, mode in old_modes:
        if mode is not None:
            try:
                os.chmod(fsutil.real_path(path), mode)
            except OSError:
                pass
    entry.meta["status"] = "undone"
    entry.save()
    return result
